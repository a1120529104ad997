"""Versions: PUT makes a new one, entered-in-error is an update, _history and vread read the old
ones; nothing is deleted; only the recording clinic changes its resources."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction

from salamat.accounts.selectors import actor_for_user
from salamat.records import services
from salamat.records.models import Resource, ResourceVersion
from salamat.records.tests.conftest import code_of, condition, encounter, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(fhir_a, patient):
    ref = f"Patient/{patient.external_id}"
    fhir_a.post("Encounter", encounter(ref))
    return fhir_a.post("Condition", condition(ref, code="I10")).json()


def test_update_makes_a_new_version_and_history_keeps_the_old(fhir_a, stored):
    changed = {**stored, "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "E11.9"}]}}
    response = fhir_a.put(f"Condition/{stored['id']}", changed, HTTP_IF_MATCH='W/"1"')
    assert response.status_code == 200, response.content
    assert (response.json()["meta"]["versionId"], response["ETag"]) == ("2", 'W/"2"')
    assert Resource.objects.get(external_id=stored["id"]).code == "E11.9"
    old = fhir_a.get(f"Condition/{stored['id']}/_history/1").json()
    assert old["code"]["coding"][0]["code"] == "I10" and old["meta"]["versionId"] == "1"
    history = fhir_a.get(f"Condition/{stored['id']}/_history").json()
    assert history["type"] == "history"
    assert [e["resource"]["meta"]["versionId"] for e in history["entry"]] == ["2", "1"]
    assert fhir_a.get(f"Condition/{stored['id']}/_history/9").status_code == 404


def test_an_unchanged_update_makes_no_version(fhir_a, stored):
    assert fhir_a.put(f"Condition/{stored['id']}", stored).json()["meta"]["versionId"] == "1"
    assert ResourceVersion.objects.filter(resource__external_id=stored["id"]).count() == 1


def test_entered_in_error_is_an_update_and_stays_readable(fhir_a, stored, doctor_a, clinic_a):
    row = Resource.objects.get(external_id=stored["id"])
    services.resource_mark_entered_in_error(actor=actor_for_user(doctor_a, clinic_a), resource=row)
    current = fhir_a.get(f"Condition/{stored['id']}").json()
    assert current["verificationStatus"]["coding"][0]["code"] == "entered-in-error"
    assert "clinicalStatus" not in current
    assert Resource.objects.get(pk=row.pk).status == "entered-in-error"
    assert (
        fhir_a.get(f"Condition/{stored['id']}/_history/1").json()["clinicalStatus"]["coding"][0]["code"]
        == "active"
    )


def test_stale_if_match_is_refused(fhir_a, stored):
    before = snapshot()
    response = fhir_a.put(
        f"Condition/{stored['id']}", {**stored, "note": [{"text": "x"}]}, HTTP_IF_MATCH='W/"7"'
    )
    assert (response.status_code, code_of(response)) == (412, "version_conflict")
    assert snapshot() == before


def test_delete_is_not_supported(fhir_a, stored):
    before = snapshot()
    response = fhir_a.delete(f"Condition/{stored['id']}")
    assert (response.status_code, code_of(response)) == (405, "delete_not_supported")
    assert response.json()["issue"][0]["code"] == "not-supported"
    assert snapshot() == before


def test_another_clinic_cannot_change_it(fhir_b, stored):
    before = snapshot()
    response = fhir_b.put(f"Condition/{stored['id']}", {**stored, "note": [{"text": "x"}]})
    assert (response.status_code, code_of(response)) == (403, "not_your_record")
    assert snapshot() == before


def test_update_does_not_create(fhir_a, patient):
    body = {**condition(f"Patient/{patient.external_id}"), "id": "0b7a1f57-9c64-4d7e-8a1b-3f8d2c4e5a60"}
    response = fhir_a.put(f"Condition/{body['id']}", body)
    assert (response.status_code, code_of(response)) == (404, "not_found")


@pytest.mark.postgres_only
def test_the_database_refuses_to_rewrite_a_version(stored):
    version = ResourceVersion.objects.get(resource__external_id=stored["id"])
    with pytest.raises(DatabaseError), transaction.atomic():
        ResourceVersion.objects.filter(pk=version.pk).update(status="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        Resource.objects.filter(external_id=stored["id"]).delete()


def test_an_unknown_address_is_an_operation_outcome(fhir_a):
    response = fhir_a.get("Condition/1/2/3")
    assert (response.status_code, code_of(response)) == (404, "not_found")
    assert response["Content-Type"].startswith("application/fhir+json")
