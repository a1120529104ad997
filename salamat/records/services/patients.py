"""The patient index: one `Patient` per person, by PIN from the population registry, or by a
temporary identifier the platform issues; linking a temporary patient to a PIN."""

from __future__ import annotations

import secrets
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salamat.core.actors import SYSTEM, Actor
from salamat.core.audit import audit_record
from salamat.core.conf import setting
from salamat.core.errors import ValidationFailed
from salamat.core.identifiers import validate_pin
from salamat.records.errors import refuse
from salamat.records.models import Patient, Sex
from salamat.tunduk.adapters import Person, population_registry

# The temporary identifiers' naming system (the PIN's is `salamat.sickleave.fhir.SID_PIN`).
# A placeholder until the ministry registers a national one: change here only.
SID_TEMPORARY = "https://salamat.example/fhir/sid/temporary-id"
_TEMP_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed by hand


def _apply_person(patient: Patient, person: Person) -> None:
    patient.family_name = person.family_name
    patient.given_name = person.given_name
    patient.middle_name = person.middle_name
    patient.birth_date = person.birth_date
    patient.sex = person.sex if person.sex in (Sex.FEMALE, Sex.MALE) else Sex.UNKNOWN
    patient.death_date = person.death_date
    patient.registry_checked_at = timezone.now()


def patient_for_pin(*, pin: str, expression: str = "identifier") -> Patient:
    """The patient with this PIN, created from (or refreshed by) the population registry.

    Refuses `pin_malformed` (and the other shape codes) and `unknown_pin` (not in the registry)."""
    try:
        pin = validate_pin(pin)
    except ValidationFailed as exc:
        raise refuse(exc.code, exc.message, expression=expression, issue="invalid") from None
    patient = Patient.objects.filter(pin=pin).first()
    fresh_after = timezone.now() - timedelta(hours=setting("RECORD_REGISTRY_REFRESH_HOURS"))
    if patient is not None and patient.registry_checked_at and patient.registry_checked_at >= fresh_after:
        return patient
    person = population_registry().lookup(pin)
    if person is None:
        if patient is not None:
            return patient  # known to us; the registry is only asked to refresh
        raise refuse(
            "unknown_pin",
            _("The population registry does not know this PIN."),
            expression=expression,
            status=422,
            issue="not-found",
        )
    if patient is None:
        patient = Patient(pin=pin)
        _apply_person(patient, person)
        try:
            with transaction.atomic():
                patient.save()
                audit_record(actor=SYSTEM, action="record.patient_from_registry", obj=patient)
        except IntegrityError:  # created meanwhile by a concurrent request
            patient = Patient.objects.get(pin=pin)
        return patient
    _apply_person(patient, person)
    patient.save()
    return patient


def _new_temporary_id() -> str:
    body = "".join(secrets.choice(_TEMP_ALPHABET) for _ in range(10))
    return f"T-{body[:5]}-{body[5:]}"


@transaction.atomic
def patient_register_temporary(
    *,
    actor: Actor,
    family_name: str = "",
    given_name: str = "",
    birth_date: date | None = None,
    sex: str = Sex.UNKNOWN,
    source_system: str = "",
    source_value: str = "",
) -> tuple[Patient, bool]:
    """A patient without a PIN under a new temporary identifier, or (retry) the one the clinic
    already registered under its own identifier (`source_system`, `source_value`)."""
    org = actor.require_organization()
    if source_value:
        existing = Patient.objects.filter(
            registered_by=org, source_system=source_system, source_value=source_value
        ).first()
        if existing is not None:
            return existing, False
    if birth_date is not None and birth_date > timezone.localdate():
        raise refuse("date_in_future", _("The birth date is in the future."), expression="birthDate")
    patient = Patient(
        temporary_id=_new_temporary_id(),
        family_name=family_name[:150],
        given_name=given_name[:150],
        birth_date=birth_date,
        sex=sex if sex in Sex.values else Sex.UNKNOWN,
        registered_by=org,
        source_system=source_system[:255],
        source_value=source_value[:128],
    )
    patient.save()
    audit_record(actor=actor, action="record.patient_register_temporary", obj=patient)
    return patient, True
