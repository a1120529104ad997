"""The hot reads built once and run as prepared statements (`salamat.core.prepared`) answer as
the ORM would, request after request with other values: another patient, another clinic, a
revoked token, a clinic that no longer treats the patient, another category."""

from __future__ import annotations

import pytest
from django.db import connection

from salamat.accounts.models import ApiClient
from salamat.accounts.services import api_client_revoke
from salamat.core.actors import SYSTEM
from salamat.core.prepared import bind, placeholder_int, placeholder_str
from salamat.records.models import RecordAccess
from salamat.records.tests.conftest import encounter, issue_of, observation

pytestmark = pytest.mark.django_db


def test_bind_swaps_placeholders_and_keeps_the_query_constants():
    params = (placeholder_int(1), "Encounter", 5, True, placeholder_str(1), None)
    bound = bind(params, {placeholder_int(1): 42, placeholder_str(1): "vital-signs"})
    assert bound == [42, "Encounter", 5, True, "vital-signs", None]


def test_a_revoked_token_is_refused_on_the_next_request(fhir_a, clinic_a, patient):
    url = f"Patient/{patient.external_id}/$summary"
    assert fhir_a.post("Encounter", encounter(f"Patient/{patient.external_id}")).status_code == 201
    for _ in range(7):  # past the point where the statements are prepared
        assert fhir_a.get(url).status_code == 200
    api_client_revoke(actor=SYSTEM, client=ApiClient.objects.get(organization=clinic_a))
    response = fhir_a.get(url)
    assert response.status_code == 401
    assert issue_of(response)["details"]["coding"][0]["code"] == "token_revoked"


def test_each_request_binds_its_own_patient_and_clinic(fhir_a, fhir_b, patient):
    ref = f"Patient/{patient.external_id}"
    assert fhir_a.post("Encounter", encounter(ref)).status_code == 201
    assert fhir_a.post("Observation", observation(ref)).status_code == 201
    for _ in range(7):
        summary = fhir_a.get(f"{ref}/$summary")
        assert summary.status_code == 200
        assert summary.json()["entry"][1]["resource"]["id"] == str(patient.external_id)
    # clinic B does not treat the patient: refused, and logged, by the same prepared queries
    refused = fhir_b.get(f"{ref}/$summary")
    assert refused.status_code == 403
    assert issue_of(refused)["details"]["coding"][0]["code"] == "forbidden"
    assert (
        RecordAccess.objects.filter(patient=patient, decision="refused", reason="not_treating").count() == 1
    )
    # an unknown patient is not found
    assert fhir_a.get("Patient/5b1a3c1e-0000-4000-8000-000000000001/$summary").status_code == 404


def test_a_search_binds_its_categories(fhir_a, patient):
    ref = f"Patient/{patient.external_id}"
    assert fhir_a.post("Encounter", encounter(ref)).status_code == 201
    assert fhir_a.post("Observation", observation(ref)).status_code == 201  # a laboratory result
    for _ in range(6):
        found = fhir_a.get(f"Observation?patient={patient.external_id}&category=laboratory").json()
        assert len(found["entry"]) == 1
        none = fhir_a.get(f"Observation?patient={patient.external_id}&category=vital-signs").json()
        assert none["entry"] == []
        both = fhir_a.get(f"Observation?patient={patient.external_id}&category=laboratory,vital-signs")
        assert len(both.json()["entry"]) == 1
    assert RecordAccess.objects.filter(patient=patient, interaction="search").count() == 18


@pytest.mark.postgres_only
def test_the_reads_run_as_prepared_statements(fhir_a, patient):
    url = f"Patient/{patient.external_id}/$summary"
    assert fhir_a.post("Encounter", encounter(f"Patient/{patient.external_id}")).status_code == 201
    for _ in range(7):
        assert fhir_a.get(url).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("accounts_apiclient" in s for s in prepared)
    assert any("records_patient" in s and "records_resource" in s for s in prepared)
    assert any(s.startswith("WITH logged AS (INSERT INTO") for s in prepared)
