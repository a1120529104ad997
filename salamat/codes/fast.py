"""The strict fast path for the dominant forms (pure).

biip reads ~3,000 codes/s; a warehouse request carries 10,000–50,000. Almost all of them
are a GS1 DataMatrix element string (01 + 21, maybe 10/17/11 and the 91/92/93 verification
tails, any order, GS-separated) or a GS1 Digital Link URI on 01/21. These functions read
exactly those, with every check (check digits, dates, character set) done by `build_gs1`,
and return None for anything else so that the caller falls back to biip. The property tests
prove that both paths agree wherever the fast path answers.
"""

from __future__ import annotations

import re
from itertools import repeat
from operator import itemgetter
from typing import NamedTuple

from salamat.codes.gs1 import (
    _GOOD_GTINS,
    AI_TABLE,
    build_gs1,
    build_gs1_values,
    check_gtin14,
    check_serial,
    conflicting,
    gs1_date,
)
from salamat.codes.model import CodeError, CodeKind, ParsedCode

_new_object = object.__new__

GS = "\x1d"
_DL_PRIMARY = frozenset({"01", "00"})
_DL_QUALIFIERS = frozenset({"01", "00", "10", "21", "22"})
# Every primary key biip knows in a Digital Link path: the first one found ends the prefix.
_DL_ALL_PRIMARY = frozenset({"01", "8006", "8013", "8010", "414", "415", "417", "8017", "8018"})
_DL_ALL_PRIMARY |= {"255", "00", "253", "401", "402", "8003", "8004"}


# One token = one element string of a common AI, with the GS that ends it. Group numbers
# say which AI matched (`lastindex`). Variable-length values must end at GS or at the end of
# the string: a longer one, or one with a character outside set 82, is not ours to judge.
_C82 = r"[!\"%-?A-Z_a-z]"
_END = r"(?=\x1d|\Z)"
_FAST_AIS = [
    # Package and pallet identity, dates, batch and serial.
    ("01", "[0-9]{14}"),
    ("21", _C82 + "{1,20}" + _END),
    ("10", _C82 + "{1,20}" + _END),
    ("17", "[0-9]{6}"),
    ("11", "[0-9]{6}"),
    ("15", "[0-9]{6}"),
    ("16", "[0-9]{6}"),
    ("00", "[0-9]{18}"),
    # Pallet labels: content GTIN and count.
    ("02", "[0-9]{14}"),
    ("37", "[0-9]{1,8}" + _END),
    # Verification tails (EAEU crypto codes) and national reimbursement numbers.
    ("91", _C82 + "{1,90}" + _END),
    ("92", _C82 + "{1,90}" + _END),
    ("93", _C82 + "{1,90}" + _END),
    ("240", _C82 + "{1,30}" + _END),
    ("241", _C82 + "{1,30}" + _END),
    *[(f"71{d}", _C82 + "{1,20}" + _END) for d in "012345"],
]
_TOKEN = re.compile("(?:" + "|".join(f"{ai}({pattern})" for ai, pattern in _FAST_AIS) + ")\x1d*")
_TOKEN_AI: tuple[str, ...] = ("", *(ai for ai, _pattern in _FAST_AIS))
_C82_RUN = re.compile(_C82 + "*")


def element_string(s: str, raw: str) -> ParsedCode | None:
    """An element string of the common AIs with GS separators, or None (not for us)."""
    if not s.isascii():
        return None
    n = len(s)
    pos = 0
    values: dict[str, str] = {}
    match = _TOKEN.match
    while pos < n:
        m = match(s, pos)
        if m is None:
            if s.startswith("21", pos):
                _serial_beyond_repair(s, pos, raw)
            return None
        pos = m.end()
        group = m.lastindex or 0
        ai = _TOKEN_AI[group]
        value = m.group(group)
        if values.setdefault(ai, value) != value:
            raise conflicting(ai, raw)
    if not values:
        return None
    return build_gs1_values(values, raw, "element_string", syntax_checked=True)


_HRI_PART = re.compile(r"\((\d{2,4})\)([^(]+)")


def hri(s: str, raw: str) -> ParsedCode | None:
    """The human-readable form ``(01)…(21)…`` (whitespace ignored, as biip does), or None."""
    s = "".join(s.split())
    pos = 0
    values: dict[str, str] = {}
    for m in _HRI_PART.finditer(s):
        ai, value = m.groups()
        if m.start() != pos or ai not in AI_TABLE:
            return None
        if values.setdefault(ai, value) != value:
            raise conflicting(ai, raw)
        pos = m.end()
    if pos != len(s) or not values:
        return None
    return build_gs1_values(values, raw, "hri")


def _serial_beyond_repair(s: str, pos: int, raw: str) -> None:
    """A serial holding a character outside set 82 is wrong whichever way it is split
    (biip would stop at that character and fail on "no such AI")."""
    end = s.find(GS, pos + 2)
    value = s[pos + 2 : end if end >= 0 else len(s)]
    if value and _C82_RUN.fullmatch(value) is None:
        check_serial(value, raw)


_HEX = {f"{i:02x}": chr(i) for i in range(128)} | {f"{i:02X}": chr(i) for i in range(128)}
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def _unquote(value: str) -> str | None:
    """Percent-decoding for ASCII (urllib's unquote is general and slow); None when an
    escape encodes a byte >= 0x80 (never valid GS1 data: left to biip to refuse)."""
    parts = value.split("%")
    out = [parts[0]]
    for part in parts[1:]:
        char = _HEX.get(part[:2])
        if char is not None:
            out.append(char)
            out.append(part[2:])
        elif len(part) >= 2 and part[0] in _HEX_DIGITS and part[1] in _HEX_DIGITS:
            return None
        else:
            out.append("%" + part)  # not an escape: kept as typed, as unquote does
    return "".join(out)


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
            value = _unquote(value)
            if value is None:
                return None
        if ai == "01" and len(value) in (8, 12, 13):
            value = value.zfill(14)
        elements.append((ai, value))
    if query:
        for part in query.split("&"):
            key, _eq, value = part.partition("=")
            # Non-AI parameters (linkType, utm_…) are not data; an empty value is no value.
            if not value or key not in AI_TABLE:
                continue
            if "%" in value:
                value = _unquote(value)
                if value is None:
                    return None
            elements.append((key, value))
    return build_gs1(elements, raw, "digital_link")


# --- the leanest path: whole DataMatrix strings in the usual AI orders -----------------------
#
# A 10,000-code request is nearly all one shape: 01 + 21 (+ 17/11 + 10 + the 91/92/93 tails) in
# the order a printer lays them out. One `fullmatch` of the *raw* string per code, in one of two
# AI orders, yields every value at once; the ParsedCode is built directly. `lean` answers only
# when it is sure the full path (`parser._parse`) would return exactly the same ParsedCode:
# anything else — another order, a duplicate AI, a stand-in separator, surrounding whitespace,
# a bad check digit or date — gives None and the full path decides (with its precise error).
# The property tests compare both on generated, mutated and arbitrary strings.

# Set 82 without "<": "<GS>", "<FNC1>" and "<0x1D>" are read as separators by `normalise`.
_LC82 = r"[!\"%-;=-?A-Z_a-z]"
_LEAN_VALUE = {
    "21": f"({_LC82}{{1,20}})(?=\x1d|\\Z)",
    "10": f"({_LC82}{{1,20}})(?=\x1d|\\Z)",
    "17": "([0-9]{6})",
    "11": "([0-9]{6})",
    "91": f"({_LC82}{{1,90}})(?=\x1d|\\Z)",
    "92": f"({_LC82}{{1,90}})(?=\x1d|\\Z)",
    "93": f"({_LC82}{{1,90}})(?=\x1d|\\Z)",
}
# Serial right after the GTIN (EAEU style), or the order `render_element_string` prints.
_LEAN_ORDERS = (("21", "17", "11", "10", "91", "92", "93"), ("17", "11", "10", "21", "91", "92", "93"))


def _lean_regex(order: tuple[str, ...]) -> re.Pattern[str]:
    tokens = "".join(
        f"{ai}{_LEAN_VALUE[ai]}\x1d*" if ai == "21" and i == 0 else f"(?:{ai}{_LEAN_VALUE[ai]}\x1d*)?"
        for i, ai in enumerate(order)
    )
    return re.compile(r"(?:\][A-Za-z][0-9])?01([0-9]{14})\x1d*" + tokens)


# Per order: its regex, the group numbers of (GTIN, 21, 10, 17, 11) for one `group()` call,
# and those of the tails 91/92/93.
_LEAN = {
    order[0]: (
        _lean_regex(order),
        (1, *(order.index(ai) + 2 for ai in ("21", "10", "17", "11"))),
        tuple(order.index(ai) + 2 for ai in ("91", "92", "93")),
    )
    for order in _LEAN_ORDERS
}
_TAIL_AIS = ("91", "92", "93")
_SGTIN = CodeKind.SGTIN
_set_state = object.__setattr__


def _lean_match(raw: str):
    """The fullmatch of a plain DataMatrix string in a usual AI order with its GTIN checked and
    its dates read: (match, tail groups, gtin, serial, batch, expiry date, made) or None."""
    if raw.__class__ is not str or len(raw) > 512:  # parser.MAX_LENGTH
        return None
    # The two characters after "01" + GTIN (and a possible symbology identifier) pick the order.
    # Called once per code of 50,000-code requests: one `group()` call for all the values.
    at = 19 if raw[:1] == "]" else 16
    found = _LEAN.get(raw[at : at + 2]) or _LEAN["17"]
    m = found[0].fullmatch(raw)
    if m is None:
        return None
    gtin, serial, batch, expiry, made = m.group(*found[1])
    if serial is None:
        return None
    if gtin not in _GOOD_GTINS:
        try:
            check_gtin14(gtin, raw)
        except CodeError:
            return None
    try:
        if expiry is not None:
            expiry = gs1_date(expiry)
        if made is not None:
            gs1_date(made)  # kept as text in `extra`, verified as a calendar date all the same
    except ValueError:
        return None
    return m, found[2], gtin, serial, batch, expiry, made


def lean_key(raw: str) -> str | None:
    """`lean(raw).key` without building the ParsedCode, or None exactly when `lean` answers None
    (for operations on known packages, which need only the key)."""
    found = _lean_match(raw)
    return None if found is None else f"01/{found[2]}/21/{found[3]}"


def lean(raw: str) -> ParsedCode | None:
    """The ParsedCode of a plain DataMatrix string in a usual AI order, or None (ask `parse`)."""
    found = _lean_match(raw)
    if found is None:
        return None
    m, tail_groups, gtin, serial, batch, expiry, made = found
    extra = {} if made is None else {"11": made}
    tails = m.group(*tail_groups)
    if tails != (None, None, None):
        for ai, value in zip(_TAIL_AIS, tails, strict=True):
            if value is not None:
                extra[ai] = value
    obj = _new_object(ParsedCode)
    _set_state(obj, "__dict__", {
        "kind": _SGTIN, "key": f"01/{gtin}/21/{serial}", "gtin": gtin, "serial": serial, "sscc": None,
        "batch": batch, "expiry": expiry, "scheme": None, "extra": extra, "raw": raw, "source": "element_string",
    })  # fmt: skip
    return obj


# --- the same in bulk: a request's codes by their shared part ---------------------------------
#
# `lean_key` costs 1.5–4 µs a code, mostly in the regex engine; a warehouse request is
# 10,000–50,000 codes that differ only in their serial: "01<gtin>17<date>10<batch><GS>21<serial>".
# So each code is split at its last "<GS>21" (one C-level pass), each distinct part before
# it is read ONCE by `lean` with a sample serial, and the serials are checked together by
# one regex over them all. This gives exactly `lean`'s answer: when `lean` reads
# P + "<GS>21" + "0" with "0" as the serial, it reads P + "<GS>21" + S for every S of 1–20
# characters of its serial set with S as the serial and everything else unchanged (no value
# holds a GS, so S can only be the serial's value, and the AI order is picked within P +
# "<GS>2"). Any other code — no "<GS>21", another shape, a bad serial — is read by `lean` itself.
# The tests compare both on generated, mutated and arbitrary codes.

_SERIAL_AT = GS + "21"
_SAMPLE_SERIAL = "0"
_SERIALS = re.compile(f"(?:{_LC82}{{1,20}}\n)*")
_SERIAL = re.compile(f"{_LC82}{{1,20}}")
_first, _last = itemgetter(0), itemgetter(2)


class _Split(NamedTuple):
    prefixes: list[str]  # per code: what comes before its last "<GS>21" ("" when none)
    serials: list[str]  # per code: what comes after it
    read: dict[str, ParsedCode | None]  # per distinct prefix: `lean` of it with the sample serial
    serials_ok: bool  # every serial has 1–20 characters of the set


def _split(raws: list[str]) -> _Split | None:
    """The codes split at their last "<GS>21" and each distinct prefix read; None when the
    codes are not all str (then `lean` judges each)."""
    if set(map(type, raws)) != {str}:
        return None
    parts = list(map(str.rpartition, raws, repeat(_SERIAL_AT, len(raws))))
    prefixes = list(map(_first, parts))
    serials = list(map(_last, parts))
    read = {
        p: lean(p + _SERIAL_AT + _SAMPLE_SERIAL) if p and len(p) + 23 <= 512 else None for p in set(prefixes)
    }  # parser.MAX_LENGTH: the longest serial must fit too
    text = "\n".join(serials) + "\n"
    # One line a serial: a serial holding a newline would pass as two good ones.
    ok = text.count("\n") == len(serials) and _SERIALS.fullmatch(text) is not None
    return _Split(prefixes, serials, read, ok)


def _fits(split: _Split, i: int) -> bool:
    """Whether code `i` is its prefix's reading with its own serial."""
    return split.read[split.prefixes[i]] is not None and (
        split.serials_ok or _SERIAL.fullmatch(split.serials[i]) is not None
    )


def lean_keys(raws: list[str]) -> list[str | None]:
    """`[lean_key(raw) for raw in raws]`, reading each distinct shape once (see above)."""
    split = _split(raws) if raws else None
    if split is None:
        return [lean_key(raw) for raw in raws]
    heads = {p: None if r is None else f"01/{r.gtin}/21/" for p, r in split.read.items()}
    if split.serials_ok and None not in heads.values():  # the usual request: every code fits
        if len(heads) == 1:
            return list(map(next(iter(heads.values())).__add__, split.serials))
        return list(map(str.__add__, map(heads.__getitem__, split.prefixes), split.serials))
    return [
        heads[split.prefixes[i]] + split.serials[i] if _fits(split, i) else lean_key(raw)
        for i, raw in enumerate(raws)
    ]


def lean_keys_joined(raws: list[str], sep: str) -> str | None:
    """`sep.join(lean_keys(raws))` when the codes are all of ONE shape (the usual request: a
    pallet of one batch) and every one is read; else None (then ask `lean_keys`). `sep` must be
    a character no serial may hold (a control character).

    No list of the codes' parts is built: the codes, joined by `sep`, are counted and checked by
    one regex (each one the first code's part before its serial, then a serial), and the keys
    are made by one join; ~0.15 µs a code against ~0.27 µs by `lean_keys` and 1.5–4 µs one by one. The
    serials' character set holds neither GS nor `sep`, so each code's last "<GS>21" is its
    shared part's own, as `_split` reads it."""
    if not raws or raws[0].__class__ is not str:
        return None
    prefix = raws[0].rpartition(_SERIAL_AT)[0]
    if not prefix or len(prefix) + 23 > 512:  # parser.MAX_LENGTH: the longest serial must fit too
        return None
    sample = lean(prefix + _SERIAL_AT + _SAMPLE_SERIAL)
    if sample is None:
        return None
    assert not re.fullmatch(_LC82, sep), "the separator must not be a serial's character"
    try:
        text = sep + sep.join(raws)
    except TypeError:  # a code that is not a str
        return None
    if text.count(sep) != len(raws):  # a code holding the separator would pass as two
        return None
    if re.fullmatch(f"(?:{re.escape(sep + prefix + _SERIAL_AT)}{_LC82}{{1,20}})*", text) is None:
        return None
    head = f"01/{sample.gtin}/21/"
    return head + (sep + head).join(map(itemgetter(slice(len(prefix) + 3, None)), raws))


def lean_many(raws: list[str]) -> list[ParsedCode | None]:
    """`[lean(raw) for raw in raws]`, reading each distinct shape once (see above)."""
    split = _split(raws) if raws else None
    if split is None:
        return [lean(raw) for raw in raws]
    out: list[ParsedCode | None] = []
    append = out.append
    read, prefixes, serials = split.read, split.prefixes, split.serials
    for i, raw in enumerate(raws):
        sample = read[prefixes[i]]
        if sample is None or not (split.serials_ok or _SERIAL.fullmatch(serials[i]) is not None):
            append(lean(raw))
            continue
        serial = serials[i]
        fields = sample.__dict__.copy()
        fields["serial"] = serial
        fields["key"] = f"01/{fields['gtin']}/21/{serial}"
        fields["raw"] = raw
        fields["extra"] = dict(fields["extra"]) if fields["extra"] else {}
        obj = _new_object(ParsedCode)
        _set_state(obj, "__dict__", fields)
        append(obj)
    return out


def lean_groups(raws: list[str]) -> list[tuple[ParsedCode, list[str]]] | None:
    """The codes by shape when `lean` reads every one of them: per distinct shape, what it says
    (`lean` of one code of the shape: GTIN, batch, expiry — the serial, key and raw are that
    code's) and the keys of its codes, in order; None when some code needs reading alone."""
    split = _split(raws) if raws else None
    if split is None or not split.serials_ok or None in split.read.values():
        return None
    if len(split.read) == 1:
        ((_prefix, sample),) = split.read.items()
        head = f"01/{sample.gtin}/21/"
        return [(sample, list(map(head.__add__, split.serials)))]
    keys: dict[str, list[str]] = {p: [] for p in split.read}
    for prefix, serial in zip(split.prefixes, split.serials, strict=True):
        keys[prefix].append(serial)
    out = []
    for prefix, serials in keys.items():
        sample = split.read[prefix]
        out.append((sample, list(map(f"01/{sample.gtin}/21/".__add__, serials))))
    return out
