"""Search parameters, keyset pages, _include; $summary (IPS) and $match; sick leaves in the record;
linking a temporary patient to their PIN."""

from __future__ import annotations

import pytest
from fhir.resources.R4B.bundle import Bundle

from salamat.records.models import Patient, Resource
from salamat.records.services.patients import SID_TEMPORARY
from salamat.records.tests.conftest import (
    MAKERS,
    UCUM,
    code_of,
    condition,
    days_ago,
    encounter,
    observation,
    snapshot,
)
from salamat.sickleave.fhir import SID_PIN

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(fhir_a, patient):
    """A visit with a diagnosis each of the last five days, and one result."""
    ref = f"Patient/{patient.external_id}"
    enc = fhir_a.post("Encounter", encounter(ref)).json()
    for n, code in enumerate(["I10", "E11.9", "J06.9", "M54.5", "K29.7"], start=1):
        body = condition(
            ref, code=code, onsetDateTime=days_ago(n), encounter={"reference": f"Encounter/{enc['id']}"}
        )
        assert fhir_a.post("Condition", body).status_code == 201
    fhir_a.post("Observation", observation(ref))
    return enc


def ids(bundle) -> list[str]:
    return [
        e["resource"]["code"]["coding"][0]["code"] for e in bundle["entry"] if e["search"]["mode"] == "match"
    ]


def test_search_by_date_code_status_and_pages(fhir_a, patient, history):
    base = f"Condition?patient=Patient/{patient.external_id}"
    assert ids(fhir_a.get(base).json()) == ["I10", "E11.9", "J06.9", "M54.5", "K29.7"]  # newest first
    assert ids(fhir_a.get(f"{base}&date=ge{days_ago(2)}").json()) == ["I10", "E11.9"]
    assert ids(fhir_a.get(f"{base}&date=lt{days_ago(3)}").json()) == ["M54.5", "K29.7"]
    assert ids(fhir_a.get(f"{base}&date=eq{days_ago(3)}").json()) == ["J06.9"]
    assert ids(fhir_a.get(f"{base}&code=http://hl7.org/fhir/sid/icd-10|E11.9,I10").json()) == ["I10", "E11.9"]
    assert ids(fhir_a.get(f"{base}&status=active&category=encounter-diagnosis").json()) == ids(
        fhir_a.get(base).json()
    )
    assert ids(fhir_a.get(f"{base}&status=resolved").json()) == []
    assert len(ids(fhir_a.get(f"{base}&_lastUpdated=ge{days_ago(1)}").json())) == 5
    # pages of two, by keyset
    seen, url = [], f"{base}&_count=2"
    while url:
        page = fhir_a.get(url).json()
        Bundle.model_validate(page)
        seen += ids(page)
        following = [link["url"] for link in page["link"] if link["relation"] == "next"]
        url = following[0].split("/fhir/", 1)[1] if following else None
    assert seen == ["I10", "E11.9", "J06.9", "M54.5", "K29.7"]


def test_include_patient_and_encounter(fhir_a, patient, history):
    url = f"Condition?patient={patient.external_id}&_include=Condition:patient&_include=Condition:encounter&_count=2"
    bundle = fhir_a.get(url).json()
    included = sorted(
        e["resource"]["resourceType"] for e in bundle["entry"] if e["search"]["mode"] == "include"
    )
    assert included == ["Encounter", "Patient"]
    response = fhir_a.get(f"Condition?patient={patient.external_id}&_include=Condition:asserter")
    assert (response.status_code, code_of(response)) == (400, "include_not_supported")


def test_search_needs_a_patient_and_known_parameters(fhir_a, patient):
    assert code_of(fhir_a.get("Condition")) == "patient_required"
    response = fhir_a.get(f"Condition?patient={patient.external_id}&_sort=date")
    assert (response.status_code, code_of(response)) == (400, "unknown_search_parameter")
    response = fhir_a.get(f"Condition?patient={patient.external_id}&date=ge2024-99")
    assert (response.status_code, code_of(response)) == (400, "search_date_invalid")


def test_search_by_patient_identifier(fhir_a, person, patient, history):
    bundle = fhir_a.get(f"Observation?patient.identifier={SID_PIN}|{person.pin}&category=laboratory").json()
    assert [e["resource"]["valueQuantity"]["system"] for e in bundle["entry"]] == [UCUM]


def test_summary_is_an_ips_document_that_validates(fhir_a, patient, history, open_sick_leave):
    ref = f"Patient/{patient.external_id}"
    for kind in ("AllergyIntolerance", "MedicationStatement", "Immunization"):
        fhir_a.post(kind, MAKERS[kind](ref))
    response = fhir_a.get(f"Patient/{patient.external_id}/$summary")
    assert response.status_code == 200
    body = response.json()
    Bundle.model_validate(body)  # raises if not valid FHIR
    assert body["type"] == "document"
    composition = body["entry"][0]["resource"]
    assert composition["type"]["coding"][0]["code"] == "60591-5"
    sections = {s["code"]["coding"][0]["code"]: s for s in composition["section"]}
    assert {"11450-4", "48765-2", "10160-0", "11369-6", "30954-2", "sick-leave"} <= set(sections)
    assert len(sections["11450-4"]["entry"]) == 5
    named = {r["reference"] for s in composition["section"] for r in s.get("entry", [])}
    present = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in body["entry"]}
    assert named <= present  # every section entry is in the document
    assert f"Composition/{open_sick_leave.external_id}" in named


def test_summary_of_an_empty_record_says_nil_known(fhir_a, patient):
    fhir_a.post("Encounter", encounter(f"Patient/{patient.external_id}"))
    body = fhir_a.get(f"Patient/{patient.external_id}/$summary").json()
    Bundle.model_validate(body)
    problems = body["entry"][0]["resource"]["section"][0]
    assert problems["emptyReason"]["coding"][0]["code"] == "nilknown"


def test_sick_leaves_are_in_the_record(fhir_a, patient, history, open_sick_leave):
    bundle = fhir_a.get(f"Composition?patient=Patient/{patient.external_id}").json()
    assert [e["resource"]["id"] for e in bundle["entry"]] == [str(open_sick_leave.external_id)]
    assert fhir_a.get(f"Composition/{open_sick_leave.external_id}").status_code == 200


def test_match_by_pin_and_by_name(fhir_a, person, patient):
    by_pin = {
        "resourceType": "Parameters",
        "parameter": [
            {
                "name": "resource",
                "resource": {
                    "resourceType": "Patient",
                    "identifier": [{"system": SID_PIN, "value": person.pin}],
                },
            }
        ],
    }
    result = fhir_a.post("Patient/$match", by_pin).json()
    assert result["entry"][0]["search"]["score"] == 1.0
    by_name = {
        "resourceType": "Parameters",
        "parameter": [
            {
                "name": "resource",
                "resource": {
                    "resourceType": "Patient",
                    "name": [{"family": person.family_name, "given": [person.given_name]}],
                    "birthDate": person.birth_date.isoformat(),
                },
            }
        ],
    }
    result = fhir_a.post("Patient/$match", by_name).json()
    assert [e["resource"]["id"] for e in result["entry"]] == [str(patient.external_id)]
    assert result["entry"][0]["search"]["extension"][0]["valueCode"] == "probable"
    found = fhir_a.get(
        f"Patient?family={person.family_name}&birthdate={person.birth_date.isoformat()}"
    ).json()
    assert found["total"] == 1


def test_link_a_temporary_patient_to_their_pin(fhir_a, people):
    unidentified = fhir_a.post(
        "Patient",
        {
            "resourceType": "Patient",
            "gender": "male",
            "identifier": [{"system": "urn:clinic-a:er", "value": "ER-9"}],
        },
    ).json()
    temp_ref = f"Patient/{unidentified['id']}"
    enc = fhir_a.post("Encounter", encounter(temp_ref, klass="EMER")).json()
    fhir_a.post("Condition", condition(temp_ref, code="S52.5"))
    pin = people["Bakyt"].pin
    response = fhir_a.post(
        f"Patient/{unidentified['id']}/$link",
        {
            "resourceType": "Parameters",
            "parameter": [
                {"name": "target-identifier", "valueIdentifier": {"system": SID_PIN, "value": pin}}
            ],
        },
    )
    assert response.status_code == 200, response.content
    target = Patient.objects.get(pin=pin)
    assert set(Resource.objects.values_list("patient", flat=True)) == {target.pk}
    moved = fhir_a.get(f"Encounter/{enc['id']}").json()
    assert (moved["subject"]["reference"], moved["meta"]["versionId"]) == (
        f"Patient/{target.external_id}",
        "2",
    )
    temp = fhir_a.get(temp_ref).json()
    assert temp["link"] == [{"other": {"reference": f"Patient/{target.external_id}"}, "type": "replaced-by"}]
    assert temp["identifier"][0]["system"] == SID_TEMPORARY
    # the old id still finds the record, now under the PIN
    assert len(fhir_a.get(f"Condition?patient={temp_ref}").json()["entry"]) == 1
    before = snapshot()
    again = fhir_a.post(
        f"Patient/{unidentified['id']}/$link",
        {
            "resourceType": "Parameters",
            "parameter": [
                {"name": "target-identifier", "valueIdentifier": {"system": SID_PIN, "value": pin}}
            ],
        },
    )
    assert (again.status_code, code_of(again)) == (409, "already_linked")
    assert snapshot() == before
