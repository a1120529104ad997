"""ISO/IEC 15434 envelopes (pure): ``[)>`` RS ``06`` GS field GS field … RS EOT.

Format 06 carries ASC MH10.8.2 data identifiers (DI): each field is a DI — up to three digits
and one capital letter (``9N``, ``1T``, ``D``, ``S``, ``16D``…) — followed by its value. The
fields may come in any order; the format trailer (RS) and the message trailer (EOT) are often
dropped by scanners, and a symbology identifier (``]d2``, ``]Q3``) may stand in front. Format
05 carries GS1 element strings and is handed to the GS1 parser.

Keyboard-wedge scanners and people type the control characters as text: ``<RS>``, ``<GS>``,
``<EOT>`` (any case, also in braces or brackets) and the Unicode control pictures ␞ ␝ ␄ are read
as RS, GS and EOT, but only when the string holds no real control character.
"""

from __future__ import annotations

import re

RS, GS, EOT = "\x1e", "\x1d", "\x04"
HEADER = "[)>"

_STAND_INS = re.compile(r"[<{\[](RS|GS|EOT)[>}\]]|\\x1[deDE]|\\x04|[\u241e\u241d\u2404]", re.IGNORECASE)
_CONTROL = {"rs": RS, "gs": GS, "eot": EOT, "\u241e": RS, "\u241d": GS, "\u2404": EOT}
_ESCAPES = {"\\x1e": RS, "\\x1d": GS, "\\x04": EOT}
_DI = re.compile(r"([0-9]{0,3}[A-Z])")


class EnvelopeError(ValueError):
    """The string starts like an envelope but is not a well-formed one; `.code` says why."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(detail or code)
        self.code = code


def _control(m: re.Match[str]) -> str:
    text = m.group(0)
    if m.group(1):
        return _CONTROL[m.group(1).lower()]
    return _ESCAPES.get(text.lower()) or _CONTROL[text]


def restore_controls(s: str) -> str:
    """`s` with textual stand-ins for RS/GS/EOT turned into the characters (when it has none)."""
    if RS in s or GS in s:
        return s
    return _STAND_INS.sub(_control, s)


def parse_envelope(s: str) -> tuple[str, list[tuple[str, str]]]:
    """(format, fields) of an envelope that starts `s` (symbology identifier already removed).

    Format 06: fields are (DI, value) pairs in the order written; format 05: ("", element
    string) pairs, one per GS-separated element. Raises EnvelopeError when malformed."""
    s = restore_controls(s)
    if not s.startswith(HEADER + RS):
        raise EnvelopeError("bad_envelope", "no [)> RS header")
    body = s[len(HEADER) + 1 :]
    # The message ends at EOT; the format ends at RS (both optional).
    body = body.split(EOT, 1)[0]
    end = body.find(RS)
    if end >= 0:
        if body[end + 1 :].strip():
            raise EnvelopeError("bad_envelope", "only one format per envelope is read")
        body = body[:end]
    parts = body.split(GS)
    fmt = parts[0]
    if fmt not in ("05", "06"):
        raise EnvelopeError("bad_envelope", f"format {fmt[:4]!r} is not read")
    fields: list[tuple[str, str]] = []
    for part in parts[1:]:
        if not part:
            continue  # doubled GS
        if fmt == "05":
            fields.append(("", part))
            continue
        m = _DI.match(part)
        if m is None or len(part) == m.end():
            raise EnvelopeError("bad_envelope", f"field {part[:12]!r} has no data identifier or no value")
        fields.append((m.group(1), part[m.end() :]))
    if not fields:
        raise EnvelopeError("bad_envelope", "the envelope holds no field")
    return fmt, fields


def render_envelope(fields: list[tuple[str, str]], *, trailer: bool = True) -> str:
    """An ISO/IEC 15434 format-06 envelope of (DI, value) pairs, with or without RS EOT."""
    body = HEADER + RS + "06" + "".join(GS + di + value for di, value in fields)
    return body + (RS + EOT if trailer else "")
