"""Shapes of national identifiers: PIN, tax ID, ATC code (pure module)."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from salamat.core.errors import ValidationFailed
from salamat.core.identifiers import parse_pin, validate_atc, validate_tax_id


@pytest.mark.parametrize(
    ("pin", "sex", "born"),
    [
        ("12503199012345", "female", date(1990, 3, 25)),
        ("20101200000001", "male", date(2000, 1, 1)),
        ("22902200412345", "male", date(2004, 2, 29)),  # leap day
    ],
)
def test_valid_pins(pin, sex, born):
    info = parse_pin(pin)
    assert (info.sex, info.birth_date) == (sex, born)


@pytest.mark.parametrize(
    ("pin", "code"),
    [
        ("", "pin_malformed"),
        ("1250319901234", "pin_malformed"),  # 13 digits
        ("125031990123456", "pin_malformed"),  # 15 digits
        ("1250319901234a", "pin_malformed"),
        ("32503199012345", "pin_bad_sex_digit"),
        ("02503199012345", "pin_bad_sex_digit"),
        ("13202199012345", "pin_bad_birth_date"),  # 32nd day
        ("12513199012345", "pin_bad_birth_date"),  # 13th month
        ("22902200112345", "pin_bad_birth_date"),  # 29 Feb of a common year
        ("10101180012345", "pin_bad_birth_date"),  # before 1900
        ("10101299912345", "pin_bad_birth_date"),  # in the future
    ],
)
def test_bad_pins_name_the_reason_and_the_field(pin, code):
    with pytest.raises(ValidationFailed) as exc:
        parse_pin(pin, field="patient_pin")
    assert exc.value.code == code
    assert exc.value.details["fields"][0]["field"] == "patient_pin"


@given(st.text(max_size=30))
def test_any_text_is_a_pin_or_a_validation_error(text):
    try:
        parse_pin(text)
    except ValidationFailed as exc:
        assert exc.code.startswith("pin_")


@pytest.mark.parametrize("value", ["01234567890123", " 01234567890123 "])
def test_valid_tax_id(value):
    assert validate_tax_id(value) == "01234567890123"


@pytest.mark.parametrize("value", ["", "0123456789012", "012345678901234", "0123456789012x"])
def test_bad_tax_id(value):
    with pytest.raises(ValidationFailed) as exc:
        validate_tax_id(value)
    assert exc.value.code == "tax_id_malformed"


@pytest.mark.parametrize("value", ["A", "A01", "A01B", "A01BC", "J01CA04", "n02be01"])
def test_valid_atc_codes(value):
    assert validate_atc(value) == value.upper()


@pytest.mark.parametrize("value", ["", "E01", "A1", "A01B1", "J01CA4", "J01CA041", "101CA04"])
def test_bad_atc_codes(value):
    with pytest.raises(ValidationFailed) as exc:
        validate_atc(value)
    assert exc.value.code == "atc_malformed"
