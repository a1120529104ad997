"""A nurse of the treating clinic reads the record (pages and FHIR) but records nothing; a nurse
of another clinic is refused like its doctors. Every read and refusal is logged."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from salamat.accounts.selectors import actor_for_user
from salamat.core.errors import DomainError
from salamat.records import services
from salamat.records.models import Patient, RecordAccess
from salamat.records.tests.conftest import access_rows, code_of, condition, encounter, snapshot

pytestmark = pytest.mark.django_db

NURSE_A_PIN = "10304199200151"
NURSE_B_PIN = "10304199200152"


def browser_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def nurse_a(make_user, clinic_a):
    return make_user("nurse", clinic_a, username="rec-nurse-a", pin=NURSE_A_PIN)


@pytest.fixture
def nurse_b(make_user, clinic_b):
    return make_user("nurse", clinic_b, username="rec-nurse-b", pin=NURSE_B_PIN)


@pytest.fixture
def recorded(fhir_a, patient):
    """Clinic A treated the patient yesterday and recorded a diagnosis."""
    ref = f"Patient/{patient.external_id}"
    fhir_a.post("Encounter", encounter(ref))
    return fhir_a.post("Condition", condition(ref)).json()


def test_the_treating_clinics_nurse_reads_the_record(logged_in, nurse_a, patient, recorded):
    nurse = logged_in(nurse_a)
    assert nurse.get(f"Condition/{recorded['id']}").status_code == 200
    assert nurse.get(f"Patient/{patient.external_id}/$summary").status_code == 200
    page = browser_of(nurse_a).get(reverse("records:patient", kwargs={"external_id": patient.external_id}))
    assert page.status_code == 200
    html = page.content.decode()
    assert "I10" in html
    assert 'id="record-visit"' not in html  # a nurse does not record a visit
    assert access_rows(patient)[-3:] == [
        ("read", "allowed", "treating_clinic"),
        ("summary", "allowed", "treating_clinic"),
        ("view", "allowed", "treating_clinic"),
    ]


def test_a_nurse_finds_the_patient_without_a_record_a_visit_button(nurse_a, person, patient, recorded):
    response = browser_of(nurse_a).post(reverse("records:find"), {"pin": person.pin})
    html = response.content.decode()
    assert str(patient.external_id) in html
    assert "open-record" in html
    assert "record-visit" not in html


def test_the_record_refuses_a_nurses_write_with_its_reason(nurse_a, patient, recorded):
    # FHIR writes take an organisation's API token (a browser session gets `token_required`); the
    # pages write through the same service, which refuses a nurse before anything is stored.
    with translation.override("en"), pytest.raises(DomainError) as refused:
        services.write_context(actor=actor_for_user(nurse_a))
    assert (refused.value.code, refused.value.details["reason"]) == ("forbidden", "not_recording_staff")
    assert str(refused.value.message) == "Only doctors of an active medical organisation write to the record."


def test_the_visit_form_refuses_a_nurse_and_says_why(nurse_a, patient, recorded):
    before = snapshot()
    url = reverse("records:visit_new", kwargs={"external_id": patient.external_id})
    for response in (browser_of(nurse_a).get(url), browser_of(nurse_a).post(url, {"reason": "x"})):
        assert response.status_code == 403
        assert "записывает врач" in response.content.decode()  # the page speaks Russian by default
    assert snapshot() == before


def test_another_clinics_nurse_is_refused_and_logged(logged_in, nurse_b, clinic_b, patient, recorded):
    response = logged_in(nurse_b).get(f"Condition/{recorded['id']}")
    assert (response.status_code, code_of(response)) == (403, "forbidden")
    row = RecordAccess.objects.filter(patient=patient).latest("id")
    assert (row.actor_user, row.organization, row.decision, row.reason) == (
        nurse_b,
        clinic_b,
        "refused",
        "not_treating",
    )
    assert Patient.objects.filter(pk=patient.pk).exists()
