"""Table-driven tests: real-world-looking codes and the precise error for each bad input."""

from __future__ import annotations

from datetime import date

import pytest

from salamat.codes import CodeError, CodeKind, SchemeSpec, parse, parse_many, parse_reference
from salamat.codes.sticker import sticker_serial_new

GTIN = "04601234567893"  # a GTIN-13 4601234567893 with its right check digit, padded
TAIL_92 = "dGhpcyBpcyBhIGNyeXB0byB0YWlsIG9mIDQ0IGNoYXJz"  # 44 characters as on EAEU pharma labels

VALID = [
    # Each: the raw string, then its key, batch, expiry and extra elements.
    pytest.param(
        f"]d201{GTIN}21ABC123\x1d17260531\x1d10LOT1",
        f"01/{GTIN}/21/ABC123",
        "LOT1",
        date(2026, 5, 31),
        {},
        id="datamatrix-symbology-id",
    ),
    pytest.param(
        f"01{GTIN}215!&aB3Cd\x1d91EE06\x1d92{TAIL_92}",
        f"01/{GTIN}/21/5!&aB3Cd",
        None,
        None,
        {"91": "EE06", "92": TAIL_92},
        id="eaeu-crypto-tails",
    ),
    pytest.param(
        f"\x1d01{GTIN}21XYZ\x1d10B/2",
        f"01/{GTIN}/21/XYZ",
        "B/2",
        None,
        {},
        id="leading-fnc1-as-gs",
    ),
    pytest.param(
        f"]C117261200\x1d10L\x1d01{GTIN}21S1",
        f"01/{GTIN}/21/S1",
        "L",
        date(2026, 12, 31),
        {},
        id="gs1-128-any-order-day-00",
    ),
    pytest.param(
        f"]Q301{GTIN}21S1~10L1~11250101", f"01/{GTIN}/21/S1", "L1", None, {"11": "250101"}, id="tilde"
    ),
    pytest.param(f"01{GTIN}21S1<GS>10L1", f"01/{GTIN}/21/S1", "L1", None, {}, id="text-GS"),
    pytest.param(f"01{GTIN}21S1{{GS}}10L1", f"01/{GTIN}/21/S1", "L1", None, {}, id="braces-GS"),
    pytest.param(f"01{GTIN}21S1\\x1d10L1", f"01/{GTIN}/21/S1", "L1", None, {}, id="escaped-x1d"),
    pytest.param(f"01{GTIN}21S1\\u001d10L1", f"01/{GTIN}/21/S1", "L1", None, {}, id="escaped-u001d"),
    pytest.param(f"01{GTIN}21S1|10L1", f"01/{GTIN}/21/S1", "L1", None, {}, id="pipe"),
    pytest.param(f"01{GTIN}21S1^10L1", f"01/{GTIN}/21/S1", "L1", None, {}, id="caret"),
    pytest.param(f"01{GTIN}21S1#10L1", f"01/{GTIN}/21/S1", "L1", None, {}, id="hash"),
    pytest.param(f"01{GTIN}21S1@10L1", f"01/{GTIN}/21/S1", "L1", None, {}, id="at"),
    pytest.param(
        f"01{GTIN}21S1\x1d240ADD-1\x1d710PZN123",
        f"01/{GTIN}/21/S1",
        None,
        None,
        {"240": "ADD-1", "710": "PZN123"},
        id="other-ais-via-biip",
    ),
    pytest.param(
        f" (01){GTIN} (21)ABC (17)270228 (10)L-9 ",
        f"01/{GTIN}/21/ABC",
        "L-9",
        date(2027, 2, 28),
        {},
        id="hri",
    ),
    pytest.param(
        f"https://pharma.example.kg/01/{GTIN}/21/ABC?17=260531&10=L1",
        f"01/{GTIN}/21/ABC",
        "L1",
        date(2026, 5, 31),
        {},
        id="digital-link-query",
    ),
    pytest.param(
        f"https://id.gs1.org/01/{GTIN[1:]}/10/L%2F1/21/A%2FB%26C?17=260500&linkType=gs1:pip",
        f"01/{GTIN}/21/A/B&C",
        "L/1",
        date(2026, 5, 31),
        {},
        id="digital-link-gtin13-path-batch-percent",
    ),
    pytest.param(
        f"HTTPS://QR.EXAMPLE.COM/SHOP/01/{GTIN}/21/ABC/",
        f"01/{GTIN}/21/ABC",
        None,
        None,
        {},
        id="digital-link-uppercase-prefix",
    ),
    pytest.param(
        "urn:epc:id:sgtin:4601234.056789.AB%2FC", f"01/{GTIN}/21/AB/C", None, None, {}, id="epc-sgtin"
    ),
    pytest.param(
        "urn:epc:tag:sgtin-96:3.4601234.056789.123", f"01/{GTIN}/21/123", None, None, {}, id="epc-tag"
    ),
    pytest.param("046012341234567895", "00/046012341234567895", None, None, {}, id="plain-sscc"),
    pytest.param("00046012341234567895", "00/046012341234567895", None, None, {}, id="ai-00"),
    pytest.param(
        "urn:epc:id:sscc:4601234.0123456789", "00/046012341234567895", None, None, {}, id="epc-sscc"
    ),
    pytest.param(
        "https://x.org/00/046012341234567895", "00/046012341234567895", None, None, {}, id="dl-sscc"
    ),
]


@pytest.mark.parametrize(("raw", "key", "batch", "expiry", "extra"), VALID)
def test_valid_codes(raw, key, batch, expiry, extra):
    for reader in (parse, parse_reference):
        parsed = reader(raw)
        assert (parsed.key, parsed.batch, parsed.expiry, parsed.extra) == (key, batch, expiry, extra)
        assert parsed.raw == raw


ERRORS = [
    pytest.param("", "empty", id="empty"),  # biip reads "" as an empty message without error
    pytest.param("  \r\n", "empty", id="blank"),
    pytest.param("]d2", "empty", id="symbology-only"),
    pytest.param("\x1d", "empty", id="gs-only"),
    pytest.param("0" * 513, "too_long", id="too-long"),
    pytest.param("hello world", "unknown_format", id="text"),
    pytest.param("\x00\x01\x02", "unknown_format", id="binary"),
    pytest.param("https://id.gs1.org/AQnYUc1gmiA", "unknown_format", id="compressed-digital-link"),
    pytest.param("https://example.com/", "unknown_format", id="url-without-key"),
    pytest.param("urn:epc:id:grai:4601234.12345.1", "unknown_format", id="epc-other"),
    pytest.param(f"01{GTIN}21S1~10L1|91X", "unknown_format", id="two-separator-kinds"),
    pytest.param(f"99{GTIN}", "unknown_format", id="no-gtin-no-sscc"),
    pytest.param(f"01{GTIN}21A\x1d21B", "unknown_format", id="two-serials"),
    pytest.param("]d2010460123456789521ABC123\x1d17260531\x1d10LOT1", "bad_check_digit", id="gtin-check"),
    pytest.param("4601234567894", "bad_check_digit", id="ean13-check"),
    pytest.param("046012341234567896", "bad_check_digit", id="sscc-check"),
    pytest.param("https://x.org/01/04601234567894/21/A", "bad_check_digit", id="dl-check"),
    pytest.param("4601234567893", "needs_sticker", id="ean13"),
    pytest.param("46012340", "needs_sticker", id="ean8"),
    pytest.param("]E04601234567893", "needs_sticker", id="ean13-with-symbology"),
    pytest.param(GTIN, "needs_sticker", id="gtin14"),
    pytest.param(f"01{GTIN}", "missing_serial", id="gtin-without-serial"),
    pytest.param(f"01{GTIN}17260531\x1d10L1", "missing_serial", id="gtin-batch-no-serial"),
    pytest.param(f"https://id.gs1.org/01/{GTIN}", "missing_serial", id="dl-product-only"),
    pytest.param(f"01{GTIN}21A\x1d17261301", "bad_date", id="month-13"),
    pytest.param(f"01{GTIN}172602302123", "bad_date", id="february-30"),
    pytest.param(f"01{GTIN}21A\x1d11250000", "bad_date", id="month-00"),
    pytest.param(f"https://x.org/01/{GTIN}/21/A?17=261301", "bad_date", id="dl-month-13"),
    pytest.param("0104601234567A9321A", "bad_gtin", id="gtin-letter"),
    pytest.param("urn:epc:id:sgtin:4601234.05678.1", "bad_gtin", id="epc-short"),
    pytest.param(f"01{GTIN}21ABCDEFGHIJKLMNOPQRSTUVWXYZ", "unknown_format", id="serial-too-long-no-gs"),
    pytest.param(f"01{GTIN}21AB C", "bad_serial", id="serial-space"),
    pytest.param(f"https://x.org/01/{GTIN}/21/%C3%A9", "bad_serial", id="dl-serial-non-ascii"),
    pytest.param(f"https://x.org/01/{GTIN}/21/" + "A" * 21, "bad_serial", id="dl-serial-21-chars"),
    pytest.param("https://salamat.kg/p/not-a-serial", "bad_serial", id="sticker-url-garbage"),
    pytest.param("000460123412345678", "bad_check_digit", id="18-digits-bad"),
    pytest.param("00046012341234567", "bad_sscc", id="ai00-short"),
    pytest.param("urn:epc:id:sscc:4601234.01234", "bad_sscc", id="epc-sscc-short"),
]


@pytest.mark.parametrize(("raw", "code"), ERRORS)
def test_each_bad_input_has_its_precise_error(raw, code):
    with pytest.raises(CodeError) as caught:
        parse(raw)
    assert caught.value.code == code
    assert caught.value.status_code == 422
    assert caught.value.message  # a human sentence, not just the code
    assert caught.value.details["raw"] == raw[:200]


def test_needs_sticker_names_the_gtin():
    with pytest.raises(CodeError) as caught:
        parse("4601234567893")
    assert caught.value.details["gtin"] == GTIN


def test_sticker_check_character_is_verified():
    serial = sticker_serial_new()
    wrong = serial[:-1] + ("A" if serial[-1] != "A" else "B")
    for raw in (wrong, f"https://salamat.kg/p/{wrong}"):
        with pytest.raises(CodeError) as caught:
            parse(raw)
        assert caught.value.code == "bad_check_digit"


def test_sticker_host_restricts_sticker_urls():
    serial = sticker_serial_new()
    assert (
        parse(f"https://SALAMAT.kg:443/p/{serial}", sticker_host="https://salamat.kg").kind
        == CodeKind.STICKER
    )
    with pytest.raises(CodeError) as caught:
        parse(f"https://evil.example/p/{serial}", sticker_host="salamat.kg")
    assert caught.value.code == "unknown_format"


def test_registered_schemes():
    # given a prefixed scheme and one recognised by its shape alone
    acme = SchemeSpec("acme", r"(?P<product>[A-Z]{3})-(?P<serial>\d{10})", prefix="ACME:")
    china = SchemeSpec("cn-drug", r"(?P<product>8\d{6})(?P<serial>\d{13})")
    schemes = [acme, china]
    # when / then
    first = parse("ACME:ABC-0123456789", schemes=schemes)
    assert (first.kind, first.key, first.scheme, first.serial) == (
        CodeKind.OTHER,
        "acme:ABC/0123456789",
        "acme",
        "0123456789",
    )
    second = parse("81234567890123456789", schemes=schemes)
    assert second.key == "cn-drug:8123456/7890123456789"
    # a GS1 code is still a GS1 code when schemes are given
    assert parse(f"01{GTIN}21S", schemes=schemes).kind == CodeKind.SGTIN
    with pytest.raises(CodeError) as caught:
        parse("ACME:nope", schemes=schemes)
    assert caught.value.code == "unknown_format"


def test_scheme_with_gtin_group_checks_it():
    spec = SchemeSpec("tr-its", r"(?P<gtin>\d{14})S(?P<serial>\w+)")
    assert parse(f"{GTIN}SXYZ", schemes=[spec]).gtin == GTIN
    with pytest.raises(CodeError) as caught:
        parse("04601234567894SXYZ", schemes=[spec])
    assert caught.value.code == "bad_check_digit"


@pytest.mark.parametrize(
    ("name", "pattern"), [("Bad Name", r"(?P<serial>.+)"), ("sticker", r"(?P<serial>.+)"), ("ok", r"(\d+)")]
)
def test_scheme_definitions_are_checked(name, pattern):
    with pytest.raises(ValueError):
        SchemeSpec(name, pattern)


def test_parse_many_keeps_order_and_returns_errors_in_place():
    results = parse_many([f"01{GTIN}21A", "", "4601234567893", f"https://x.org/01/{GTIN}/21/B"])
    assert [r.key if not isinstance(r, CodeError) else r.code for r in results] == [
        f"01/{GTIN}/21/A",
        "empty",
        "needs_sticker",
        f"01/{GTIN}/21/B",
    ]


def test_parse_many_rejects_unknown_options():
    with pytest.raises(TypeError):
        parse_many([], sticker_hots="x")


def test_parse_many_turns_a_parser_bug_into_a_refusal(monkeypatch):
    # given a parser that fails in an unforeseen way on one code
    from salamat.codes import parser

    real = parser._standard

    def flaky(s, *args):
        if s == "boom":
            raise IndexError("bug")
        return real(s, *args)

    monkeypatch.setattr(parser, "_standard", flaky)
    # when / then: the other codes are still read and the bad one is refused, not raised
    results = parse_many(["boom", f"01{GTIN}21A"])
    assert results[0].code == "unknown_format"
    assert results[1].key == f"01/{GTIN}/21/A"


def test_parse_many_leaves_the_garbage_collector_as_it_found_it():
    import gc

    assert gc.isenabled()
    parse_many([f"01{GTIN}21A", "bad"])
    assert gc.isenabled()
    gc.disable()
    try:
        parse_many([f"01{GTIN}21A"])
        assert not gc.isenabled()
    finally:
        gc.enable()
