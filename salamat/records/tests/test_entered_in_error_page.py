"""Marking an item entered-in-error from the doctor's record page: confirmed with a reason,
only by the clinic that recorded it, audited; the item leaves the page and its earlier
versions stay readable."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from salamat.core.models import AuditLog
from salamat.records.models import Patient, Resource, ResourceVersion
from salamat.records.tests.conftest import encounter, snapshot
from salamat.records.tests.test_pages import browser_of, indexed, visit_post  # noqa: F401 - fixture
from salamat.sickleave.fhir import SID_PIN

pytestmark = pytest.mark.django_db


@pytest.fixture
def visit(doctor_a, indexed):  # noqa: F811 - the fixture imported above
    """A visit clinic A's doctor recorded on the page (diagnosis J06.9, a penicillin allergy...)."""
    url = reverse("records:visit_new", kwargs={"external_id": indexed.external_id})
    assert browser_of(doctor_a).post(url, visit_post(indexed)).status_code == 302
    return Resource.objects.get(patient=indexed, resource_type="Condition")


def english(user):
    """A logged-in browser that reads the pages in English."""
    client = browser_of(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _mark_url(row: Resource) -> str:
    return reverse(
        "records:mark_entered_in_error",
        kwargs={"external_id": row.patient.external_id, "resource_id": row.external_id},
    )


def test_doctor_marks_an_item_of_the_clinic_with_a_reason(doctor_a, visit):
    client = english(doctor_a)
    page = client.get(reverse("records:patient", kwargs={"external_id": visit.patient.external_id}))
    assert _mark_url(visit) in page.content.decode()  # the control is on the item
    response = client.post(_mark_url(visit), {"reason": "Wrong patient chosen"})
    assert response.status_code == 302
    row = Resource.objects.get(pk=visit.pk)
    assert (row.status, row.version_id) == ("entered-in-error", 2)
    assert ResourceVersion.objects.filter(resource=row).count() == 2  # version 1 stays readable
    audit = AuditLog.objects.get(action="record.resource_entered_in_error")
    assert audit.object_id == str(visit.external_id)
    assert audit.changes == {"version": 2, "reason": "Wrong patient chosen"}
    page = client.get(response["Location"]).content.decode()
    assert "Marked as entered in error" in page and _mark_url(visit) not in page  # gone from the page


def test_a_reason_is_required(doctor_a, visit):
    before = snapshot()
    response = english(doctor_a).post(_mark_url(visit), {"reason": "  "}, follow=True)
    assert "Say why the item is a mistake." in response.content.decode()
    assert snapshot() == before
    assert Resource.objects.get(pk=visit.pk).status == "active"
    assert not AuditLog.objects.filter(action="record.resource_entered_in_error").exists()


def test_another_clinic_cannot_mark_it(doctor_b, fhir_b, visit):
    # clinic B treats the patient too (a visit of its own), but did not record this diagnosis
    assert fhir_b.post("Encounter", encounter(f"Patient/{visit.patient.external_id}")).status_code == 201
    before = snapshot()
    page = english(doctor_b).get(
        reverse("records:patient", kwargs={"external_id": visit.patient.external_id})
    )
    assert _mark_url(visit) not in page.content.decode()  # no control on another clinic's item
    response = english(doctor_b).post(_mark_url(visit), {"reason": "Looks wrong"}, follow=True)
    assert "Only the clinic that recorded it may change it." in response.content.decode()
    assert snapshot() == before
    assert Resource.objects.get(pk=visit.pk).status == "active"


def test_an_item_of_another_patient_is_not_found(doctor_a, visit, fhir_a, people):
    other = next(p for name, p in people.items() if name != "Aigul")
    identifier = [{"system": SID_PIN, "value": other.pin}]
    assert fhir_a.post("Patient", {"resourceType": "Patient", "identifier": identifier}).status_code in (
        200,
        201,
    )
    stranger = Patient.objects.get(pin=other.pin)
    url = reverse(
        "records:mark_entered_in_error",
        kwargs={"external_id": stranger.external_id, "resource_id": visit.external_id},
    )
    assert browser_of(doctor_a).post(url, {"reason": "x"}).status_code == 404
    assert Resource.objects.get(pk=visit.pk).status == "active"
