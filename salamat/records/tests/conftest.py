"""Fixtures for the record's tests: two clinics with a doctor and an API token each, a regulator,
the fictional people of the population registry stand-in, and FHIR request helpers."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import timedelta
from importlib import import_module

import pytest
from django.test import Client
from django.utils import timezone

from salamat.accounts.selectors import actor_for_user
from salamat.records.codelists import concept_cache_clear
from salamat.records.models import Patient, RecordAccess, Resource, ResourceVersion
from salamat.sickleave.fhir import ICD10, SID_PIN
from salamat.sickleave.services import sick_leave_open
from salamat.tunduk.seed import seed_tunduk

FHIR = "application/fhir+json"
ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"
VACCINE = "https://salamat.example/fhir/CodeSystem/vaccine"
LAB = "https://salamat.example/fhir/CodeSystem/lab"
DOCTOR_A_PIN = "20101198000031"
DOCTOR_B_PIN = "20101198000032"
TINY_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


class Fhir:
    """A FHIR client: JSON in and out, with a bearer token or a logged-in session."""

    def __init__(self, client: Client):
        self.client = client

    def get(self, url: str, **headers):
        return self.client.get(f"/fhir/{url}", **headers)

    def post(self, url: str, body, **headers):
        return self.client.post(f"/fhir/{url}", data=json.dumps(body), content_type=FHIR, **headers)

    def put(self, url: str, body, **headers):
        return self.client.put(f"/fhir/{url}", data=json.dumps(body), content_type=FHIR, **headers)

    def delete(self, url: str):
        return self.client.delete(f"/fhir/{url}")


def issue_of(response) -> dict:
    """The one issue of an OperationOutcome answer."""
    body = response.json()
    assert body["resourceType"] == "OperationOutcome", body
    return body["issue"][0]


def code_of(response) -> str:
    return issue_of(response)["details"]["coding"][0]["code"]


def snapshot() -> tuple[int, int, int]:
    """Counts of the record's tables that a refused write must leave unchanged."""
    return Patient.objects.count(), Resource.objects.count(), ResourceVersion.objects.count()


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Documents are written under a throwaway directory; the code-list cache starts empty."""
    settings.MEDIA_ROOT = tmp_path / "private"
    concept_cache_clear()
    yield
    concept_cache_clear()


@pytest.fixture
def people(db):
    return {p.given_name: p for p in seed_tunduk()}


@pytest.fixture
def person(people):
    return people["Aigul"]  # born 1990, alive


@pytest.fixture
def clinic_a(make_org):
    return make_org("medical", name="Record Clinic A (test)")


@pytest.fixture
def clinic_b(make_org):
    return make_org("medical", name="Record Clinic B (test)")


@pytest.fixture
def doctor_a(make_user, clinic_a):
    return make_user("doctor", clinic_a, username="rec-doctor-a", pin=DOCTOR_A_PIN)


@pytest.fixture
def doctor_b(make_user, clinic_b):
    return make_user("doctor", clinic_b, username="rec-doctor-b", pin=DOCTOR_B_PIN)


@pytest.fixture
def fhir_a(make_token, clinic_a, doctor_a) -> Fhir:
    return Fhir(Client(HTTP_AUTHORIZATION=f"Bearer {make_token(clinic_a)}"))


@pytest.fixture
def fhir_b(make_token, clinic_b, doctor_b) -> Fhir:
    return Fhir(Client(HTTP_AUTHORIZATION=f"Bearer {make_token(clinic_b)}"))


@pytest.fixture
def logged_in() -> Callable[..., Fhir]:
    def _make(user) -> Fhir:
        client = Client()
        client.force_login(user)
        return Fhir(client)

    return _make


@pytest.fixture
def patient(fhir_a, person) -> Patient:
    """The person in the record (created from the registry by a clinic's Patient POST)."""
    response = fhir_a.post(
        "Patient", {"resourceType": "Patient", "identifier": [{"system": SID_PIN, "value": person.pin}]}
    )
    assert response.status_code in (200, 201), response.content
    return Patient.objects.get(pin=person.pin)


@pytest.fixture
def today():
    return timezone.localdate()


def days_ago(n: int) -> str:
    return (timezone.localdate() - timedelta(days=n)).isoformat()


# --- one valid resource of each kind (`ref`: the patient reference) ---------------------------


def encounter(
    ref: str, *, start: str | None = None, status: str = "finished", klass: str = "AMB", **extra
) -> dict:
    return {
        "resourceType": "Encounter",
        "status": status,
        "class": {"system": ACT, "code": klass},
        "subject": {"reference": ref},
        "period": {"start": start or f"{days_ago(1)}T09:00:00+06:00"},
        **extra,
    }


def condition(ref: str, code: str = "I10", **extra) -> dict:
    return {
        "resourceType": "Condition",
        "clinicalStatus": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}
            ]
        },
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-category",
                        "code": "encounter-diagnosis",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": ICD10, "code": code}]},
        "subject": {"reference": ref},
        "onsetDateTime": days_ago(10),
        **extra,
    }


def allergy(ref: str, **extra) -> dict:
    return {
        "resourceType": "AllergyIntolerance",
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                    "code": "active",
                }
            ]
        },
        "category": ["medication"],
        "criticality": "high",
        "code": {"text": "Penicillin"},
        "patient": {"reference": ref},
        "recordedDate": days_ago(2),
        **extra,
    }


def medication_request(ref: str, **extra) -> dict:
    return {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {
            "coding": [{"system": "http://www.whocc.no/atc", "code": "C09AA02", "display": "enalapril"}]
        },
        "subject": {"reference": ref},
        "authoredOn": days_ago(1),
        "dosageInstruction": [{"text": "10 mg once a day"}],
        **extra,
    }


def medication_statement(ref: str, **extra) -> dict:
    return {
        "resourceType": "MedicationStatement",
        "status": "active",
        "medicationCodeableConcept": {
            "coding": [{"system": "http://www.whocc.no/atc", "code": "A10BA02", "display": "metformin"}]
        },
        "subject": {"reference": ref},
        "effectiveDateTime": days_ago(30),
        **extra,
    }


def immunization(ref: str, **extra) -> dict:
    return {
        "resourceType": "Immunization",
        "status": "completed",
        "vaccineCode": {"coding": [{"system": VACCINE, "code": "MMR"}]},
        "patient": {"reference": ref},
        "occurrenceDateTime": days_ago(100),
        "lotNumber": "LOT-TEST-1",
        "protocolApplied": [{"doseNumberPositiveInt": 1}],
        **extra,
    }


def observation(ref: str, *, value: dict | None = None, **extra) -> dict:
    return {
        "resourceType": "Observation",
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "laboratory",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": LOINC, "code": "718-7", "display": "Hemoglobin"}]},
        "subject": {"reference": ref},
        "effectiveDateTime": f"{days_ago(3)}T08:00:00+06:00",
        "valueQuantity": value
        if value is not None
        else {"value": 135, "unit": "g/L", "system": UCUM, "code": "g/L"},
        **extra,
    }


def procedure(ref: str, **extra) -> dict:
    return {
        "resourceType": "Procedure",
        "status": "completed",
        "code": {"text": "Appendectomy"},
        "subject": {"reference": ref},
        "performedDateTime": days_ago(200),
        **extra,
    }


def document(ref: str, data: bytes = TINY_PDF, **extra) -> dict:
    return {
        "resourceType": "DocumentReference",
        "status": "current",
        "type": {"coding": [{"system": LOINC, "code": "18842-5", "display": "Discharge summary"}]},
        "subject": {"reference": ref},
        "date": f"{days_ago(5)}T12:00:00+06:00",
        "content": [
            {
                "attachment": {
                    "contentType": "application/pdf",
                    "data": base64.b64encode(data).decode(),
                    "title": "Discharge",
                }
            }
        ],
        **extra,
    }


MAKERS = {
    "Encounter": encounter,
    "Condition": condition,
    "AllergyIntolerance": allergy,
    "MedicationRequest": medication_request,
    "MedicationStatement": medication_statement,
    "Immunization": immunization,
    "Observation": observation,
    "Procedure": procedure,
    "DocumentReference": document,
}


def access_rows(patient) -> list[tuple[str, str, str]]:
    return list(
        RecordAccess.objects.filter(patient=patient)
        .order_by("id")
        .values_list("interaction", "decision", "reason")
    )


@pytest.fixture
def open_sick_leave(doctor_a, clinic_a, person, today):
    """A sick leave clinic A's doctor opened for the person (through the sick-leave module)."""
    return sick_leave_open(
        actor=actor_for_user(doctor_a, clinic_a),
        patient_pin=person.pin,
        employer_name="Demo Textile Works LLC",
        employer_tax_id="02101201910001",
        reason="illness",
        diagnosis_code="J06.9",
        start=today,
        end=today + timedelta(days=4),
    )


@pytest.fixture
def code_list_samples(transactional_db) -> None:
    """The code-list samples migration 0003 loads, again: a transactional test that ran earlier
    flushed the tables, and the live server's process may keep looked-up concepts."""
    from django.apps import apps

    samples = import_module("salamat.records.migrations.0003_code_list_samples")
    samples.forward(apps, None)
    concept_cache_clear()
