"""Field checks of the registry, shared by the services, the CSV importers and the admin.

Every check returns the clean value or raises `ValidationFailed` whose details name
the field, so a service, an import report line and an admin form all say the same.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from salamat.codes.checkdigit import gtin_to_14, has_valid_check_digit
from salamat.core.errors import ValidationFailed, field_error
from salamat.core.identifiers import validate_atc, validate_tax_id
from salamat.registry.countries import is_country_code
from salamat.registry.models import OrganizationStatus, OrganizationType, OwnershipForm, Region

__all__ = [
    "clean_atc",
    "clean_choice",
    "clean_country",
    "clean_date",
    "clean_email",
    "clean_gln",
    "clean_gtin",
    "clean_org_type",
    "clean_ownership",
    "clean_positive_int",
    "clean_region",
    "clean_status",
    "clean_tax_id",
    "clean_text",
]

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def clean_text(value: object, *, field: str, max_length: int, required: bool = True) -> str:
    """Stripped text no longer than `max_length`; `required` if it must not be empty."""
    text = "" if value is None else str(value).strip()
    if required and not text:
        raise field_error(field, "required", _("%(field)s is required.") % {"field": field})
    if len(text) > max_length:
        raise field_error(
            field,
            "too_long",
            _("%(field)s is longer than %(max)d characters.") % {"field": field, "max": max_length},
        )
    return text


def clean_choice(value: object, *, field: str, choices: type, code: str) -> str:
    """One of the values of a `TextChoices`, case-insensitive; hyphens and spaces read as `_`."""
    text = re.sub(r"[\s-]+", "_", str(value or "").strip().lower())
    if text not in choices.values:
        raise ValidationFailed(
            code,
            _("%(field)s: %(value)s is not one of %(allowed)s.")
            % {
                "field": field,
                "value": str(value or "").strip() or "''",
                "allowed": ", ".join(choices.values),
            },
            details={
                "fields": [{"field": field, "code": code, "message": _("Unknown value.")}],
                "allowed": list(choices.values),
            },
        )
    return text


def clean_region(value: object, *, field: str = "region") -> str:
    """A region code (`bishkek`, `osh_city`, `issyk_kul`…), or `unknown_region`."""
    return clean_choice(value, field=field, choices=Region, code="unknown_region")


def clean_org_type(value: object, *, field: str = "org_type") -> str:
    return clean_choice(value, field=field, choices=OrganizationType, code="unknown_org_type")


def clean_ownership(value: object, *, field: str = "ownership") -> str:
    return clean_choice(value, field=field, choices=OwnershipForm, code="unknown_ownership")


def clean_status(value: object, *, field: str = "status") -> str:
    return clean_choice(value, field=field, choices=OrganizationStatus, code="unknown_status")


def clean_tax_id(value: object, *, field: str = "tax_id") -> str:
    return validate_tax_id(str(value or ""), field=field)


def clean_atc(value: object, *, field: str = "atc_code") -> str:
    return validate_atc(str(value or ""), field=field)


def clean_gtin(value: object, *, field: str = "gtin") -> str:
    """A GTIN-8/12/13/14 with a correct check digit, returned as GTIN-14."""
    code = str(value or "").strip()
    if not code.isdigit() or len(code) not in (8, 12, 13, 14):
        raise field_error(
            field,
            "gtin_malformed",
            _("GTIN %(value)s must be 8, 12, 13 or 14 digits.") % {"value": code or "''"},
        )
    if not has_valid_check_digit(code):
        raise field_error(
            field, "bad_check_digit", _("GTIN %(value)s has a wrong check digit.") % {"value": code}
        )
    return gtin_to_14(code)


def clean_gln(value: object, *, field: str = "gln") -> str | None:
    """A 13-digit GLN with a correct check digit, or None when empty."""
    code = str(value or "").strip()
    if not code:
        return None
    if not code.isdigit() or len(code) != 13:
        raise field_error(field, "gln_malformed", _("A GLN is exactly 13 digits."))
    if not has_valid_check_digit(code):
        raise field_error(
            field, "bad_check_digit", _("GLN %(value)s has a wrong check digit.") % {"value": code}
        )
    return code


def clean_country(value: object, *, field: str = "manufacturer_country") -> str:
    """An ISO 3166-1 alpha-2 country code (KG, KZ, DE…), upper-cased."""
    code = str(value or "").strip().upper()
    if not is_country_code(code):
        raise field_error(
            field,
            "unknown_country",
            _("%(value)s is not an ISO 3166-1 alpha-2 country code (like KG, KZ, DE).")
            % {"value": code or "''"},
        )
    return code


def clean_date(value: object, *, field: str, required: bool = True) -> date | None:
    """A date given as a `date`, `YYYY-MM-DD` or `DD.MM.YYYY`."""
    if isinstance(value, datetime):
        raise field_error(field, "bad_date", _("%(field)s must be a date, not a time.") % {"field": field})
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    if not text:
        if required:
            raise field_error(field, "required", _("%(field)s is required.") % {"field": field})
        return None
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no zone
        except ValueError:
            continue
    raise field_error(
        field,
        "bad_date",
        _("%(value)s is not a date; write YYYY-MM-DD (or DD.MM.YYYY).") % {"value": text},
    )


def clean_positive_int(value: object, *, field: str) -> int:
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except (TypeError, ValueError):
        number = 0
    if isinstance(number, bool) or number < 1:
        raise field_error(
            field,
            "not_positive_integer",
            _("%(field)s must be a whole number of at least 1.") % {"field": field},
        )
    return number


def clean_email(value: object, *, field: str = "email") -> str:
    text = str(value or "").strip()
    if not text:
        return ""
    try:
        validate_email(text)
    except DjangoValidationError:
        raise field_error(
            field, "email_malformed", _("%(value)s is not an e-mail address.") % {"value": text}
        ) from None
    return text


def clean_slug(value: object, *, field: str = "code") -> str:
    text = str(value or "").strip().lower()
    if not _SLUG.match(text):
        raise field_error(
            field,
            "code_malformed",
            _("A code is 1 to 40 lower-case letters, digits, hyphens or underscores."),
        )
    return text
