"""Who may read: the patient; a treating clinic's doctor; nobody else — each read and refusal logged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from salamat.accounts.selectors import actor_for_user
from salamat.records.access import AccessDecision, Purpose, Reason, access_decide
from salamat.records.models import RecordAccess, Resource
from salamat.records.tests.conftest import access_rows, code_of, condition, encounter, issue_of, snapshot
from salamat.sickleave.fhir import SID_PIN

pytestmark = pytest.mark.django_db


@pytest.fixture
def recorded(fhir_a, patient):
    """Clinic A treated the patient yesterday and recorded a diagnosis."""
    ref = f"Patient/{patient.external_id}"
    fhir_a.post("Encounter", encounter(ref))
    return fhir_a.post("Condition", condition(ref)).json()


def test_the_patient_reads_their_own_record(make_user, logged_in, person, patient, recorded):
    me = logged_in(make_user(None, pin=person.pin))
    assert me.get(f"Condition/{recorded['id']}").status_code == 200
    assert me.get(f"Condition?patient=Patient/{patient.external_id}").json()["entry"]
    assert me.get(f"Patient/{patient.external_id}/$summary").status_code == 200
    assert access_rows(patient)[-3:] == [
        ("read", "allowed", "self"),
        ("search", "allowed", "self"),
        ("summary", "allowed", "self"),
    ]


def test_the_treating_clinics_doctor_reads(logged_in, doctor_a, patient, recorded):
    response = logged_in(doctor_a).get(f"Condition/{recorded['id']}")
    assert response.status_code == 200
    row = RecordAccess.objects.filter(patient=patient).latest("id")
    assert (row.actor_user, row.decision, row.reason, row.purpose) == (
        doctor_a,
        "allowed",
        "treating_clinic",
        "treatment",
    )


def test_another_clinics_doctor_is_refused_and_logged(
    logged_in, fhir_b, doctor_b, clinic_b, patient, recorded
):
    before = snapshot()
    for response in (
        logged_in(doctor_b).get(f"Condition/{recorded['id']}"),
        fhir_b.get(f"Condition?patient={patient.external_id}"),
        fhir_b.get(f"Patient/{patient.external_id}/$summary"),
    ):
        assert (response.status_code, code_of(response)) == (403, "forbidden")
        assert issue_of(response)["code"] == "forbidden"
    assert snapshot() == before
    assert access_rows(patient)[-3:] == [
        ("read", "refused", "not_treating"),
        ("search", "refused", "not_treating"),
        ("summary", "refused", "not_treating"),
    ]
    assert RecordAccess.objects.filter(organization=clinic_b, decision="refused").count() == 3


def test_once_the_other_clinic_treats_the_patient_its_doctor_reads(fhir_b, patient, recorded):
    # the patient comes to clinic B: its visit opens the record to clinic B's doctors
    assert (
        fhir_b.post(
            "Encounter", encounter(f"Patient/{patient.external_id}", status="in-progress")
        ).status_code
        == 201
    )
    assert fhir_b.get(f"Condition/{recorded['id']}").status_code == 200


def test_the_regulator_never_reads_one_persons_record(make_user, make_org, logged_in, patient, recorded):
    regulator = logged_in(make_user("regulator", make_org("ministry")))
    response = regulator.get(f"Condition/{recorded['id']}")
    assert (response.status_code, code_of(response)) == (403, "forbidden")
    assert access_rows(patient)[-1] == ("read", "refused", "regulator_aggregate_only")


def test_an_old_visit_no_longer_makes_a_clinic_treating(doctor_a, clinic_a, patient, recorded, settings):
    actor = actor_for_user(doctor_a, clinic_a)
    assert access_decide(actor=actor, patient=patient, purpose=Purpose.TREATMENT).allowed
    long_ago = timezone.now() - timedelta(days=400)
    Resource.objects.filter(resource_type="Encounter").update(effective=long_ago)
    assert access_decide(actor=actor, patient=patient, purpose=Purpose.TREATMENT) == AccessDecision(
        False, Reason.NOT_TREATING, Purpose.TREATMENT
    )
    settings.SALAMAT = {**settings.SALAMAT, "RECORD_TREATING_MONTHS": 24}
    assert access_decide(actor=actor, patient=patient, purpose=Purpose.TREATMENT).allowed


def test_finding_a_patient_is_open_to_doctors_and_logged(fhir_b, person, patient):
    found = fhir_b.get(f"Patient?identifier={SID_PIN}|{person.pin}").json()
    assert [e["resource"]["id"] for e in found["entry"]] == [str(patient.external_id)]
    assert access_rows(patient)[-1] == ("search", "allowed", "identification")


def test_a_citizen_does_not_search_for_other_people(make_user, logged_in, person, patient):
    stranger = logged_in(make_user(None, pin="20505198500077"))
    response = stranger.get(f"Patient?identifier={SID_PIN}|{person.pin}")
    assert (response.status_code, code_of(response)) == (403, "forbidden")
    assert access_rows(patient)[-1] == ("search", "refused", "not_clinical_staff")
