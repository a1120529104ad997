"""Any scanned string → one ParsedCode or one precise CodeError (pure)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from itertools import repeat

from salamat.codes import fast, reference
from salamat.codes.checkdigit import has_valid_check_digit
from salamat.codes.envelope import EnvelopeError, parse_envelope
from salamat.codes.epc import parse_epc_urn
from salamat.codes.model import CodeError, CodeKind, ParsedCode
from salamat.codes.normalise import (
    AmbiguousSeparators,
    from_russian_layout,
    normalise_separators,
    split_symbology,
)
from salamat.codes.schemes import EMPTY, SchemeSet, SchemeSpec, active
from salamat.codes.sticker import sticker_check_ok, sticker_serial_normalise
from salamat.core.gcpause import paused_gc
from salamat.core.i18n import gettext as _

logger = logging.getLogger(__name__)

MAX_LENGTH = 512
GS = "\x1d"


Schemes = Sequence[SchemeSpec] | SchemeSet | None


def parse(raw: str, *, schemes: Schemes = None, sticker_host: str | None = None) -> ParsedCode:
    """The canonical package code in `raw`, or CodeError with a precise code.

    `schemes`: labelling schemes other than GS1; by default the active ones of the registry
    (`salamat.codes.schemes.active`). One with a prefix is tried first when the string starts
    with it; the others only when the string is no standard code — or first, when the registry
    validated them (none can claim a standard code, so GS1 never waits for them).
    `sticker_host`: when given, only ``…/p/<serial>`` URLs on that host are stickers
    (default: any host, as a phone may have scanned a sticker printed for another deployment).
    """
    return _parse(raw, scheme_set(schemes), sticker_host, True)


def scheme_set(schemes: Schemes) -> SchemeSet:
    """The schemes to parse with: the registry's active ones when None."""
    if schemes is None:
        return active()
    if isinstance(schemes, SchemeSet):
        return schemes
    return SchemeSet(schemes) if schemes else EMPTY


def parse_many(raws: Iterable[str], **kw) -> list[ParsedCode | CodeError]:
    """Every string parsed, in order; a bad one gives its CodeError in its place (none escapes)."""
    schemes = scheme_set(kw.pop("schemes", None))
    sticker_host = kw.pop("sticker_host", None)
    if kw:
        raise TypeError(f"unexpected arguments: {sorted(kw)}")
    out: list[ParsedCode | CodeError] = []
    append = out.append
    # Every result stays alive in `out`: without the pause the collector rescans them (-30 % speed).
    with paused_gc():
        # An unvalidated scheme may claim any string first; validated ones never claim GS1 strings.
        use_lean = not schemes or schemes.validated
        raws = list(raws)
        # The plain DataMatrix strings of the whole request, each distinct shape read once.
        leaned = fast.lean_many(raws) if use_lean else repeat(None)
        for raw, found in zip(raws, leaned, strict=False):
            if found is not None:
                append(found)
                continue
            try:
                append(_parse(raw, schemes, sticker_host, True, use_lean))
            except CodeError as exc:
                append(exc)
            except Exception:  # noqa: BLE001 - one unreadable code must not sink a 50,000-code request
                logger.exception("code parser failed on %r", raw[:200] if isinstance(raw, str) else raw)
                append(_unknown(raw if isinstance(raw, str) else repr(raw)[:200]))
    return out


def parse_reference(raw: str, *, schemes: Schemes = None, sticker_host: str | None = None) -> ParsedCode:
    """Like `parse`, but every GS1 string goes through biip (for tests and the benchmark)."""
    return _parse(raw, scheme_set(schemes), sticker_host, False)


def _error(code: str, message: str, raw: str, **details: str) -> CodeError:
    return CodeError(code, message, raw=raw, details=details)


def _unknown(raw: str) -> CodeError:
    return _error("unknown_format", _("This is not a package code we can read."), raw)


def _parse(
    raw: str, schemes: SchemeSet, sticker_host: str | None, use_fast: bool, lean_tried: bool = False
) -> ParsedCode:
    if not isinstance(raw, str):
        raise _unknown(repr(raw)[:200])
    if len(raw) > MAX_LENGTH:
        raise _error(
            "too_long", _("The code is longer than %(max)d characters.") % {"max": MAX_LENGTH}, raw[:200]
        )
    s = raw.strip()
    if not s:
        raise _error("empty", _("The code is empty."), raw)
    if use_fast and not lean_tried and (schemes.validated or not schemes.specs):
        # The dominant DataMatrix forms first: no validated scheme may claim them.
        found = fast.lean(raw)
        if found is not None:
            return found
    bare = s
    if s[0] == "]":
        bare = split_symbology(s)[1].strip() or s
    if bare[:3] == "[)>":
        return _envelope(bare, raw, schemes, use_fast)
    if schemes.specs:
        if schemes.validated:
            found = schemes.claim(bare, raw)
        else:
            found = schemes.by_prefix(bare, raw) if schemes.prefix_lengths else None
        if found is not None:
            return found
    try:
        return _standard(s, raw, sticker_host, use_fast)
    except CodeError as exc:
        # A registered scheme may claim what no standard reads (or misreads).
        if schemes.specs and not schemes.validated:
            found = schemes.forms(bare, raw)
            if found is not None:
                return found
        retyped = from_russian_layout(s)
        if retyped is not None:
            try:
                found = _standard(retyped, raw, sticker_host, use_fast)
            except CodeError:
                pass
            else:
                return replace(found, source=found.source + "+ru_layout")
        raise exc from None


def _envelope(s: str, raw: str, schemes: SchemeSet, use_fast: bool) -> ParsedCode:
    """An ISO/IEC 15434 envelope: format 05 holds GS1 element strings, format 06 the data
    identifiers a registered envelope scheme reads."""
    try:
        fmt, fields = parse_envelope(s)
    except EnvelopeError as exc:
        raise _error(
            "bad_envelope", _("The code is not a well-formed ISO/IEC 15434 envelope."), raw, reason=str(exc)
        ) from None
    if fmt == "05":
        return _gs1_string(GS.join(value for _di, value in fields), raw, use_fast)
    values: dict[str, str] = {}
    for di, value in fields:
        if values.setdefault(di, value) != value:
            raise _error(
                "unknown_format", _("The code holds two different values for one element."), raw, di=di
            )
    found = schemes.by_envelope(values, raw) if schemes else None
    if found is None:
        raise _error("unknown_format", _("No labelling scheme in the registry reads this envelope."), raw)
    return found


_CANONICAL_KEY = re.compile(r"^(?:01/(?P<gtin>\d{14})/21/(?P<serial>.+)|00/(?P<sscc>\d{18}))$", re.DOTALL)


def _standard(s: str, raw: str, sticker_host: str | None, use_fast: bool) -> ParsedCode:
    symbology, s = split_symbology(s)
    if symbology is not None:
        s = s.strip()
        if not s:
            raise _error("empty", _("The code is empty."), raw)
    first = s[0]
    key = _CANONICAL_KEY.match(s)
    if key is not None:
        # A canonical key parses back to itself. The serial in a key is stored as is (not
        # percent-encoded, and it may contain "/"), so rebuild the element string.
        if key["gtin"] is not None:
            return _gs1_string("01" + key["gtin"] + "21" + key["serial"], raw, use_fast)
        return _gs1_string("00" + key["sscc"], raw, use_fast)
    if s.startswith("sticker:"):
        return _sticker(s[len("sticker:") :], raw, "key", strict=True)
    if "0" <= first <= "9" or first == GS:
        return _gs1_string(s.lstrip(GS), raw, use_fast)
    if first == "(":
        return _hri(s, raw, use_fast)
    head = s[:8].lower()
    if head.startswith(("https://", "http://")):
        return _url(s, raw, sticker_host, use_fast)
    if head.startswith("urn:"):
        return parse_epc_urn(s, raw)
    return _bare_sticker(s, raw)


def _gs1_string(s: str, raw: str, use_fast: bool) -> ParsedCode:
    if not s:
        raise _error("empty", _("The code is empty."), raw)
    if s.isdigit() and s.isascii():
        n = len(s)
        if n in (8, 12, 13, 14):
            # A product code with no serial: not a package identity (EAN-13 on the box).
            if not has_valid_check_digit(s):
                raise _error("bad_check_digit", _("The check digit of the GTIN is wrong."), raw, gtin=s)
            raise _error(
                "needs_sticker",
                _("This is a product barcode without a serial number: the package needs a system sticker."),
                raw,
                gtin=s.zfill(14),
            )
        if n == 18:
            if not has_valid_check_digit(s):
                raise _error("bad_check_digit", _("The check digit of the SSCC is wrong."), raw, sscc=s)
            return ParsedCode(kind=CodeKind.SSCC, key="00/" + s, sscc=s, raw=raw, source="plain_sscc")
    try:
        s = normalise_separators(s)
    except AmbiguousSeparators:
        raise _error(
            "unknown_format",
            _("The code mixes several characters that could be separators; it cannot be read safely."),
            raw,
        ) from None
    if use_fast:
        found = fast.element_string(s, raw)
        if found is not None:
            return found
    return reference.element_string(s, raw)


def _hri(s: str, raw: str, use_fast: bool) -> ParsedCode:
    if use_fast:
        found = fast.hri(s, raw)
        if found is not None:
            return found
    return reference.hri(s, raw)


def _url(s: str, raw: str, sticker_host: str | None, use_fast: bool) -> ParsedCode:
    sticker = _sticker_url(s, raw, sticker_host)
    if sticker is not None:
        return sticker
    if use_fast:
        found = fast.digital_link(s, raw)
        if found is not None:
            return found
    # biip counts a trailing "/" as one more (empty) path segment.
    end = min(i for i in (s.find("?"), s.find("#"), len(s)) if i >= 0)
    if end > 0 and s[end - 1] == "/":
        s = s[: end - 1] + s[end:]
    return reference.digital_link(s, raw)


def _host(url_or_host: str) -> str:
    rest = url_or_host.split("://", 1)[-1]
    host = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    host = host.rsplit("@", 1)[-1]
    if not host.startswith("["):
        host = host.split(":", 1)[0]
    return host.lower().rstrip(".")


def _sticker_url(s: str, raw: str, sticker_host: str | None) -> ParsedCode | None:
    """``https://<host>/…/p/<serial>`` → STICKER; None when the URL is not a sticker URL."""
    rest = s.split("://", 1)[1]
    for cut in ("#", "?"):
        rest = rest.split(cut, 1)[0]
    segments = rest.split("/")[1:]
    if segments and segments[-1] == "":
        segments.pop()
    if len(segments) < 2 or segments[-2].lower() != "p":
        return None
    if sticker_host is not None and _host(s) != _host(sticker_host):
        return None
    return _sticker(segments[-1], raw, "sticker_url", strict=True)


def _sticker(text: str, raw: str, source: str, *, strict: bool) -> ParsedCode:
    serial = sticker_serial_normalise(text)
    if serial is None:
        if strict:
            raise _error("bad_serial", _("This is not a sticker serial number."), raw)
        raise _unknown(raw)
    if not sticker_check_ok(serial):
        raise _error("bad_check_digit", _("The check character of the sticker serial is wrong."), raw)
    return ParsedCode(
        kind=CodeKind.STICKER,
        key="sticker:" + serial,
        serial=serial,
        scheme="sticker",
        raw=raw,
        source=source,
    )


def _bare_sticker(s: str, raw: str) -> ParsedCode:
    return _sticker(s, raw, "sticker_serial", strict=False)
