"""The biip path (pure): the reference GS1 interpreter and the fallback for unusual forms.

biip splits the string into element strings; `build_gs1` applies the same checks as on the
fast path. biip's own errors are mapped to our error codes by the AI they name.
"""

from __future__ import annotations

import re

from biip import ParseConfig
from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from biip.gs1_messages import GS1Message

from salamat.codes.gs1 import DATE_AIS, DATETIME_AIS, build_gs1
from salamat.codes.model import CodeError, ParsedCode
from salamat.core.i18n import gettext as _

_CONFIG = ParseConfig(separator_chars=("\x1d",))
_AI_IN_MESSAGE = re.compile(r"GS1 AI \((\d+)\)")


def _mapped(exc: Exception, raw: str) -> CodeError:
    """Our error for a biip failure, decided by the AI biip names (if any)."""
    text = str(exc)
    match = _AI_IN_MESSAGE.search(text)
    ai = match.group(1) if match else ""
    if ai in DATE_AIS or ai in DATETIME_AIS:
        return CodeError("bad_date", _("The date is not a valid calendar date."), raw=raw, details={"ai": ai})
    if ai == "01":
        return CodeError("bad_gtin", _("The GTIN must have 14 digits."), raw=raw, details={"ai": ai})
    if ai == "00":
        return CodeError("bad_sscc", _("The SSCC must have 18 digits."), raw=raw, details={"ai": ai})
    if ai == "21":
        return CodeError(
            "bad_serial",
            _("The serial number must be 1 to 20 characters of the GS1 character set."),
            raw=raw,
            details={"ai": ai},
        )
    details = {"ai": ai} if ai else {}
    return CodeError("unknown_format", _("This is not a package code we can read."), raw=raw, details=details)


def element_string(s: str, raw: str) -> ParsedCode:
    """An element string (GS separators already normalised) read by biip."""
    try:
        message = GS1Message.parse(s, config=_CONFIG)
    except Exception as exc:  # noqa: BLE001 - biip is a boundary: any failure means unreadable
        raise _mapped(exc, raw) from None
    elements = [(e.ai.ai, e.value) for e in message.element_strings]
    return build_gs1(elements, raw, "element_string")


def hri(s: str, raw: str) -> ParsedCode:
    """The human-readable form ``(01)…(21)…`` read by biip."""
    try:
        message = GS1Message.parse_hri(s, config=_CONFIG)
    except Exception as exc:  # noqa: BLE001 - biip is a boundary: any failure means unreadable
        raise _mapped(exc, raw) from None
    elements = [(e.ai.ai, e.value) for e in message.element_strings]
    return build_gs1(elements, raw, "hri")


def digital_link(s: str, raw: str) -> ParsedCode:
    """A GS1 Digital Link URI read by biip (the compressed form is not supported: unknown_format)."""
    try:
        uri = GS1DigitalLinkURI.parse(s, config=_CONFIG)
    except Exception as exc:  # noqa: BLE001 - biip is a boundary: any failure means unreadable
        raise _mapped(exc, raw) from None
    elements = [(e.ai.ai, e.value) for e in uri.element_strings]
    return build_gs1(elements, raw, "digital_link")
