"""Data: copy onboarding's own stand-in registry rows into `salamat.tunduk`'s tables,
which become the only stand-in registries (the next migration drops onboarding's)."""

from datetime import date

from django.db import migrations


def _person_from_pin(pin: str):
    # PIN = sex digit (1 female, 2 male) + DDMMYYYY + 5 digits.
    if len(pin) != 14 or not pin.isdigit() or pin[0] not in "12":
        return None
    try:
        born = date(int(pin[5:9]), int(pin[3:5]), int(pin[1:3]))
    except ValueError:
        return None
    return born, "female" if pin[0] == "1" else "male"


def copy_forward(apps, schema_editor):
    OldEntity = apps.get_model("onboarding", "StandInLegalEntity")
    OldLicence = apps.get_model("onboarding", "StandInLicence")
    OldPerson = apps.get_model("onboarding", "StandInPerson")
    LegalEntity = apps.get_model("tunduk", "LegalEntity")
    MedicalLicence = apps.get_model("tunduk", "MedicalLicence")
    RegistryPerson = apps.get_model("tunduk", "RegistryPerson")
    today = date.today()
    for row in OldEntity.objects.all():
        LegalEntity.objects.get_or_create(
            tax_id=row.tax_id,
            defaults={
                "name": row.name,
                "legal_form": row.legal_form,
                "address": row.address,
                "registered_on": row.registered_on or date(2000, 1, 1),
                # The old table knew only that an entity was liquidated, not when.
                "liquidated_on": today if row.status == "liquidated" else None,
            },
        )
    for row in OldLicence.objects.all():
        MedicalLicence.objects.get_or_create(
            number=row.number,
            defaults={
                "tax_id": row.tax_id,
                "issued_on": row.issued_on,
                "valid_until": row.valid_until,
                "revoked_on": today if row.revoked else None,
                "activities": [a.strip() for a in row.activities.replace(";", ",").split(",") if a.strip()],
            },
        )
    for row in OldPerson.objects.all():
        shape = _person_from_pin(row.pin)
        if shape is None:
            continue
        born, sex = shape
        RegistryPerson.objects.get_or_create(
            pin=row.pin,
            defaults={
                "family_name": row.last_name,
                "given_name": row.first_name,
                "middle_name": row.middle_name,
                "birth_date": born,
                "sex": sex,
                "death_date": today if row.is_deceased else None,
            },
        )


class Migration(migrations.Migration):
    dependencies = [
        ("onboarding", "0002_sample_public_offer"),
        ("tunduk", "0002_medical_licence_revoked_on"),
    ]

    operations = [migrations.RunPython(copy_forward, migrations.RunPython.noop)]
