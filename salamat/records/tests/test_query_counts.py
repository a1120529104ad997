"""The reads clinics' software calls most answer in a fixed number of queries, whatever the size
of the record: `$summary` (with every sick leave rendered as a Composition) and a search."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from salamat.accounts.selectors import actor_for_user
from salamat.records.models import RecordAccess
from salamat.records.tests.conftest import allergy, condition, encounter, observation
from salamat.sickleave.services import sick_leave_open

# PostgreSQL: the access-log row and the read go in one round trip (SQLite: two statements).
pytestmark = [pytest.mark.django_db, pytest.mark.postgres_only]


def _queries(fhir, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = fhir.get(url)
    assert response.status_code == 200, response.content
    return len(captured.captured_queries)


def _grow(fhir, patient, n: int) -> None:
    ref = f"Patient/{patient.external_id}"
    enc = fhir.post("Encounter", encounter(ref)).json()
    visit = {"encounter": {"reference": f"Encounter/{enc['id']}"}}
    for code in ["I10", "E11.9", "J06.9", "M54.5", "K29.7"][:n]:
        assert fhir.post("Condition", condition(ref, code=code, **visit)).status_code == 201
        assert fhir.post("Observation", observation(ref, **visit)).status_code == 201
    assert fhir.post("AllergyIntolerance", allergy(ref)).status_code == 201


def _leave(doctor, clinic, person, start, n: int) -> None:
    """A sick leave for the person's job `n` (one per employer)."""
    sick_leave_open(
        actor=actor_for_user(doctor, clinic),
        patient_pin=person.pin,
        employer_name=f"Demo Employer {n} LLC",
        employer_tax_id=f"0210120191000{n}",
        is_main_job=n == 1,
        reason="illness",
        diagnosis_code="J06.9",
        start=start,
        end=start + timedelta(days=2),
    )


def test_summary_queries_do_not_grow_with_the_record_or_the_sick_leaves(
    fhir_a, patient, person, doctor_a, clinic_a, today
):
    url = f"Patient/{patient.external_id}/$summary"
    _grow(fhir_a, patient, 1)
    _leave(doctor_a, clinic_a, person, today, 1)
    _queries(fhir_a, url)  # the token's last use is written once in a while; not measured
    small = _queries(fhir_a, url)
    _grow(fhir_a, patient, 5)
    for n in (2, 3, 4):
        _leave(doctor_a, clinic_a, person, today, n)
    logged = RecordAccess.objects.filter(patient=patient, interaction="summary").count()
    large = _queries(fhir_a, url)
    bundle = fhir_a.get(url).json()
    compositions = [e for e in bundle["entry"][1:] if e["resource"]["resourceType"] == "Composition"]
    assert len(compositions) == 4  # every sick leave, rendered
    assert large == small
    # token, patient with the access decision's inputs, access log + record (one round trip),
    # sick leaves, their periods
    assert large <= 5
    # the read was logged, once per read
    assert RecordAccess.objects.filter(patient=patient, interaction="summary").count() == logged + 2


def test_search_queries_do_not_grow_with_the_record(fhir_a, patient):
    url = f"Observation?patient={patient.external_id}&category=laboratory"
    _grow(fhir_a, patient, 1)
    _queries(fhir_a, url)
    small = _queries(fhir_a, url)
    _grow(fhir_a, patient, 5)
    logged = RecordAccess.objects.filter(patient=patient, interaction="search").count()
    assert _queries(fhir_a, url) == small <= 3  # token, patient + decision, access log + rows
    assert RecordAccess.objects.filter(patient=patient, interaction="search").count() == logged + 1
