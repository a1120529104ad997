"""EPC pure-identity URNs (GS1 EPC Tag Data Standard §6.3) — parse and render (pure).

``urn:epc:id:sgtin:<company prefix>.<indicator + item reference>.<serial>`` and
``urn:epc:id:sscc:<company prefix>.<extension + serial reference>``. The URN splits the GTIN
at the company prefix, whose length (6–12 digits) is not in the GTIN itself: rendering needs
it as a parameter, parsing reads it from the URN. Tag URNs (``urn:epc:tag:sgtin-96:<filter>.…``)
are read too. The serial escapes ``" % & / < > ?`` as %XX.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from salamat.codes.checkdigit import gs1_check_digit
from salamat.codes.gs1 import check_serial
from salamat.codes.model import CodeError, CodeKind, ParsedCode
from salamat.core.i18n import gettext as _

_ESCAPE = {'"': "%22", "%": "%25", "&": "%26", "/": "%2F", "<": "%3C", ">": "%3E", "?": "%3F"}
_DIGITS = re.compile(r"[0-9]+")


def _bad(code: str, raw: str) -> CodeError:
    messages = {
        "bad_gtin": _("The EPC URN does not hold a valid GTIN."),
        "bad_sscc": _("The EPC URN does not hold a valid SSCC."),
        "unknown_format": _("This EPC URN is not an SGTIN or an SSCC."),
    }
    return CodeError(code, messages[code], raw=raw)


def _digits(value: str) -> bool:
    return value.isascii() and _DIGITS.fullmatch(value) is not None


def parse_epc_urn(s: str, raw: str) -> ParsedCode:
    """An SGTIN or SSCC from its EPC URN (pure identity or tag URN)."""
    lower = s[:32].lower()
    if lower.startswith("urn:epc:id:sgtin:"):
        return _sgtin(s[17:].split(".", 2), raw)
    if lower.startswith("urn:epc:id:sscc:"):
        return _sscc(s[16:].split("."), raw)
    for scheme in ("sgtin-96:", "sgtin-198:"):
        if lower.startswith("urn:epc:tag:" + scheme):
            parts = s[12 + len(scheme) :].split(".", 3)
            if len(parts) != 4 or not _digits(parts[0]):
                raise _bad("bad_gtin", raw)
            return _sgtin(parts[1:], raw)
    if lower.startswith("urn:epc:tag:sscc-96:"):
        parts = s[20:].split(".")
        if len(parts) != 3 or not _digits(parts[0]):
            raise _bad("bad_sscc", raw)
        return _sscc(parts[1:], raw)
    raise _bad("unknown_format", raw)


def _sgtin(parts: list[str], raw: str) -> ParsedCode:
    if len(parts) != 3:
        raise _bad("bad_gtin", raw)
    company, item, serial = parts
    if (
        not (_digits(company) and _digits(item))
        or len(company) + len(item) != 13
        or not 6 <= len(company) <= 12
    ):
        raise _bad("bad_gtin", raw)
    body = item[0] + company + item[1:]
    gtin = body + str(gs1_check_digit(body))
    serial = check_serial(unquote(serial) if "%" in serial else serial, raw)
    return ParsedCode(
        kind=CodeKind.SGTIN,
        key=f"01/{gtin}/21/{serial}",
        gtin=gtin,
        serial=serial,
        raw=raw,
        source="epc_urn",
    )


def _sscc(parts: list[str], raw: str) -> ParsedCode:
    if len(parts) != 2:
        raise _bad("bad_sscc", raw)
    company, reference = parts
    if (
        not (_digits(company) and _digits(reference))
        or len(company) + len(reference) != 17
        or not 6 <= len(company) <= 12
    ):
        raise _bad("bad_sscc", raw)
    body = reference[0] + company + reference[1:]
    sscc = body + str(gs1_check_digit(body))
    return ParsedCode(kind=CodeKind.SSCC, key="00/" + sscc, sscc=sscc, raw=raw, source="epc_urn")


def render_epc_urn(parsed: ParsedCode, company_prefix_length: int = 7) -> str:
    """The pure-identity EPC URN of an SGTIN or SSCC; the company prefix length (6–12) is
    the one GS1 assigned to the brand owner (the registry knows it per product)."""
    if not 6 <= company_prefix_length <= 12:
        raise ValueError("company_prefix_length must be between 6 and 12")
    n = company_prefix_length
    if parsed.kind == CodeKind.SGTIN and parsed.gtin and parsed.serial:
        gtin = parsed.gtin
        serial = "".join(_ESCAPE.get(c, c) for c in parsed.serial)
        return f"urn:epc:id:sgtin:{gtin[1 : 1 + n]}.{gtin[0]}{gtin[1 + n : 13]}.{serial}"
    if parsed.kind == CodeKind.SSCC and parsed.sscc:
        sscc = parsed.sscc
        return f"urn:epc:id:sscc:{sscc[1 : 1 + n]}.{sscc[0]}{sscc[1 + n : 17]}"
    raise ValueError(f"no EPC URN for a {parsed.kind} code")
