"""Shapes of national identifiers (pure: no Django, no database).

* PIN (personal identification number): 14 digits = sex digit (1 female, 2 male)
  + birth date DDMMYYYY + 5 digits. There is no public checksum, so only the shape
  and the date are checked here; existence is a registry look-up elsewhere.
* Organisation tax ID (INN): 14 digits.
* ATC code (WHO Anatomical Therapeutic Chemical): A, AA01, A01B, A01BC, A01BC03.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from salamat.core.errors import ValidationFailed
from salamat.core.i18n import gettext as _

_DIGITS14 = re.compile(r"^\d{14}$")
_ATC = re.compile(r"^[A-Z](\d{2}([A-Z]([A-Z](\d{2})?)?)?)?$")
ATC_ANATOMICAL_GROUPS = frozenset("ABCDGHJLMNPRSV")


@dataclass(frozen=True)
class PinInfo:
    pin: str
    sex: str  # "female" or "male"
    birth_date: date


def parse_pin(value: str, *, field: str = "pin", today: date | None = None) -> PinInfo:
    """The sex and birth date a PIN encodes, or `ValidationFailed` naming what is wrong."""
    pin = (value or "").strip()
    if not _DIGITS14.match(pin):
        raise _fail(field, "pin_malformed", _("A PIN is exactly 14 digits."))
    if pin[0] not in "12":
        raise _fail(field, "pin_bad_sex_digit", _("A PIN starts with 1 (female) or 2 (male)."))
    try:
        born = date(int(pin[5:9]), int(pin[3:5]), int(pin[1:3]))
    except ValueError:
        raise _fail(
            field, "pin_bad_birth_date", _("Digits 2 to 9 of a PIN must be a real date DDMMYYYY.")
        ) from None
    if born.year < 1900 or born > (today or date.today()):  # noqa: DTZ011 - a calendar date, no zone
        raise _fail(field, "pin_bad_birth_date", _("The birth date in the PIN is not plausible."))
    return PinInfo(pin=pin, sex="female" if pin[0] == "1" else "male", birth_date=born)


def validate_pin(value: str, *, field: str = "pin") -> str:
    return parse_pin(value, field=field).pin


def validate_tax_id(value: str, *, field: str = "tax_id") -> str:
    """A 14-digit organisation tax ID, or `ValidationFailed(tax_id_malformed)`."""
    tax_id = (value or "").strip()
    if not _DIGITS14.match(tax_id):
        raise _fail(field, "tax_id_malformed", _("A tax ID is exactly 14 digits."))
    return tax_id


def validate_atc(value: str, *, field: str = "atc_code") -> str:
    """An ATC code of any level (A, A01, A01B, A01BC, A01BC03), upper-cased."""
    code = (value or "").strip().upper()
    if not _ATC.match(code) or code[0] not in ATC_ANATOMICAL_GROUPS:
        raise _fail(
            field,
            "atc_malformed",
            _("An ATC code looks like A01BC03 (letter, 2 digits, 2 letters, 2 digits)."),
        )
    return code


def _fail(field: str, code: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        code, message, details={"fields": [{"field": field, "code": code, "message": message}]}
    )
