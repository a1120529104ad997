"""Fictional registry entries for demos and tests: obviously invented names, valid PIN shapes."""

from __future__ import annotations

from datetime import date

from salamat.tunduk.models import LegalEntity, MedicalLicence, RegistryPerson

# (family, given, middle, birth date, sex). The names are invented ("Testova",
# "Demoev", ...) so nobody mistakes a demo record for a real person.
FICTIONAL_PEOPLE: tuple[tuple[str, str, str, date, str], ...] = (
    ("Testova", "Aigul", "Demoevna", date(1990, 3, 14), "female"),
    ("Demoev", "Bakyt", "Testovich", date(1985, 7, 2), "male"),
    ("Primerova", "Cholpon", "", date(1978, 11, 30), "female"),
    ("Obraztsov", "Daniyar", "Ivanovich", date(1962, 1, 9), "male"),
    ("Fiktivova", "Elnura", "", date(2015, 5, 20), "female"),  # a child, for family-care demos
    ("Vymyshlenov", "Farhat", "", date(1949, 8, 17), "male"),  # an elderly parent
    ("Sampleva", "Gulnara", "Testovna", date(1995, 2, 1), "female"),
)

FICTIONAL_ENTITIES: tuple[tuple[str, str, str, str, date], ...] = (
    ("02101201910001", "Demo Textile Works LLC", "LLC", "Bishkek, 1 Example street", date(2010, 1, 12)),
    ("02101201910002", "Sample Bakery LLC", "LLC", "Osh, 2 Sample avenue", date(2015, 6, 1)),
    ("02101201910003", "Fictional Clinic Plus LLC", "LLC", "Bishkek, 3 Demo lane", date(2018, 9, 3)),
)


def pin_for(sex: str, birth_date: date, serial: int) -> str:
    """A PIN of the right shape: sex digit, DDMMYYYY, 5 serial digits."""
    return f"{1 if sex == 'female' else 2}{birth_date:%d%m%Y}{serial:05d}"


def seed_tunduk() -> list[RegistryPerson]:
    """Creates (idempotently) the fictional people, legal entities and a licence; returns the people."""
    people = []
    for serial, (family, given, middle, born, sex) in enumerate(FICTIONAL_PEOPLE, start=1):
        person, _created = RegistryPerson.objects.get_or_create(
            pin=pin_for(sex, born, 90000 + serial),
            defaults={
                "family_name": family,
                "given_name": given,
                "middle_name": middle,
                "birth_date": born,
                "sex": sex,
            },
        )
        people.append(person)
    for tax_id, name, form, address, registered in FICTIONAL_ENTITIES:
        LegalEntity.objects.get_or_create(
            tax_id=tax_id,
            defaults={"name": name, "legal_form": form, "address": address, "registered_on": registered},
        )
    MedicalLicence.objects.get_or_create(
        number="DEMO-LIC-0001",
        defaults={
            "tax_id": "02101201910003",
            "issued_on": date(2018, 10, 1),
            "valid_until": None,
            "activities": ["therapy", "paediatrics", "sick_leave_examination"],
        },
    )
    return people
