"""Hypothesis strategies for package codes: valid SGTINs/SSCCs and the many ways to write them."""

from __future__ import annotations

import string
from datetime import date

from hypothesis import strategies as st

from salamat.codes.checkdigit import gs1_check_digit
from salamat.codes.model import CodeKind, ParsedCode

# GS1 AI encodable character set 82.
CSET82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"

GS = "\x1d"
# Stand-ins a misconfigured scanner types for GS, and the symbology identifiers of GS1 data.
SEPARATORS = [
    GS,
    "<GS>",
    "{GS}",
    "[GS]",
    "\\x1d",
    "\\\\x1d",
    "\\u001d",
    "^]",
    "~",
    "|",
    "^",
    "#",
    "@",
    "\u241d",
]
TEXTUAL_SEPARATORS = [s for s in SEPARATORS if len(s) > 1]
SYMBOLOGIES = ["", "]d2", "]C1", "]Q3", "]e0"]


def _with_check(body: str) -> str:
    return body + str(gs1_check_digit(body))


gtin14 = st.text("0123456789", min_size=13, max_size=13).map(_with_check)
sscc18 = st.text("0123456789", min_size=17, max_size=17).map(_with_check)
serials = st.text(CSET82, min_size=1, max_size=20)
batches = st.text(CSET82, min_size=1, max_size=20)
# Dates inside the GS1 two-digit-year window (−49…+50 years around today) with room to spare.
dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2069, 12, 31))
tails = st.text(CSET82, min_size=1, max_size=90)


def _yymmdd(d: date) -> str:
    return f"{d.year % 100:02d}{d.month:02d}{d.day:02d}"


extras = st.fixed_dictionaries(
    {},
    optional={
        "91": st.text(CSET82, min_size=1, max_size=8),
        "92": tails,
        "93": st.text(CSET82, min_size=1, max_size=20),
        "11": dates.map(_yymmdd),
        "240": st.text(CSET82, min_size=1, max_size=30),
        "710": st.text(CSET82, min_size=1, max_size=20),
    },
)
pallet_extras = st.fixed_dictionaries(
    {},
    optional={"02": gtin14, "37": st.integers(1, 10**8 - 1).map(str)},
)


@st.composite
def sgtins(draw, *, with_extras: bool = True) -> ParsedCode:
    gtin = draw(gtin14)
    serial = draw(serials)
    return ParsedCode(
        kind=CodeKind.SGTIN,
        key=f"01/{gtin}/21/{serial}",
        gtin=gtin,
        serial=serial,
        batch=draw(st.none() | batches),
        expiry=draw(st.none() | dates),
        extra=draw(extras) if with_extras else {},
    )


@st.composite
def ssccs(draw) -> ParsedCode:
    sscc = draw(sscc18)
    return ParsedCode(
        kind=CodeKind.SSCC,
        key=f"00/{sscc}",
        sscc=sscc,
        batch=draw(st.none() | batches),
        expiry=draw(st.none() | dates),
        extra=draw(pallet_extras),
    )


def elements_of(code: ParsedCode) -> list[tuple[str, str]]:
    """(AI, value) pairs of a code, in no particular order."""
    out = [("00", code.sscc)] if code.kind == CodeKind.SSCC else [("01", code.gtin), ("21", code.serial)]
    if code.batch is not None:
        out.append(("10", code.batch))
    if code.expiry is not None:
        out.append(("17", _yymmdd(code.expiry)))
    out.extend(code.extra.items())
    return out  # type: ignore[return-value]


FIXED_LENGTH = {"00", "01", "02", "11", "17"}


@st.composite
def element_strings(draw, code: ParsedCode, *, separator: str | None = None) -> str:
    """The code as a scanner could send it: any AI order, a separator (or its stand-in) after
    each variable-length element but the last (and sometimes after fixed ones too), with or
    without a symbology identifier."""
    elements = draw(st.permutations(elements_of(code)))
    sep = separator if separator is not None else draw(st.sampled_from(SEPARATORS))
    parts = []
    for i, (ai, value) in enumerate(elements):
        parts.append(ai + value)
        last = i == len(elements) - 1
        if not last and (ai not in FIXED_LENGTH or draw(st.integers(0, 4)) == 0):
            parts.append(sep)
    return draw(st.sampled_from(SYMBOLOGIES)) + "".join(parts)


hosts = st.sampled_from(
    ["https://id.gs1.org", "https://example.com", "http://pharma.example.kg:8080", "HTTPS://QR.EXAMPLE.ORG"]
) | st.builds(
    lambda sub, path: f"https://{sub}.example.com{path}",
    st.text(string.ascii_lowercase, min_size=1, max_size=10),
    st.sampled_from(["", "/dl", "/a/b", "/gtin-link"]),
)
