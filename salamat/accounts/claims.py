"""What an ESI login says about a person: its claims, checked and normalised (pure).

ESI releases ``sub``, ``pin``, ``family_name``, ``given_name``, ``middle_name``,
``gender``, ``birthdate``, ``email``, ``phone_number`` and ``organizations`` (the legal
entities the person may represent: ``[{tax_id, name, role?}]``). A login without a
subject or with a malformed PIN is refused; an organisation entry with a malformed
tax ID is dropped (the others stay usable) and counted so the caller can log it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from salamat.core.errors import PermissionDenied, ValidationFailed
from salamat.core.i18n import gettext as _
from salamat.core.identifiers import parse_pin, validate_tax_id

_NAME_MAX = 150


@dataclass(frozen=True)
class EsiOrganization:
    tax_id: str
    name: str
    role: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"tax_id": self.tax_id, "name": self.name, "role": self.role}


@dataclass(frozen=True)
class EsiIdentity:
    """A person as ESI vouches for them."""

    sub: str
    pin: str
    family_name: str = ""
    given_name: str = ""
    middle_name: str = ""
    gender: str = ""
    birthdate: date | None = None
    email: str = ""
    phone_number: str = ""
    organizations: tuple[EsiOrganization, ...] = ()
    dropped_organizations: int = 0  # entries refused for a malformed tax ID


def identity_from_claims(claims: Mapping[str, Any]) -> EsiIdentity:
    """The identity in ESI's claims, or a refusal (`esi_no_subject`, `esi_pin_invalid`)."""
    sub = _text(claims.get("sub"), 255)
    if not sub:
        raise PermissionDenied(
            "esi_no_subject", _("ESI did not say who you are, so you cannot be logged in. Please try again.")
        )
    try:
        pin = parse_pin(_text(claims.get("pin"), 32)).pin
    except ValidationFailed:
        raise PermissionDenied(
            "esi_pin_invalid",
            _(
                "ESI sent a personal identification number (PIN) that is not valid, so you cannot be "
                "logged in. Please contact the ESI support service to correct your record."
            ),
        ) from None
    organizations, dropped = _organizations(claims.get("organizations"))
    return EsiIdentity(
        sub=sub,
        pin=pin,
        family_name=_text(claims.get("family_name"), _NAME_MAX),
        given_name=_text(claims.get("given_name"), _NAME_MAX),
        middle_name=_text(claims.get("middle_name"), _NAME_MAX),
        gender=_text(claims.get("gender"), 16),
        birthdate=_date(claims.get("birthdate")),
        email=_text(claims.get("email"), 254),
        phone_number=_text(claims.get("phone_number"), 32),
        organizations=organizations,
        dropped_organizations=dropped,
    )


def _organizations(value: Any) -> tuple[tuple[EsiOrganization, ...], int]:
    if not isinstance(value, list):
        return (), 0
    kept: dict[str, EsiOrganization] = {}
    dropped = 0
    for entry in value:
        if not isinstance(entry, Mapping):
            dropped += 1
            continue
        try:
            tax_id = validate_tax_id(_text(entry.get("tax_id"), 32))
        except ValidationFailed:
            dropped += 1
            continue
        # One entry per organisation: the first one ESI lists wins.
        kept.setdefault(
            tax_id,
            EsiOrganization(
                tax_id=tax_id, name=_text(entry.get("name"), 255), role=_text(entry.get("role"), 64)
            ),
        )
    return tuple(kept.values()), dropped


def _text(value: Any, limit: int) -> str:
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        return ""
    return value.strip()[:limit]


def _date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None
