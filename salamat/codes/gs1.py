"""GS1 building blocks (pure): the AI table, dates, and turning a list of element strings
into one `ParsedCode` with every check the platform relies on.

Both the fast path (`salamat.codes.fast`) and the biip reference path
(`salamat.codes.reference`) end in `build_gs1()`, so the two can only differ in how they
*split* a string into element strings — which is what the property tests compare.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime
from functools import lru_cache

from biip.gs1_application_identifiers import _GS1_APPLICATION_IDENTIFIERS

from salamat.codes.checkdigit import has_valid_check_digit
from salamat.codes.model import CodeError, CodeKind, ParsedCode, new_parsed
from salamat.core.i18n import gettext as _

# biip's table of every GS1 AI (pattern, whether a separator must follow). Private in biip,
# but biip is pinned in pyproject.toml and the table is the GS1 syntax dictionary itself.
AI_TABLE = _GS1_APPLICATION_IDENTIFIERS
AI_PATTERNS: dict[str, re.Pattern[str]] = {ai: re.compile(spec.pattern) for ai, spec in AI_TABLE.items()}

# GS1 AI encodable character set 82 (GS1 General Specifications figure 7.11-1).
CSET82 = r"!\"%-?A-Z_a-z"
SERIAL_RE = re.compile(rf"[{CSET82}]{{1,20}}")
CSET82_RE = re.compile(rf"[{CSET82}]*")

# AIs whose value is a YYMMDD date (DD=00: the last day of the month).
DATE_AIS = frozenset({"11", "12", "13", "15", "16", "17"})
# Date-time AIs biip also validates as dates (YYMMDD + more).
DATETIME_AIS = frozenset({"4324", "4325", "4326", "7003", "7006", "7007", "7011", "8008"})


@lru_cache(maxsize=8192)
def gs1_date(yymmdd: str) -> date:
    """A GS1 YYMMDD date (DD=00 is the last day of the month), century per GS1 GenSpecs 7.12.

    Raises ValueError for anything that is not a calendar date."""
    if len(yymmdd) != 6 or not (yymmdd.isascii() and yymmdd.isdigit()):
        raise ValueError(yymmdd)
    yy, month, day = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    current = datetime.now(UTC).year
    century = current - current % 100
    diff = yy - current % 100
    if diff >= 51:
        century -= 100
    elif diff <= -50:
        century += 100
    year = century + yy
    if not 1 <= month <= 12:
        raise ValueError(yymmdd)
    if day == 0:
        day = calendar.monthrange(year, month)[1]
    return date(year, month, day)


def gs1_date_string(value: date) -> str:
    """YYMMDD for a date (the inverse of `gs1_date` inside the GS1 century window)."""
    return f"{value.year % 100:02d}{value.month:02d}{value.day:02d}"


def _error(code: str, message: str, raw: str, **details: str) -> CodeError:
    return CodeError(code, message, raw=raw, details=details)


# GTINs repeat (a warehouse sees a few thousand products): remember which passed the check.
_GOOD_GTINS: set[str] = set()


def check_gtin14(gtin: str, raw: str) -> str:
    """`gtin` if it is 14 digits with a right check digit; else the precise CodeError."""
    if gtin in _GOOD_GTINS:
        return gtin
    if len(gtin) != 14 or not (gtin.isascii() and gtin.isdigit()):
        raise _error("bad_gtin", _("The GTIN must have 14 digits."), raw, gtin=gtin)
    if not has_valid_check_digit(gtin):
        raise _error("bad_check_digit", _("The check digit of the GTIN is wrong."), raw, gtin=gtin)
    if len(_GOOD_GTINS) > 200_000:
        _GOOD_GTINS.clear()
    _GOOD_GTINS.add(gtin)
    return gtin


def check_sscc(sscc: str, raw: str) -> str:
    if len(sscc) != 18 or not (sscc.isascii() and sscc.isdigit()):
        raise _error("bad_sscc", _("The SSCC must have 18 digits."), raw, sscc=sscc)
    if not has_valid_check_digit(sscc):
        raise _error("bad_check_digit", _("The check digit of the SSCC is wrong."), raw, sscc=sscc)
    return sscc


def check_serial(serial: str, raw: str) -> str:
    if SERIAL_RE.fullmatch(serial) is None:
        raise _error(
            "bad_serial",
            _("The serial number must be 1 to 20 characters of the GS1 character set."),
            raw,
            serial=serial[:40],
        )
    return serial


def _check_value(ai: str, value: str, raw: str) -> None:
    """Any other AI: the value must match the GS1 syntax of that AI."""
    pattern = AI_PATTERNS.get(ai)
    if pattern is None:
        raise _error("unknown_format", _("Unknown GS1 application identifier."), raw, ai=ai)
    if pattern.fullmatch(ai + value) is None:
        if ai in DATE_AIS or ai in DATETIME_AIS:
            raise _error("bad_date", _("The date is not a valid calendar date."), raw, ai=ai, value=value)
        raise _error(
            "unknown_format", _("A GS1 element has a value of the wrong form."), raw, ai=ai, value=value[:40]
        )
    if ai in DATETIME_AIS:
        try:
            gs1_date(value[:6])
        except ValueError:
            raise _error(
                "bad_date", _("The date is not a valid calendar date."), raw, ai=ai, value=value
            ) from None


def date_value(ai: str, value: str, raw: str) -> date:
    try:
        return gs1_date(value)
    except ValueError:
        raise _error(
            "bad_date", _("The date is not a valid calendar date."), raw, ai=ai, value=value
        ) from None


def build_gs1(elements: list[tuple[str, str]], raw: str, source: str) -> ParsedCode:
    """One ParsedCode from GS1 element strings (AI, value), with every check verified.

    Identity is AI 00 (an SSCC) or AI 01 + AI 21 (an SGTIN); batch (10) and expiry (17)
    are data; everything else (91/92/93 verification tails, 11, 240, 710…) goes to `extra`.
    """
    values: dict[str, str] = {}
    for ai, value in elements:
        seen = values.get(ai)
        if seen is None:
            values[ai] = value
        elif seen != value:
            raise conflicting(ai, raw)
    return build_gs1_values(values, raw, source)


def conflicting(ai: str, raw: str) -> CodeError:
    return _error("unknown_format", _("The code holds two different values for one element."), raw, ai=ai)


def build_gs1_values(
    values: dict[str, str], raw: str, source: str, *, syntax_checked: bool = False
) -> ParsedCode:
    """`build_gs1` for element strings already in a dict by AI (consumed: pass a fresh dict).

    `syntax_checked`: the caller's tokenizer already matched every value against its AI's
    syntax (the fast path); check digits and calendar dates are verified all the same."""
    if not values:
        raise _error("empty", _("The code is empty."), raw)
    sscc = values.pop("00", None)
    gtin = values.pop("01", None)
    serial = values.pop("21", None)
    batch = values.pop("10", None)
    expiry_raw = values.pop("17", None)

    if sscc is not None:
        check_sscc(sscc, raw)
    if gtin is not None:
        check_gtin14(gtin, raw)
    if not syntax_checked:
        if serial is not None:
            check_serial(serial, raw)
        if batch is not None and SERIAL_RE.fullmatch(batch) is None:
            raise _error("unknown_format", _("The batch number has a wrong form."), raw, ai="10")
    expiry = date_value("17", expiry_raw, raw) if expiry_raw is not None else None
    for ai, value in values.items():
        if ai in DATE_AIS:
            date_value(ai, value, raw)
        elif not syntax_checked:
            _check_value(ai, value, raw)

    if sscc is not None:
        # A logistic unit: the SSCC is the identity even if the label also names its content.
        extra = values
        if gtin is not None:
            extra["01"] = gtin
        if serial is not None:
            extra["21"] = serial
        return new_parsed(
            kind=CodeKind.SSCC,
            key="00/" + sscc,
            sscc=sscc,
            batch=batch,
            expiry=expiry,
            extra=extra,
            raw=raw,
            source=source,
        )
    if gtin is None:
        raise _error("unknown_format", _("The code names neither a GTIN nor an SSCC."), raw)
    if serial is None:
        raise _error(
            "missing_serial",
            _("The code has a GTIN but no serial number (AI 21): it does not identify one package."),
            raw,
            gtin=gtin,
        )
    return new_parsed(
        kind=CodeKind.SGTIN,
        key=f"01/{gtin}/21/{serial}",
        gtin=gtin,
        serial=serial,
        batch=batch,
        expiry=expiry,
        extra=values,
        raw=raw,
        source=source,
    )
