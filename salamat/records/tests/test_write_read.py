"""Every resource kind written through POST /fhir/{type} and read back; patients and practitioners."""

from __future__ import annotations

import base64

import pytest
from fhir.resources.R4B import get_fhir_model_class

from salamat.core.models import AuditLog
from salamat.records.models import Document, Patient, Resource, ResourceVersion
from salamat.records.services.patients import SID_TEMPORARY
from salamat.records.tests.conftest import MAKERS, TINY_PDF, code_of, encounter
from salamat.sickleave.fhir import SID_PIN

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_every_kind_is_written_and_read_back(kind, fhir_a, patient, doctor_a, clinic_a):
    # given a treating relationship (the clinic's visit) and one resource of the kind
    ref = f"Patient/{patient.external_id}"
    assert fhir_a.post("Encounter", encounter(ref)).status_code == 201
    # when the clinic's software posts it
    created = fhir_a.post(kind, MAKERS[kind](ref))
    # then it is stored as version 1 and reads back as valid FHIR R4
    assert created.status_code == 201, created.content
    assert created["Content-Type"].startswith("application/fhir+json")
    body = created.json()
    assert body["meta"]["versionId"] == "1" and created["ETag"] == 'W/"1"'
    assert created["Location"].endswith(f"/fhir/{kind}/{body['id']}/_history/1")
    read = fhir_a.get(f"{kind}/{body['id']}")
    assert read.status_code == 200
    assert read.json() == body
    get_fhir_model_class(kind).model_validate(read.json())
    row = Resource.objects.get(external_id=body["id"])
    assert (row.patient, row.organization, row.version_id) == (patient, clinic_a, 1)
    # who recorded it, where: on the resource itself
    recorded_by = {
        e["url"].rsplit("/", 1)[1]: e["valueReference"]["reference"] for e in body["meta"]["extension"]
    }
    assert recorded_by["recorded-by-organization"] == f"Organization/{clinic_a.external_id}"
    assert AuditLog.objects.filter(action="record.resource_create", object_id=body["id"]).exists()


def test_a_document_is_stored_as_a_binary_and_read_back(fhir_a, patient):
    ref = f"Patient/{patient.external_id}"
    fhir_a.post("Encounter", encounter(ref))
    body = fhir_a.post("DocumentReference", MAKERS["DocumentReference"](ref)).json()
    attachment = body["content"][0]["attachment"]
    assert "data" not in attachment and attachment["url"].startswith("Binary/")
    assert attachment["size"] == len(TINY_PDF)
    pdf = fhir_a.get(attachment["url"])
    assert (pdf.status_code, pdf["Content-Type"], pdf.content) == (200, "application/pdf", TINY_PDF)
    as_json = fhir_a.get(attachment["url"], HTTP_ACCEPT="application/fhir+json").json()
    assert base64.b64decode(as_json["data"]) == TINY_PDF
    assert Document.objects.get().sha256


def test_condition_code_is_normalised_and_encounter_linked(fhir_a, patient):
    ref = f"Patient/{patient.external_id}"
    enc = fhir_a.post("Encounter", encounter(ref)).json()
    cond = fhir_a.post(
        "Condition", MAKERS["Condition"](ref, code="j069", encounter={"reference": f"Encounter/{enc['id']}"})
    ).json()
    assert cond["code"]["coding"][0]["code"] == "J06.9"
    row = Resource.objects.get(external_id=cond["id"])
    assert row.encounter.external_id.hex == enc["id"].replace("-", "")


def test_patient_with_pin_comes_from_the_registry(fhir_a, person):
    # the clinic's software sends a PIN and a wrong name: the registry's name is kept
    response = fhir_a.post(
        "Patient",
        {
            "resourceType": "Patient",
            "identifier": [{"system": SID_PIN, "value": person.pin}],
            "name": [{"family": "Typo"}],
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["name"][0]["family"] == person.family_name
    assert body["birthDate"] == person.birth_date.isoformat() and body["gender"] == person.sex
    again = fhir_a.post(
        "Patient", {"resourceType": "Patient", "identifier": [{"system": SID_PIN, "value": person.pin}]}
    )
    assert (again.status_code, again.json()["id"]) == (200, body["id"])
    assert Patient.objects.filter(pin=person.pin).count() == 1


def test_temporary_patient_is_issued_and_a_retry_answers_the_same(fhir_a):
    newborn = {
        "resourceType": "Patient",
        "identifier": [{"system": "urn:clinic-a:mrn", "value": "NB-17"}],
        "name": [{"family": "Newborn of Testova", "given": ["Boy"]}],
        "gender": "male",
        "birthDate": "2026-12-01",
    }
    first = fhir_a.post("Patient", newborn)
    assert first.status_code == 201, first.content
    ident = first.json()["identifier"][0]
    assert ident["system"] == SID_TEMPORARY and ident["value"].startswith("T-")
    second = fhir_a.post("Patient", newborn)
    assert (second.status_code, second.json()["id"]) == (200, first.json()["id"])
    # a resource names the temporary patient by its identifier
    enc = encounter(f"Patient?identifier={SID_TEMPORARY}|{ident['value']}")
    assert fhir_a.post("Encounter", enc).status_code == 201


def test_practitioner_read(fhir_a, doctor_a):
    body = fhir_a.get(f"Practitioner/{doctor_a.external_id}").json()
    assert body["resourceType"] == "Practitioner" and body["name"][0]["family"] == doctor_a.last_name
    assert fhir_a.get("Practitioner/00000000-0000-0000-0000-000000000000").status_code == 404


def test_practitioner_by_pin_is_recorded_as_the_author(fhir_a, patient, doctor_a):
    enc = encounter(
        f"Patient/{patient.external_id}",
        participant=[{"individual": {"reference": f"Practitioner?identifier={SID_PIN}|{doctor_a.pin}"}}],
    )
    body = fhir_a.post("Encounter", enc).json()
    assert body["participant"][0]["individual"]["reference"] == f"Practitioner/{doctor_a.external_id}"
    assert Resource.objects.get(external_id=body["id"]).recorded_by == doctor_a


def test_conditional_create_if_none_exist(fhir_a, patient):
    enc = encounter(
        f"Patient/{patient.external_id}", identifier=[{"system": "urn:clinic-a:visit", "value": "V-1"}]
    )
    first = fhir_a.post("Encounter", enc, HTTP_IF_NONE_EXIST="identifier=urn:clinic-a:visit|V-1")
    second = fhir_a.post("Encounter", enc, HTTP_IF_NONE_EXIST="identifier=urn:clinic-a:visit|V-1")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert ResourceVersion.objects.count() == 1


def test_writes_need_the_clinics_token(logged_in, doctor_a, patient):
    response = logged_in(doctor_a).post("Encounter", encounter(f"Patient/{patient.external_id}"))
    assert (response.status_code, code_of(response)) == (403, "token_required")


def test_metadata_lists_exactly_what_is_supported(client):
    body = client.get("/fhir/metadata").json()
    get_fhir_model_class("CapabilityStatement").model_validate(body)
    types = {r["type"] for r in body["rest"][0]["resource"]}
    assert types == set(MAKERS) | {"Patient", "Practitioner", "Composition", "Binary"}
    condition = next(r for r in body["rest"][0]["resource"] if r["type"] == "Condition")
    assert "Condition:encounter" in condition["searchInclude"]
    assert not any(i["code"] == "delete" for r in body["rest"][0]["resource"] for i in r["interaction"])


def test_warm_up_builds_every_kind_the_record_holds():
    """Run at a server worker's start (gunicorn.conf.py): no clinic's first submission waits
    seconds for the FHIR library to build its models."""
    from salamat.records.models import ResourceType
    from salamat.records.services.engine import warm_up

    assert warm_up() == {*ResourceType.values, "Patient"}
