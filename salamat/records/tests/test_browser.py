"""Done-when walks in headless Chromium: a doctor records a visit with the keyboard (diagnosis
picked from the suggestions with Enter, an allergy, a prescription from the drug registry),
then a doctor of another clinic treating the patient sees it in the summary (1280 px), a
clinic that does not treat the patient is refused with a page saying why; the patient sees
the visit and downloads the record as JSON and PDF (360 px)."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.test import Client

from salamat.records.models import Patient, Resource
from salamat.records.tests.conftest import encounter
from salamat.records.tests.test_pages import pdf_titles
from salamat.sickleave.fhir import SID_PIN

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("code_list_samples"),
]


def as_user(page_at, live_url, user, width):
    client = Client()
    client.force_login(user)
    page = page_at(width)
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": client.session.session_key, "url": live_url}]
    )
    return page


def fits(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_visit_then_other_clinic_then_patient(
    page_at,
    live_server,
    shot,
    doctor_a,
    doctor_b,
    make_user,
    make_org,
    person,
    fhir_b,
    make_product,
    tmp_path,
):
    make_product(trade_name="Amoxidemo", inn="amoxicillinum", strength="500 mg", atc_code="J01CA04")
    # --- clinic A's doctor finds the patient by PIN and records the visit, keyboard only
    page = as_user(page_at, live_server.url, doctor_a, 1280)
    page.goto("/record/")
    page.locator("#id_pin").fill(person.pin)
    page.keyboard.press("Enter")
    page.locator(".rec-found").wait_for()
    shot(page, "record-1-found-1280")
    page.locator(".record-visit").first.click()
    page.wait_for_url("**/visit/")
    page.locator("#id_reason").fill("Sore throat, fever for two days")
    combo = page.locator("#id_dx-0-code")
    combo.focus()
    page.keyboard.type("бронх")
    page.locator("#dx-0-code-list [role=option]").first.wait_for()
    page.keyboard.press("Enter")  # picks the first suggestion, does not submit
    assert combo.input_value() == "J20.9"
    assert page.locator("#f-dx-0-code [data-picked]").inner_text().startswith("Острый бронхит")
    page.locator("#id_al-0-substance").fill("Penicillin")
    page.locator("#id_al-0-criticality").select_option("high")
    page.locator("#id_al-0-reaction").fill("Urticaria")
    page.locator("#id_rx-0-medication").focus()
    page.keyboard.type("Amoxi")
    page.locator("#rx-0-medication-list [role=option]").first.wait_for()
    page.keyboard.press("Enter")
    assert page.locator("#id_rx-0-medication").input_value() == "Amoxidemo 500 mg"
    page.keyboard.press("Tab")  # on to the dosage
    page.keyboard.type("500 mg three times a day, 7 days")
    page.locator("#id_systolic").fill("132")
    page.locator("#id_diastolic").fill("84")
    page.locator("#id_temperature").fill("37.9")
    shot(page, "record-2-visit-form-1280")
    page.locator("#save-visit").click()
    page.wait_for_url("**/record/patient/*/?saved=*")
    patient = Patient.objects.get(pin=person.pin)
    assert (
        Resource.objects.filter(patient=patient, resource_type="MedicationRequest")
        .get()
        .body["medicationCodeableConcept"]["coding"][0]["display"]
        == "Amoxidemo 500 mg"
    )
    assert "Penicillin" in page.locator("#allergies").inner_text()
    shot(page, "record-3-saved-own-view-1280")

    # --- a clinic that is not treating the patient is refused, and told why
    clinic_c = make_org("medical", name="Record Clinic C (test)")
    doctor_c = make_user("doctor", clinic_c, username="rec-doctor-c")
    page_c = as_user(page_at, live_server.url, doctor_c, 1280)
    response = page_c.goto(f"/record/patient/{patient.external_id}/")
    assert response.status == 403
    assert "12" in page_c.locator("#refusal-message").inner_text()
    shot(page_c, "record-4-refused-1280")

    # --- clinic B treats the patient (its software recorded a visit): its doctor sees the summary
    assert (
        fhir_b.post("Encounter", encounter(f"Patient/{patient.external_id}", klass="EMER")).status_code == 201
    )
    page_b = as_user(page_at, live_server.url, doctor_b, 1280)
    page_b.goto(f"/record/patient/{patient.external_id}/")
    assert "Penicillin" in page_b.locator("#allergies").inner_text()
    assert "J20.9" in page_b.locator("#problems").inner_text()
    assert "Amoxidemo" in page_b.locator("#medications").inner_text()
    assert "Record Clinic A (test)" in page_b.locator("#timeline").inner_text()
    assert page_b.locator("article.rec-visit").count() == 2
    fits(page_b, 1280)
    shot(page_b, "record-5-other-clinic-summary-1280")
    page_b.locator("#timeline-filter select[name=type]").select_option("EMER")
    page_b.locator("#timeline-filter button").click()
    page_b.wait_for_url("**type=EMER**")
    assert page_b.locator("article.rec-visit").count() == 1

    # --- the patient, on a phone: the visit, then both downloads
    me = make_user(None, pin=person.pin, username="rec-citizen")
    phone = as_user(page_at, live_server.url, me, 360)
    phone.goto("/record/mine/")
    assert "J20.9" in phone.locator("#my-visits").inner_text()
    assert "Penicillin" in phone.locator("#allergies").inner_text()
    fits(phone, 360)
    shot(phone, "record-6-patient-360")
    with phone.expect_download() as fhir_download:
        phone.locator("#download-fhir").click()
    bundle = json.loads(open(fhir_download.value.path(), encoding="utf-8").read())  # noqa: PTH123, SIM115
    assert bundle["resourceType"] == "Bundle"
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert {"Patient", "Encounter", "Condition", "AllergyIntolerance", "MedicationRequest"} <= set(kinds)
    with phone.expect_download() as pdf_download:
        phone.locator("#download-pdf").click()
    data = open(pdf_download.value.path(), "rb").read()  # noqa: PTH123, SIM115
    assert data.startswith(b"%PDF")
    # each visit is a bookmark of the PDF titled with its date, type and diagnosis codes
    assert any("J20.9" in title for title in pdf_titles(data))


def test_doctor_marks_a_diagnosis_entered_in_error(page_at, live_server, shot, doctor_a, fhir_a, person):
    """On the record page, the doctor opens "Entered in error…" on a diagnosis the clinic
    recorded, gives the reason and confirms; the diagnosis leaves the summary (1280 px)."""
    from salamat.records.tests.conftest import condition

    fhir_a.post(
        "Patient", {"resourceType": "Patient", "identifier": [{"system": SID_PIN, "value": person.pin}]}
    )
    patient = Patient.objects.get(pin=person.pin)
    ref = f"Patient/{patient.external_id}"
    enc = fhir_a.post("Encounter", encounter(ref)).json()
    visit = {"encounter": {"reference": f"Encounter/{enc['id']}"}}
    assert fhir_a.post("Condition", condition(ref, code="I10", **visit)).status_code == 201
    assert fhir_a.post("Condition", condition(ref, code="J06.9", **visit)).status_code == 201
    page = as_user(page_at, live_server.url, doctor_a, 1280)
    page.goto(f"/record/patient/{patient.external_id}/")
    assert "I10" in page.locator("#problems").inner_text()
    item = page.locator("article.rec-visit li.rec-item[data-code='I10']")
    form = item.locator("details.rec-mark form")
    assert not form.is_visible()  # closed until asked for
    item.locator("details.rec-mark summary").click()
    form.locator("input[name=reason]").fill("Recorded for the wrong patient")
    fits(page, 1280)
    shot(page, "record-7-entered-in-error-confirm-1280")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "I10" not in page.locator("#problems").inner_text()
    assert "J06.9" in page.locator("#problems").inner_text()
    shot(page, "record-8-entered-in-error-done-1280")
    row = Resource.objects.get(patient=patient, code="I10")
    assert (row.status, row.version_id) == ("entered-in-error", 2)
