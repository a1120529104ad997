"""Every bad input of the issue gets its exact OperationOutcome, and the database is unchanged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from salamat.records.tests.conftest import (
    LAB,
    LOINC,
    Fhir,
    condition,
    document,
    encounter,
    immunization,
    issue_of,
    observation,
    snapshot,
)
from salamat.sickleave.fhir import SID_PIN
from salamat.tunduk.models import RegistryPerson

pytestmark = pytest.mark.django_db

UNKNOWN_PIN = "11501199099999"  # the right shape, not in the registry


def refused(fhir, url, body, *, status, code, expression=None, **headers):
    before = snapshot()
    response = fhir.post(url, body, **headers)
    assert response.status_code == status, response.content
    issue = issue_of(response)
    assert issue["details"]["coding"][0]["code"] == code, issue
    if expression is not None:
        assert issue.get("expression") == expression
    assert snapshot() == before
    return issue


def test_unknown_pin(fhir_a):
    refused(
        fhir_a,
        "Patient",
        {"resourceType": "Patient", "identifier": [{"system": SID_PIN, "value": UNKNOWN_PIN}]},
        status=422,
        code="unknown_pin",
        expression=["Patient.identifier[0].value"],
    )
    refused(
        fhir_a,
        "Encounter",
        encounter(f"Patient?identifier={SID_PIN}|{UNKNOWN_PIN}"),
        status=422,
        code="unknown_pin",
        expression=["Encounter.subject.reference"],
    )


def test_malformed_pin(fhir_a):
    refused(
        fhir_a, "Encounter", encounter(f"Patient?identifier={SID_PIN}|123"), status=422, code="pin_malformed"
    )


def test_a_dead_persons_new_visit(fhir_a, person, patient):
    RegistryPerson.objects.filter(pin=person.pin).update(death_date=timezone.localdate() - timedelta(days=30))
    patient.registry_checked_at = None  # the next look-up asks the registry again
    patient.save()
    refused(
        fhir_a,
        "Encounter",
        encounter(f"Patient?identifier={SID_PIN}|{person.pin}"),
        status=422,
        code="patient_deceased",
        expression=["Encounter.subject"],
    )


def test_an_icd10_code_that_does_not_exist(fhir_a, patient):
    refused(
        fhir_a,
        "Condition",
        condition(f"Patient/{patient.external_id}", code="Q99.99"),
        status=422,
        code="unknown_icd10",
        expression=["Condition.code.coding[0].code"],
    )


def test_a_result_without_a_unit(fhir_a, patient):
    refused(
        fhir_a,
        "Observation",
        observation(f"Patient/{patient.external_id}", value={"value": 135}),
        status=422,
        code="missing_unit",
        expression=["Observation.valueQuantity"],
    )


def test_a_lab_code_not_on_the_list(fhir_a, patient):
    body = observation(
        f"Patient/{patient.external_id}", code={"coding": [{"system": LAB, "code": "KG-LAB-9999"}]}
    )
    refused(
        fhir_a,
        "Observation",
        body,
        status=422,
        code="unknown_lab_code",
        expression=["Observation.code.coding[0].code"],
    )
    body = observation(f"Patient/{patient.external_id}", code={"coding": [{"system": LOINC, "code": "hb"}]})
    refused(fhir_a, "Observation", body, status=422, code="loinc_malformed")


def test_a_vaccine_not_on_the_list(fhir_a, patient):
    body = immunization(
        f"Patient/{patient.external_id}",
        vaccineCode={
            "coding": [{"system": "https://salamat.example/fhir/CodeSystem/vaccine", "code": "NOPE"}]
        },
    )
    refused(
        fhir_a,
        "Immunization",
        body,
        status=422,
        code="unknown_vaccine",
        expression=["Immunization.vaccineCode.coding[0].code"],
    )


def test_a_resource_type_the_platform_does_not_hold(fhir_a, patient):
    body = {"resourceType": "Account", "status": "active"}
    refused(fhir_a, "Account", body, status=422, code="not_supported", expression=["Account.resourceType"])
    assert issue_of(fhir_a.post("Account", body))["code"] == "not-supported"


def test_a_reference_to_another_clinics_resource_that_does_not_exist(fhir_a, patient):
    body = condition(
        f"Patient/{patient.external_id}",
        encounter={"reference": "Encounter/2f0a3c4e-1111-4222-8333-944455556666"},
    )
    refused(
        fhir_a,
        "Condition",
        body,
        status=422,
        code="unknown_reference",
        expression=["Condition.encounter.reference"],
    )


def test_a_reference_to_another_patients_encounter(fhir_a, patient, people):
    other = fhir_a.post(
        "Patient",
        {"resourceType": "Patient", "identifier": [{"system": SID_PIN, "value": people["Bakyt"].pin}]},
    ).json()
    enc = fhir_a.post("Encounter", encounter(f"Patient/{other['id']}")).json()
    body = condition(f"Patient/{patient.external_id}", encounter={"reference": f"Encounter/{enc['id']}"})
    refused(fhir_a, "Condition", body, status=422, code="reference_other_patient")


def test_a_date_in_the_future(fhir_a, patient):
    later = (timezone.localdate() + timedelta(days=3)).isoformat()
    refused(
        fhir_a,
        "Encounter",
        encounter(f"Patient/{patient.external_id}", start=f"{later}T09:00:00+06:00"),
        status=422,
        code="date_in_future",
        expression=["Encounter.period.start"],
    )


def test_a_practitioner_not_of_the_clinic(fhir_a, patient, doctor_b):
    body = encounter(
        f"Patient/{patient.external_id}",
        participant=[{"individual": {"reference": f"Practitioner/{doctor_b.external_id}"}}],
    )
    refused(
        fhir_a,
        "Encounter",
        body,
        status=422,
        code="unknown_practitioner",
        expression=["Encounter.participant[0].individual.reference"],
    )


def test_a_body_over_the_size_limit(fhir_a, patient, settings):
    settings.SALAMAT = {**settings.SALAMAT, "RECORD_MAX_BODY_BYTES": 2000}
    body = condition(f"Patient/{patient.external_id}", note=[{"text": "x" * 3000}])
    refused(fhir_a, "Condition", body, status=413, code="body_too_large")


def test_a_document_that_is_not_a_pdf(fhir_a, patient):
    body = document(f"Patient/{patient.external_id}", data=b"MZ\x90\x00 not a pdf at all")
    refused(
        fhir_a,
        "DocumentReference",
        body,
        status=422,
        code="document_not_pdf",
        expression=["DocumentReference.content[0].attachment.data"],
    )


def test_a_document_over_its_limit(fhir_a, patient, settings):
    settings.SALAMAT = {**settings.SALAMAT, "RECORD_MAX_DOCUMENT_BYTES": 100}
    body = document(f"Patient/{patient.external_id}", data=b"%PDF-1.4\n" + b"0" * 200 + b"\n%%EOF\n")
    refused(fhir_a, "DocumentReference", body, status=422, code="document_too_large")


def test_structure_errors_name_the_field(fhir_a, patient):
    body = condition(f"Patient/{patient.external_id}", onsetDateTime="2024-13-45")
    issue = refused(
        fhir_a, "Condition", body, status=422, code="invalid_resource", expression=["Condition.onsetDateTime"]
    )
    assert issue["code"] == "structure"


def test_not_json_and_wrong_media_type(fhir_a):
    response = fhir_a.client.post("/fhir/Condition", data="{", content_type="application/fhir+json")
    assert (response.status_code, issue_of(response)["details"]["coding"][0]["code"]) == (400, "json_invalid")
    response = fhir_a.client.post("/fhir/Condition", data="<x/>", content_type="application/xml")
    assert (response.status_code, issue_of(response)["details"]["coding"][0]["code"]) == (
        415,
        "unsupported_media_type",
    )


def test_no_token_and_a_bad_token(client, patient):
    response = client.get(f"/fhir/Patient/{patient.external_id}")
    assert (response.status_code, issue_of(response)["code"]) == (401, "login")
    response = client.get("/fhir/Condition?patient=x", HTTP_AUTHORIZATION="Bearer slm_bad")
    assert (response.status_code, issue_of(response)["details"]["coding"][0]["code"]) == (
        401,
        "invalid_token",
    )


def test_non_medical_organisations_do_not_write(make_org, make_token, patient):
    pharmacy = Fhir(Client(HTTP_AUTHORIZATION=f"Bearer {make_token(make_org('pharmacy'))}"))
    refused(pharmacy, "Encounter", encounter(f"Patient/{patient.external_id}"), status=403, code="forbidden")
