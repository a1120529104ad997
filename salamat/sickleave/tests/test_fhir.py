"""GET /fhir/Composition/{id}: validates as FHIR R4 (R4B models) and is readable only by its readers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from fhir.resources.R4B.composition import Composition

from salamat.sickleave import services
from salamat.sickleave.fhir import SID_PIN, SID_SICK_LEAVE

pytestmark = pytest.mark.django_db
D = timedelta(days=1)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def fetch(client, leave):
    response = client.get(f"/fhir/Composition/{leave.external_id}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/fhir+json")
    data = response.json()
    Composition.model_validate(data)  # raises if not a valid R4 Composition
    return data


def test_composition_with_periods_attesters_and_continuation(
    open_leave, doctor, doctor_actor, chair, patient, today
):
    leave = open_leave()
    services.sick_leave_extend(actor=doctor_actor, certificate=leave, end=today + 9 * D)
    services.sick_leave_extend(actor=doctor_actor, certificate=leave, end=today + 14 * D)
    follow = services.sick_leave_continue(
        actor=doctor_actor,
        certificate=leave,
        end=today + 19 * D,
        commission_chair=chair,
        commission_decision_number="VKK-3",
    )
    data = fetch(logged_in(doctor), leave)
    assert data["status"] == "final"
    assert data["identifier"] == {"system": SID_SICK_LEAVE, "value": leave.number}
    patient_res = next(r for r in data["contained"] if r["resourceType"] == "Patient")
    assert patient_res["identifier"][0] == {"system": SID_PIN, "value": patient.pin}
    period_sections = [s for s in data["section"] if s.get("extension")]
    assert [s["extension"][0]["valuePeriod"]["start"] for s in period_sections] == [
        today.isoformat(),
        (today + 5 * D).isoformat(),
        (today + 10 * D).isoformat(),
    ]
    # every period is signed by its doctor; the closed certificate by the clinic
    assert all("time" in a for a in data["attester"])
    assert data["attester"][-1]["mode"] == "legal"
    assert data["attester"][-1]["party"] == {"reference": "#issuer"}
    condition = next(r for r in data["contained"] if r["resourceType"] == "Condition")
    assert condition["code"]["coding"][0]["code"] == "J06.9"

    cont = fetch(logged_in(doctor), follow)
    assert cont["status"] == "preliminary"
    assert cont["relatesTo"] == [
        {"code": "appends", "targetIdentifier": {"system": SID_SICK_LEAVE, "value": leave.number}}
    ]
    assert [a["mode"] for a in cont["attester"]] == ["professional", "official"]


def test_annulled_is_entered_in_error_and_duplicate_replaces(open_leave, doctor, doctor_actor):
    leave = open_leave()
    duplicate = services.sick_leave_duplicate(actor=doctor_actor, certificate=leave)
    data = fetch(logged_in(doctor), duplicate)
    assert data["relatesTo"][0]["code"] == "replaces"
    assert data["relatesTo"][0]["targetIdentifier"]["value"] == leave.number
    services.sick_leave_annul(actor=doctor_actor, certificate=duplicate, reason="Issued in error")
    assert fetch(logged_in(doctor), duplicate)["status"] == "entered-in-error"


def test_who_may_read_the_composition(open_leave, make_user, make_org, make_token, api, patient, client):
    leave = open_leave()
    url = f"/fhir/Composition/{leave.external_id}"
    fetch(logged_in(make_user(None, pin=patient.pin)), leave)  # the patient
    fetch(logged_in(make_user("regulator", make_org("ministry"))), leave)  # the regulator
    fetch(api(make_token(leave.organization)), leave)  # the clinic's own system
    r = client.get(url)
    assert (r.status_code, r.json()["resourceType"]) == (401, "OperationOutcome")
    other = make_user("doctor", make_org("medical"))
    assert logged_in(other).get(url).status_code == 404
    assert api(make_token(make_org("social_fund"))).get(url).status_code == 404
    assert api("slm_bad_token").get(url).status_code == 401
