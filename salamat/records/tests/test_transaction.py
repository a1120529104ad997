"""POST /fhir/ with a transaction Bundle: all or nothing, urn:uuid references, retries."""

from __future__ import annotations

import copy

import pytest
from fhir.resources.R4B.bundle import Bundle

from salamat.core.models import AuditLog
from salamat.records.models import Patient, Resource
from salamat.records.tests.conftest import (
    allergy,
    code_of,
    condition,
    encounter,
    issue_of,
    medication_request,
    observation,
    snapshot,
)
from salamat.sickleave.fhir import SID_PIN

pytestmark = pytest.mark.django_db


def visit_bundle(pin: str, *, visit_id: str = "V-100", icd: str = "J06.9") -> dict:
    """A visit as a clinic's software sends it: the patient by PIN, the encounter, a diagnosis,
    an allergy, a prescription and a result, cross-referenced by urn:uuid — the encounter last."""
    patient, enc = (
        "urn:uuid:7d1c2a10-0000-4000-8000-000000000001",
        "urn:uuid:7d1c2a10-0000-4000-8000-000000000002",
    )
    ident = {"system": "urn:clinic-a:record-id", "value": visit_id}

    def item(url, resource, suffix):
        resource = {**resource, "identifier": [{**ident, "value": f"{visit_id}-{suffix}"}]}
        return {
            "fullUrl": url,
            "resource": resource,
            "request": {"method": "POST", "url": resource["resourceType"]},
        }

    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": patient,
                "resource": {"resourceType": "Patient", "identifier": [{"system": SID_PIN, "value": pin}]},
                "request": {"method": "POST", "url": "Patient", "ifNoneExist": f"identifier={SID_PIN}|{pin}"},
            },
            item(
                "urn:uuid:7d1c2a10-0000-4000-8000-000000000003",
                condition(patient, code=icd, encounter={"reference": enc}),
                "dx",
            ),
            item(
                "urn:uuid:7d1c2a10-0000-4000-8000-000000000004",
                allergy(patient, encounter={"reference": enc}),
                "al",
            ),
            item(
                "urn:uuid:7d1c2a10-0000-4000-8000-000000000005",
                medication_request(patient, encounter={"reference": enc}),
                "rx",
            ),
            item(
                "urn:uuid:7d1c2a10-0000-4000-8000-000000000006",
                observation(patient, encounter={"reference": enc}),
                "lab",
            ),
            item(enc, encounter(patient), "enc"),
        ],
    }


def test_a_visit_bundle_is_stored_whole(fhir_a, person):
    response = fhir_a.post("", visit_bundle(person.pin))
    assert response.status_code == 200, response.content
    body = response.json()
    Bundle.model_validate(body)
    assert body["type"] == "transaction-response"
    assert [e["response"]["status"] for e in body["entry"]] == ["201 Created"] * 6
    patient = Patient.objects.get(pin=person.pin)
    enc = Resource.objects.get(resource_type="Encounter")
    # every entry's urn:uuid became the stored resource's id, the encounter included
    for row in Resource.objects.exclude(pk=enc.pk):
        assert row.patient == patient and row.encounter == enc
        field = "patient" if row.resource_type == "AllergyIntolerance" else "subject"
        assert row.body[field] == {"reference": f"Patient/{patient.external_id}"}
        assert row.body["encounter"] == {"reference": f"Encounter/{enc.external_id}"}
    assert body["entry"][5]["response"]["location"] == f"Encounter/{enc.external_id}/_history/1"


def test_a_retried_bundle_stores_nothing_twice_and_answers_the_same_ids(fhir_a, person):
    first = fhir_a.post("", visit_bundle(person.pin)).json()
    before = snapshot()
    second = fhir_a.post("", visit_bundle(person.pin))
    assert second.status_code == 200
    assert snapshot() == before
    assert [e["response"]["location"] for e in second.json()["entry"]] == [
        e["response"]["location"] for e in first["entry"]
    ]
    assert [e["response"]["status"] for e in second.json()["entry"]] == ["200 OK"] * 6


def test_one_bad_entry_stores_nothing_and_is_named(fhir_a, person):
    bundle = visit_bundle(person.pin, icd="X99.99")
    before = snapshot()
    response = fhir_a.post("", bundle)
    assert response.status_code == 422
    issue = issue_of(response)
    assert issue["details"]["coding"][0]["code"] == "unknown_icd10"
    assert issue["expression"] == ["Bundle.entry[1].resource.code.coding[0].code"]
    assert snapshot() == before  # the patient and the encounter, processed first, were rolled back


def test_a_changed_resource_under_a_used_identifier_is_a_conflict(fhir_a, person):
    fhir_a.post("", visit_bundle(person.pin))
    changed = visit_bundle(person.pin)
    changed["entry"][1]["resource"]["code"]["coding"][0]["code"] = "I10"
    before = snapshot()
    response = fhir_a.post("", changed)
    assert (response.status_code, code_of(response)) == (409, "duplicate_identifier")
    assert issue_of(response)["expression"] == ["Bundle.entry[1].resource.identifier[0]"]
    assert snapshot() == before


def test_a_reference_to_no_entry_is_refused(fhir_a, person):
    bundle = visit_bundle(person.pin)
    bundle["entry"][1]["resource"]["encounter"] = {
        "reference": "urn:uuid:00000000-0000-4000-8000-0000000000ff"
    }
    before = snapshot()
    response = fhir_a.post("", bundle)
    assert (response.status_code, code_of(response)) == (422, "unknown_reference")
    assert issue_of(response)["expression"] == ["Bundle.entry[1].resource.encounter.reference"]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("mutate", "status", "code", "expression"),
    [
        (lambda b: b.update(type="batch"), 422, "bundle_type_not_supported", ["Bundle.type"]),
        (
            lambda b: b["entry"][2]["request"].update(method="DELETE"),
            422,
            "method_not_supported",
            ["Bundle.entry[2].request.method"],
        ),
        (
            lambda b: b["entry"][3]["resource"].update(resourceType="Account"),
            422,
            "not_supported",
            ["Bundle.entry[3].resource.resourceType"],
        ),
    ],
)
def test_bundle_shape_refusals(fhir_a, person, mutate, status, code, expression):
    bundle = copy.deepcopy(visit_bundle(person.pin))
    mutate(bundle)
    before = snapshot()
    response = fhir_a.post("", bundle)
    assert (response.status_code, code_of(response)) == (status, code)
    assert issue_of(response)["expression"] == expression
    assert snapshot() == before


def test_the_bundle_is_audited_with_what_it_created(fhir_a, person):
    fhir_a.post("", visit_bundle(person.pin))
    row = AuditLog.objects.get(action="record.transaction")
    assert sorted(ref.split("/")[0] for ref in row.changes["created"]) == sorted(
        ["Condition", "AllergyIntolerance", "MedicationRequest", "Observation", "Encounter"]
    )
    assert set(row.changes["created"]) == {r.reference for r in Resource.objects.all()}


def test_two_entries_of_one_bundle_with_one_identifier(fhir_a, person):
    bundle = visit_bundle(person.pin)
    twin = copy.deepcopy(bundle["entry"][1])
    twin["fullUrl"] = "urn:uuid:7d1c2a10-0000-4000-8000-0000000000aa"
    twin["resource"]["code"]["coding"][0]["code"] = "I10"
    bundle["entry"].append(twin)
    before = snapshot()
    response = fhir_a.post("", bundle)
    assert (response.status_code, code_of(response)) == (409, "duplicate_identifier")
    assert issue_of(response)["expression"] == ["Bundle.entry[6].resource.identifier[0]"]
    assert snapshot() == before


def test_a_refused_bundle_leaves_no_document_file_behind(fhir_a, person, settings):
    """The document's file is written before its row; the bundle's refusal rolls the row back
    and deletes the file again. A stored bundle keeps its file."""
    from pathlib import Path

    from salamat.records.tests.conftest import condition, document, snapshot

    def files() -> list[Path]:
        return [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]

    patient = {"reference": f"Patient?identifier={SID_PIN}|{person.pin}"}
    doc = document("x") | {"subject": patient}
    entries = [
        {"fullUrl": "urn:uuid:d0c", "resource": doc, "request": {"method": "POST", "url": "DocumentReference"}},
        {"fullUrl": "urn:uuid:bad", "resource": condition("x", code="X99.99") | {"subject": patient},
         "request": {"method": "POST", "url": "Condition"}},
    ]  # fmt: skip
    before = snapshot()
    response = fhir_a.post("", {"resourceType": "Bundle", "type": "transaction", "entry": entries})
    assert response.status_code == 422
    assert snapshot() == before and files() == []
    stored = fhir_a.post("", {"resourceType": "Bundle", "type": "transaction", "entry": entries[:1]})
    assert stored.status_code == 200
    assert len(files()) == 1
