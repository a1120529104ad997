"""The state registries onboarding reads, behind one interface.

Backed by this app's stand-in tables for now; the lead will point these three
functions at `salamat.tunduk` (X-Road) later without touching the callers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class LegalEntity:
    tax_id: str
    name: str
    legal_form: str
    address: str
    liquidated: bool


@dataclass(frozen=True)
class Licence:
    number: str
    tax_id: str
    activities: str
    issued_on: date
    valid_until: date | None
    revoked: bool

    def is_valid_on(self, day: date) -> bool:
        return (
            not self.revoked
            and self.issued_on <= day
            and (self.valid_until is None or day <= self.valid_until)
        )


@dataclass(frozen=True)
class Person:
    pin: str
    last_name: str
    first_name: str
    middle_name: str
    deceased: bool

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)


def legal_entity_lookup(tax_id: str) -> LegalEntity | None:
    """The legal entity with `tax_id`, or None when the registry does not know it."""
    from salamat.onboarding.models import LegalEntityStatus, StandInLegalEntity

    row = StandInLegalEntity.objects.filter(tax_id=tax_id).first()
    if row is None:
        return None
    return LegalEntity(
        tax_id=row.tax_id,
        name=row.name,
        legal_form=row.legal_form,
        address=row.address,
        liquidated=row.status == LegalEntityStatus.LIQUIDATED,
    )


def licence_lookup(number: str, tax_id: str | None = None) -> Licence | None:
    """The licence with `number` (the caller compares its holder with `tax_id`), or None."""
    from salamat.onboarding.models import StandInLicence

    row = StandInLicence.objects.filter(number=(number or "").strip()).first()
    if row is None:
        return None
    return Licence(
        number=row.number,
        tax_id=row.tax_id,
        activities=row.activities,
        issued_on=row.issued_on,
        valid_until=row.valid_until,
        revoked=row.revoked,
    )


def person_lookup(pin: str) -> Person | None:
    """The person with `pin` in the population registry, or None."""
    from salamat.onboarding.models import StandInPerson

    row = StandInPerson.objects.filter(pin=pin).first()
    if row is None:
        return None
    return Person(
        pin=row.pin,
        last_name=row.last_name,
        first_name=row.first_name,
        middle_name=row.middle_name,
        deceased=row.is_deceased,
    )
