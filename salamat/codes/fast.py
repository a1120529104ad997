"""The strict fast path for the dominant forms (pure).

biip reads ~3,000 codes/s; a warehouse request carries 10,000–50,000. Almost all of them
are a GS1 DataMatrix element string (01 + 21, maybe 10/17/11 and the 91/92/93 verification
tails, any order, GS-separated) or a GS1 Digital Link URI on 01/21. These functions read
exactly those, with every check (check digits, dates, character set) done by `build_gs1`,
and return None for anything else so that the caller falls back to biip. The property tests
prove that both paths agree wherever the fast path answers.
"""

from __future__ import annotations

from urllib.parse import unquote

from salamat.codes.gs1 import AI_TABLE, build_gs1
from salamat.codes.model import ParsedCode

GS = "\x1d"
_FIXED = {"00": 18, "01": 14, "11": 6, "15": 6, "16": 6, "17": 6}
_VARIABLE = {"10": 20, "21": 20, "91": 90, "92": 90, "93": 90}
_DL_PRIMARY = frozenset({"01", "00"})
_DL_QUALIFIERS = frozenset({"01", "00", "10", "21", "22"})
# Every primary key biip knows in a Digital Link path: the first one found ends the prefix.
_DL_ALL_PRIMARY = frozenset({"01", "8006", "8013", "8010", "414", "415", "417", "8017", "8018"})
_DL_ALL_PRIMARY |= {"255", "00", "253", "401", "402", "8003", "8004"}


def element_string(s: str, raw: str) -> ParsedCode | None:
    """An element string of the common AIs with GS separators, or None (not for us)."""
    if not s.isascii():
        return None
    n = len(s)
    i = 0
    elements: list[tuple[str, str]] = []
    while i < n:
        ai = s[i : i + 2]
        length = _FIXED.get(ai)
        if length is not None:
            end = i + 2 + length
            value = s[i + 2 : end]
            if len(value) != length or not value.isdigit():
                return None
        else:
            limit = _VARIABLE.get(ai)
            if limit is None:
                return None
            end = s.find(GS, i + 2)
            if end < 0:
                end = n
            value = s[i + 2 : end]
            # Too long: biip's reading (take the maximum, go on) may still make sense of it.
            if not value or len(value) > limit:
                return None
        elements.append((ai, value))
        i = end
        while i < n and s[i] == GS:
            i += 1
    if not elements:
        return None
    return build_gs1(elements, raw, "element_string")


def digital_link(s: str, raw: str) -> ParsedCode | None:
    """A GS1 Digital Link URI on 01 or 00 (any host, any path prefix), or None."""
    if not s.isascii():
        return None
    scheme_end = s.find("://")
    if scheme_end < 0:
        return None
    rest = s[scheme_end + 3 :]
    hash_at = rest.find("#")
    if hash_at >= 0:
        rest = rest[:hash_at]
    query = ""
    query_at = rest.find("?")
    if query_at >= 0:
        query = rest[query_at + 1 :]
        rest = rest[:query_at]
    slash = rest.find("/")
    if slash < 0:
        return None
    segments = rest[slash + 1 :].split("/")
    if segments[-1] == "":
        segments.pop()
    start = next((i for i, segment in enumerate(segments) if segment in _DL_ALL_PRIMARY), -1)
    if start < 0:
        return None
    if segments[start] not in _DL_PRIMARY or (len(segments) - start) % 2:
        return None
    elements: list[tuple[str, str]] = []
    for k in range(start, len(segments), 2):
        ai = segments[k]
        if ai not in _DL_QUALIFIERS or (k > start and ai in _DL_PRIMARY):
            return None
        value = segments[k + 1]
        if "%" in value:
            value = unquote(value)
        if ai == "01" and len(value) in (8, 12, 13):
            value = value.zfill(14)
        elements.append((ai, value))
    if query:
        for part in query.split("&"):
            key, _eq, value = part.partition("=")
            # Non-AI parameters (linkType, utm_…) are not data; an empty value is no value.
            if not value or key not in AI_TABLE:
                continue
            elements.append((key, unquote(value) if "%" in value else value))
    return build_gs1(elements, raw, "digital_link")
