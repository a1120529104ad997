"""A minimal stand-in for `salamat.codes.parse_many` (tests only, until the real parser lands).

Understands what the traceability tests and the benchmark send: GS1 element strings
``01<gtin14>[17YYMMDD][10<batch>\\x1d]21<serial>`` with GS separators, ``00<sscc18>``,
the canonical keys ``01/<gtin14>/21/<serial>`` and ``00/<sscc18>``, and a bare GTIN
(→ ``needs_sticker``). Check digits are verified. The real parser replaces this by
changing one import in `salamat.traceability.codes`.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from salamat.codes.checkdigit import has_valid_check_digit
from salamat.codes.model import CodeError, CodeKind, ParsedCode

GS = "\x1d"
_KEY_SGTIN = re.compile(r"^01/(\d{14})/21/([\x21-\x7e]{1,20})$")
_KEY_SSCC = re.compile(r"^00/(\d{18})$")
_FIXED = {"01": 14, "17": 6, "00": 18, "11": 6}
# The dominant form on pharmaceutical packs, matched in one step.
_FAST = re.compile(r"^01(\d{14})17(\d{6})10([\x21-\x7e]{1,20}?)\x1d21([\x21-\x7e]{1,20})$")


@lru_cache(maxsize=4096)
def _gtin_ok(gtin: str) -> bool:
    return has_valid_check_digit(gtin)


@lru_cache(maxsize=1024)
def _expiry(value: str, raw: str = "") -> date:
    try:
        yy, mm, dd = int(value[:2]), int(value[2:4]), int(value[4:6])
        if dd == 0:  # GS1: day 00 means the last day of the month
            dd = 28
        return date(2000 + yy, mm, dd)
    except ValueError:
        raise CodeError("bad_date", "The expiry date is not a real date.", raw=raw) from None


def parse(raw: str) -> ParsedCode:
    """One code → `ParsedCode`, or raises `CodeError`."""
    if not isinstance(raw, str) or not raw.strip():
        raise CodeError("empty", "The code is empty.", raw=raw or "")
    text = raw.strip()
    if len(text) > 200:
        raise CodeError("too_long", "The code is too long.", raw=text)
    m = _KEY_SGTIN.match(text)
    if m:
        if not _gtin_ok(m.group(1)):
            raise CodeError("bad_check_digit", "The GTIN check digit is wrong.", raw=text)
        return ParsedCode(CodeKind.SGTIN, text, gtin=m.group(1), serial=m.group(2), raw=raw)
    m = _KEY_SSCC.match(text)
    if m:
        if not has_valid_check_digit(m.group(1)):
            raise CodeError("bad_check_digit", "The SSCC check digit is wrong.", raw=text)
        return ParsedCode(CodeKind.SSCC, text, sscc=m.group(1), raw=raw)
    if text.isdigit() and len(text) in (8, 12, 13, 14):
        if not has_valid_check_digit(text):
            raise CodeError("bad_check_digit", "The GTIN check digit is wrong.", raw=text)
        raise CodeError("needs_sticker", "A plain GTIN is not unique: the package needs a sticker.", raw=text)
    m = _FAST.match(text)
    if m and _gtin_ok(m.group(1)):
        gtin, serial = m.group(1), m.group(4)
        return ParsedCode(
            CodeKind.SGTIN, f"01/{gtin}/21/{serial}", gtin=gtin, serial=serial, batch=m.group(3),
            expiry=_expiry(m.group(2)), raw=raw,
        )  # fmt: skip
    return _element_string(text, raw)


def _element_string(text: str, raw: str) -> ParsedCode:
    fields: dict[str, str] = {}
    i, n = 0, len(text)
    while i < n:
        if text[i] == GS:
            i += 1
            continue
        ai = text[i : i + 2]
        if ai in _FIXED:
            length = _FIXED[ai]
            value = text[i + 2 : i + 2 + length]
            if len(value) != length or not value.isdigit():
                raise CodeError("unknown_format", "The code is not a GS1 element string.", raw=raw)
            i += 2 + length
        elif ai in ("10", "21", "91", "92", "93"):
            end = text.find(GS, i + 2)
            end = n if end < 0 else end
            value = text[i + 2 : end]
            i = end
        else:
            raise CodeError("unknown_format", "The code is not in a known format.", raw=raw)
        fields[ai] = value
    if "00" in fields:
        sscc = fields["00"]
        if not has_valid_check_digit(sscc):
            raise CodeError("bad_check_digit", "The SSCC check digit is wrong.", raw=raw)
        return ParsedCode(CodeKind.SSCC, f"00/{sscc}", sscc=sscc, raw=raw)
    gtin = fields.get("01")
    if gtin is None:
        raise CodeError("unknown_format", "The code has no GTIN.", raw=raw)
    if not _gtin_ok(gtin):
        raise CodeError("bad_check_digit", "The GTIN check digit is wrong.", raw=raw)
    serial = fields.get("21")
    if not serial:
        raise CodeError("missing_serial", "The code has no serial number.", raw=raw)
    expiry = _expiry(fields["17"], raw) if "17" in fields else None
    extra = {k: v for k, v in fields.items() if k in ("91", "92", "93")}
    return ParsedCode(
        CodeKind.SGTIN,
        f"01/{gtin}/21/{serial}",
        gtin=gtin,
        serial=serial,
        batch=fields.get("10"),
        expiry=expiry,
        extra=extra,
        raw=raw,
    )


def parse_many(raws: list[str]) -> list[ParsedCode | CodeError]:
    """Each code parsed, errors returned in place rather than raised."""
    out: list[ParsedCode | CodeError] = []
    for raw in raws:
        try:
            out.append(parse(raw))
        except CodeError as exc:
            out.append(exc)
    return out
