"""Renderers, EPC URNs and sticker serials."""

from __future__ import annotations

from datetime import date

import pytest

from salamat.codes import (
    CodeKind,
    ParsedCode,
    parse,
    render_digital_link,
    render_element_string,
    render_epc_urn,
    render_hri,
    sticker_serial_display,
    sticker_serial_is_valid,
    sticker_serial_new,
    sticker_serial_normalise,
    sticker_url,
)
from salamat.codes.sticker import ALPHABET, LETTERS

GTIN = "04601234567893"
CODE = ParsedCode(
    kind=CodeKind.SGTIN,
    key=f"01/{GTIN}/21/5!&aB",
    gtin=GTIN,
    serial="5!&aB",
    batch="L/1",
    expiry=date(2026, 5, 31),
    extra={"91": "EE06", "92": "abc+/="},
)


def test_element_string_puts_fixed_fields_first_and_tails_last():
    assert render_element_string(CODE) == f"01{GTIN}17260531" + "10L/1\x1d215!&aB\x1d91EE06\x1d92abc+/="
    assert render_element_string(CODE, fnc1="~", symbology_id=True).startswith("]d201")


def test_hri():
    assert render_hri(CODE) == f"(01){GTIN}(17)260531(10)L/1(21)5!&aB(91)EE06(92)abc+/="


def test_digital_link_is_canonical_and_percent_encoded():
    assert (
        render_digital_link(CODE, host="https://id.gs1.org/")
        == f"https://id.gs1.org/01/{GTIN}/10/L%2F1/21/5%21%26aB?17=260531&91=EE06&92=abc%2B%2F%3D"
    )


@pytest.mark.parametrize(
    ("length", "urn"),
    [
        (7, "urn:epc:id:sgtin:4601234.056789.5!%26aB"),
        (9, "urn:epc:id:sgtin:460123456.0789.5!%26aB"),
    ],
)
def test_epc_urn_needs_and_honours_the_company_prefix_length(length, urn):
    assert render_epc_urn(CODE, company_prefix_length=length) == urn
    assert parse(urn).key == CODE.key


def test_epc_urn_for_sscc_and_bad_lengths():
    sscc = parse("046012341234567895")
    assert render_epc_urn(sscc) == "urn:epc:id:sscc:4601234.0123456789"
    with pytest.raises(ValueError):
        render_epc_urn(sscc, company_prefix_length=5)


def test_stickers_cannot_be_rendered_as_gs1():
    sticker = parse(sticker_serial_new())
    for render in (render_element_string, render_digital_link, render_epc_urn, render_hri):
        with pytest.raises(ValueError):
            render(sticker)


def test_sticker_serials_are_random_checked_and_unambiguous():
    serials = {sticker_serial_new() for _ in range(2000)}
    assert len(serials) == 2000  # random, never repeated in practice
    for serial in serials:
        assert len(serial) == 13
        assert serial[0] in LETTERS
        assert set(serial) <= set(ALPHABET)  # no I, L, O, U
        assert sticker_serial_is_valid(serial)
    # not sequential: neighbours share no long common prefix
    ordered = sorted(serials)
    assert max(len(_common_prefix(a, b)) for a, b in zip(ordered, ordered[1:], strict=False)) < 6


def _common_prefix(a: str, b: str) -> str:
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    return a[:i]


def test_sticker_typed_forms_and_every_single_typo_is_caught():
    serial = sticker_serial_new()
    display = sticker_serial_display(serial)
    assert display.count("-") == 3
    assert sticker_serial_normalise(display.lower().replace("-", " ")) == serial
    assert sticker_serial_is_valid(display.lower())
    for i in range(13):
        for c in ALPHABET:
            if c != serial[i]:
                typo = serial[:i] + c + serial[i + 1 :]
                assert not sticker_serial_is_valid(typo), typo
    for i in range(12):
        if serial[i] != serial[i + 1]:
            swapped = serial[:i] + serial[i + 1] + serial[i] + serial[i + 2 :]
            assert not sticker_serial_is_valid(swapped), swapped


def test_sticker_url():
    serial = sticker_serial_new()
    assert sticker_url(serial.lower(), "https://salamat.kg/") == f"https://salamat.kg/p/{serial}"
    with pytest.raises(ValueError):
        sticker_url("nope", "https://salamat.kg")
    assert not sticker_serial_is_valid(None)  # type: ignore[arg-type]
