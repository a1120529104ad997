"""The sick-leave API per role: doctor, employer (public), social fund, patient, regulator."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client

from salamat.sickleave import services

pytestmark = pytest.mark.django_db
D = timedelta(days=1)
DIAGNOSIS_CODE = "J06.9"
DIAGNOSIS_TITLE = "Acute upper respiratory infection"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def open_payload(patient, today, **overrides):
    payload = {
        "patient_pin": patient.pin,
        "employer_name": "Demo Textile Works LLC",
        "employer_tax_id": "02101201910001",
        "reason": "illness",
        "diagnosis_code": DIAGNOSIS_CODE,
        "start": today.isoformat(),
        "end": (today + 4 * D).isoformat(),
    }
    payload.update(overrides)
    return payload


def test_doctor_opens_extends_with_commission_and_closes(doctor, chair, patient, today):
    client = logged_in(doctor)
    # when the doctor opens a certificate
    response = client.post(
        "/api/v1/sick-leaves", open_payload(patient, today), content_type="application/json"
    )
    # then
    assert response.status_code == 201, response.content
    leave = response.json()
    assert leave["diagnosis_code"] == DIAGNOSIS_CODE
    assert leave["diagnosis_title"].startswith(DIAGNOSIS_TITLE)
    assert leave["periods"][0]["doctor_position"] == "General practitioner"
    url = f"/api/v1/sick-leaves/{leave['id']}"
    for end in (9, 14):
        r = client.post(
            f"{url}/extend", {"end": (today + end * D).isoformat()}, content_type="application/json"
        )
        assert r.status_code == 200, r.content
    r = client.post(f"{url}/extend", {"end": (today + 19 * D).isoformat()}, content_type="application/json")
    assert (r.status_code, r.json()["code"]) == (400, "commission_required")
    r = client.post(
        f"{url}/extend",
        {
            "end": (today + 19 * D).isoformat(),
            "commission_chair_id": str(chair.external_id),
        },
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["total_days"] == 20
    assert r.json()["periods"][3]["commission_chair_name"] == chair.full_name
    assert r.json()["periods"][3]["awaiting_commission"] is True
    close = {"outcome": "return_to_work", "outcome_date": (today + 20 * D).isoformat()}
    # the waiting period blocks closing until the chair approves
    r = client.post(f"{url}/close", close, content_type="application/json")
    assert (r.status_code, r.json()["code"]) == (400, "commission_approval_pending")
    assert client.post(f"{url}/periods/4/approve", {}, content_type="application/json").status_code == 403
    chair_client = logged_in(chair)
    queue = chair_client.get("/api/v1/sick-leaves/commission/queue").json()
    assert [(q["number"], q["ordinal"]) for q in queue] == [(leave["number"], 4)]
    r = chair_client.post(f"{url}/periods/4/approve", {}, content_type="application/json")
    assert (r.status_code, r.json()["code"]) == (422, "commission_decision_required")
    r = chair_client.post(
        f"{url}/periods/4/approve", {"commission_decision_number": "VKK-9"}, content_type="application/json"
    )
    assert r.status_code == 200, r.content
    assert r.json()["periods"][3]["signed"] is True
    assert chair_client.get("/api/v1/sick-leaves/commission/queue").json() == []
    r = client.post(f"{url}/close", close, content_type="application/json")
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["outcome"]) == ("closed", "return_to_work")
    # then every part is signed and verifies: 4 doctors' periods, the chair, the clinic
    sigs = client.get(f"{url}/signatures").json()
    assert sigs["all_valid"] is True
    assert [(s["role"], s["ordinal"], s["valid"]) for s in sigs["signatures"]] == [
        ("doctor", 1, True),
        ("doctor", 2, True),
        ("doctor", 3, True),
        ("doctor", 4, True),
        ("commission_chair", 4, True),
        ("organization", None, True),
    ]


def test_rule_refusal_shape(doctor, patient, today):
    r = logged_in(doctor).post(
        "/api/v1/sick-leaves",
        open_payload(patient, today, end=(today + 9 * D).isoformat()),
        content_type="application/json",
    )
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "period_too_long"
    assert body["details"]["max_days"] == 5


def test_a_machine_token_cannot_issue(clinic, make_token, api, patient, today):
    r = api(make_token(clinic)).post(
        "/api/v1/sick-leaves", open_payload(patient, today), content_type="application/json"
    )
    assert (r.status_code, r.json()["code"]) == (403, "doctor_required")


def test_anonymous_cannot_open_or_list(client, patient, today):
    assert (
        client.post(
            "/api/v1/sick-leaves", open_payload(patient, today), content_type="application/json"
        ).status_code
        == 401
    )
    assert client.get("/api/v1/sick-leaves").status_code == 401


def test_list_and_find_by_pin_are_scoped_to_my_clinic(
    open_leave, doctor, make_org, make_user, patient, people
):
    mine = open_leave()
    other_clinic = make_org("medical")
    other_doctor = make_user("doctor", other_clinic)
    r = logged_in(doctor).get("/api/v1/sick-leaves")
    assert [item["number"] for item in r.json()["items"]] == [mine.number]
    r = logged_in(doctor).get(f"/api/v1/sick-leaves?patient_pin={people['Bakyt'].pin}")
    assert r.json()["count"] == 0
    r = logged_in(other_doctor).get("/api/v1/sick-leaves")
    assert r.json()["count"] == 0
    assert logged_in(other_doctor).get(f"/api/v1/sick-leaves/{mine.external_id}").status_code == 404


def test_detail_for_patient_and_regulator(open_leave, make_user, make_org, patient):
    leave = open_leave()
    citizen = make_user(None, pin=patient.pin)
    r = logged_in(citizen).get(f"/api/v1/sick-leaves/{leave.external_id}")
    assert r.status_code == 200 and r.json()["diagnosis_code"] == DIAGNOSIS_CODE
    ministry = make_org("ministry")
    regulator = make_user("regulator", ministry)
    assert logged_in(regulator).get(f"/api/v1/sick-leaves/{leave.external_id}").status_code == 200
    stranger = make_user(None, pin="20101198012345")
    assert logged_in(stranger).get(f"/api/v1/sick-leaves/{leave.external_id}").status_code == 404


def test_patient_sees_own_sick_leaves(open_leave, make_user, patient, client):
    leave = open_leave()
    citizen = make_user(None, pin=patient.pin)
    r = logged_in(citizen).get("/api/v1/me/sick-leaves")
    assert r.status_code == 200
    assert [item["number"] for item in r.json()] == [leave.number]
    assert r.json()[0]["diagnosis_title"].startswith(DIAGNOSIS_TITLE)
    assert client.get("/api/v1/me/sick-leaves").status_code == 401
    no_pin = make_user(None)
    assert logged_in(no_pin).get("/api/v1/me/sick-leaves").json()["code"] == "pin_required"


# --- employer verification -----------------------------------------------------------------


def assert_no_diagnosis(raw: bytes | str, leave):
    text = raw.decode() if isinstance(raw, bytes) else raw
    for secret in (leave.diagnosis_code, leave.diagnosis_code.replace(".", ""), leave.diagnosis_title, "J06"):
        assert secret.lower() not in text.lower(), f"diagnosis leaked: {secret!r}"
    assert "diagnosis" not in text


def test_employer_verifies_without_login_and_never_sees_the_diagnosis(
    open_leave, doctor_actor, patient, client, today
):
    leave = open_leave()
    services.sick_leave_extend(actor=doctor_actor, certificate=leave, end=today + 9 * D)
    r = client.post(
        "/api/v1/sick-leaves/verify",
        {"number": leave.number, "pin": patient.pin},
        content_type="application/json",
    )
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "open"
    assert body["benefit_category"] == "general"
    assert [(p["start"], p["days"]) for p in body["periods"]] == [
        (today.isoformat(), 5),
        ((today + 5 * D).isoformat(), 5),
    ]
    assert body["issuing_organization"]["name"] == leave.organization.name
    assert_no_diagnosis(r.content, leave)
    assert "reason" not in body


def test_verification_of_closed_annulled_and_replaced(open_leave, doctor_actor, patient, client, today):
    closed = open_leave()
    services.sick_leave_close(
        actor=doctor_actor, certificate=closed, outcome="return_to_work", outcome_date=today + 5 * D
    )
    annulled = open_leave(employer_tax_id="02101201910002", is_main_job=False)
    services.sick_leave_annul(actor=doctor_actor, certificate=annulled, reason="Wrong employer entered")
    replaced = open_leave(reason="injury", diagnosis_code="S93.4")
    duplicate = services.sick_leave_duplicate(actor=doctor_actor, certificate=replaced)
    expected = {
        closed.number: ("closed", "return_to_work", []),
        annulled.number: ("annulled", "", []),
        replaced.number: ("replaced", "", [duplicate.number]),
    }
    for number, (status, outcome, replaced_by) in expected.items():
        r = client.post(
            "/api/v1/sick-leaves/verify",
            {"number": number, "pin": patient.pin},
            content_type="application/json",
        )
        body = r.json()
        assert (body["status"], body["outcome"], body["replaced_by"]) == (status, outcome, replaced_by)
        assert "Wrong employer" not in r.content.decode()
    r = client.post(
        "/api/v1/sick-leaves/verify",
        {"number": replaced.number, "pin": patient.pin},
        content_type="application/json",
    )
    assert "S93" not in r.content.decode() and "sprain" not in r.content.decode().lower()


def test_verification_needs_the_matching_pin(open_leave, people, client):
    leave = open_leave()
    for number, pin in (
        (leave.number, people["Bakyt"].pin),
        ("000000000000", people["Aigul"].pin),
        ("abc", "x"),
    ):
        r = client.post(
            "/api/v1/sick-leaves/verify", {"number": number, "pin": pin}, content_type="application/json"
        )
        assert (r.status_code, r.json()["code"]) == (404, "sick_leave_not_found")


# --- the social fund ------------------------------------------------------------------------------


@pytest.fixture
def closed_leaves(open_leave, doctor_actor, people, today):
    a = open_leave()
    services.sick_leave_close(
        actor=doctor_actor, certificate=a, outcome="return_to_work", outcome_date=today + 5 * D
    )
    b = open_leave(
        patient_pin=people["Bakyt"].pin,
        employer_tax_id="02101201910002",
        diagnosis_code="S93.4",
        reason="injury",
    )
    services.sick_leave_close(
        actor=doctor_actor, certificate=b, outcome="return_to_work", outcome_date=today + 5 * D
    )
    open_leave(patient_pin=people["Gulnara"].pin)  # still open: not for the fund
    return a, b


def test_social_fund_reads_closed_certificates(closed_leaves, make_org, make_token, api, today):
    fund = make_org("social_fund")
    client = api(make_token(fund))
    base = f"/api/v1/social-fund/sick-leaves?closed_from={today}&closed_to={today}"
    r = client.get(base)
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["count"] == 2
    item = body["items"][0]
    assert (item["total_days"], item["first_day"], item["outcome_date"]) == (
        5,
        today.isoformat(),
        (today + 5 * D).isoformat(),
    )
    assert item["benefit_category"] == "general"
    for leave in closed_leaves:
        assert_no_diagnosis(r.content, leave)
    r = client.get(base + "&employer_tax_id=02101201910002")
    assert [i["number"] for i in r.json()["items"]] == [closed_leaves[1].number]
    r = client.get(base + "&page_size=1&page=2")
    assert len(r.json()["items"]) == 1 and r.json()["count"] == 2
    r = client.get(f"/api/v1/social-fund/sick-leaves?closed_from={today - 10 * D}&closed_to={today - D}")
    assert r.json()["count"] == 0


def test_social_fund_csv(closed_leaves, make_org, make_token, api, today):
    fund = make_org("social_fund")
    r = api(make_token(fund)).get(
        f"/api/v1/social-fund/sick-leaves?closed_from={today}&closed_to={today}&format=csv"
    )
    assert r.status_code == 200
    assert r["Content-Type"].startswith("text/csv")
    text = b"".join(r.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {row["number"] for row in rows} == {leave.number for leave in closed_leaves}
    assert rows[0]["total_days"] == "5"
    for leave in closed_leaves:
        assert_no_diagnosis(text, leave)


def test_only_the_social_fund_reads_the_fund_list(
    closed_leaves, make_org, make_token, api, doctor, today, client
):
    url = f"/api/v1/social-fund/sick-leaves?closed_from={today}&closed_to={today}"
    for org_type in ("pharmacy", "medical", "ministry"):
        r = api(make_token(make_org(org_type))).get(url)
        assert (r.status_code, r.json()["code"]) == (403, "social_fund_only")
    assert client.get(url).status_code == 401
    assert logged_in(doctor).get(url).status_code == 401  # a session is not enough: fund tokens only
    fund = make_org("social_fund")
    r = api(make_token(fund)).get(
        f"/api/v1/social-fund/sick-leaves?closed_from={today}&closed_to={today - D}"
    )
    assert r.json()["code"] == "range_invalid"


def test_listing_does_not_query_per_certificate(open_leave, doctor, people, django_assert_max_num_queries):
    for name in ("Aigul", "Bakyt", "Cholpon", "Daniyar", "Gulnara"):
        open_leave(patient_pin=people[name].pin)
    client = logged_in(doctor)
    client.get("/api/v1/sick-leaves")  # warm the session and caches
    with django_assert_max_num_queries(12):
        r = client.get("/api/v1/sick-leaves")
    assert r.json()["count"] == 5
