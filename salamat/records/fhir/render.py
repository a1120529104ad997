"""Rows of the record as FHIR R4 JSON (plain dicts): patients, practitioners, stored resources."""

from __future__ import annotations

from typing import Any

from salamat.accounts.models import User
from salamat.records.models import Patient, Resource, ResourceVersion
from salamat.records.services.patients import SID_TEMPORARY
from salamat.sickleave.fhir import SID_PIN


def patient_json(patient: Patient) -> dict[str, Any]:
    """The patient as FHIR: identifier (PIN or temporary), name, gender, birth and death, links."""
    identifier = (
        {"use": "official", "system": SID_PIN, "value": patient.pin}
        if patient.pin
        else {"use": "temp", "system": SID_TEMPORARY, "value": patient.temporary_id}
    )
    body: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(patient.external_id),
        "meta": {"lastUpdated": patient.updated_at.isoformat()},
        "identifier": [identifier],
        "active": patient.replaced_by_id is None,
    }
    given = [g for g in (patient.given_name, patient.middle_name) if g]
    if patient.family_name or given:
        body["name"] = [
            {"use": "official", "family": patient.family_name, "given": given}
            if patient.family_name
            else {"given": given}
        ]
    body["gender"] = patient.sex
    if patient.birth_date:
        body["birthDate"] = patient.birth_date.isoformat()
    if patient.death_date:
        body["deceasedDateTime"] = patient.death_date.isoformat()
    links = []
    if patient.replaced_by_id:
        links.append(
            {"other": {"reference": f"Patient/{patient.replaced_by.external_id}"}, "type": "replaced-by"}
        )
    linked = patient.pin and getattr(patient, "has_replaces", True)  # annotated by patient_for_read
    for old in patient.replaces.all() if linked else ():
        links.append({"other": {"reference": f"Patient/{old.external_id}"}, "type": "replaces"})
    if links:
        body["link"] = links
    return body


def practitioner_json(user: User) -> dict[str, Any]:
    """A doctor as FHIR Practitioner (name only: a doctor's PIN is not shown)."""
    name: dict[str, Any] = {"family": user.last_name or user.username}
    given = [g for g in (user.first_name, user.middle_name) if g]
    if given:
        name["given"] = given
    return {
        "resourceType": "Practitioner",
        "id": str(user.external_id),
        "active": user.is_active,
        "name": [name],
    }


def resource_json(row: Resource | ResourceVersion) -> dict[str, Any]:
    """The stored resource exactly as recorded (id and meta included)."""
    return row.body
