"""The record's web pages through HTTP: the doctor finds the patient, records a visit (one
transaction, every refusal at its field and nothing stored), reads the record (only while
treating the patient; every read logged); the patient reads and downloads their own record."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from salamat.records.models import Patient, RecordAccess, Resource
from salamat.records.tests.conftest import access_rows, encounter, snapshot

_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _pdf_string(raw: bytes) -> str:
    """A PDF literal string's text: escapes undone, UTF-16 when it starts with the BOM."""
    out = re.sub(
        rb"\\([0-7]{1,3}|.)",
        lambda m: (
            bytes([int(m.group(1), 8)]) if m.group(1)[:1].isdigit() else _ESCAPES.get(m.group(1), m.group(1))
        ),
        raw,
        flags=re.S,
    )
    return out.decode("utf-16") if out.startswith(b"\xfe\xff") else out.decode("latin-1")


def pdf_titles(data: bytes) -> list[str]:
    """The bookmark titles of a PDF (one per section and per visit)."""
    return [_pdf_string(raw) for raw in re.findall(rb"/Title\s*\(((?:\\.|[^\\)])*)\)", data, flags=re.S)]


pytestmark = pytest.mark.django_db


def browser_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def visit_post(patient: Patient, **overrides) -> dict:
    data = {
        "visit_key": str(uuid.uuid4()),
        "klass": "AMB",
        "start": "2026-01-15T10:30",
        "reason": "Sore throat, fever",
        "note": "Advised rest and fluids.",
        "systolic": "128",
        "diastolic": "82",
        "pulse": "76",
        "temperature": "37.8",
        "weight": "61.5",
        "height": "",
        "dx-TOTAL_FORMS": "3",
        "dx-INITIAL_FORMS": "0",
        "dx-0-code": "J06.9",
        "dx-0-status": "active",
        "al-TOTAL_FORMS": "2",
        "al-INITIAL_FORMS": "0",
        "al-0-substance": "Penicillin",
        "al-0-category": "medication",
        "al-0-criticality": "high",
        "al-0-reaction": "Urticaria",
        "rx-TOTAL_FORMS": "3",
        "rx-INITIAL_FORMS": "0",
        "rx-0-medication": "Paracetamol 500 mg",
        "rx-0-product": "",
        "rx-0-dosage": "1 tablet up to 3 times a day",
        "vx-TOTAL_FORMS": "1",
        "vx-INITIAL_FORMS": "0",
        "vx-0-vaccine": "",
        "vx-0-lot": "",
        "vx-0-dose": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def indexed(doctor_a, person) -> Patient:
    """The person found by clinic A's doctor (the find page creates the patient from the registry)."""
    response = browser_of(doctor_a).post(reverse("records:find"), {"pin": person.pin})
    assert response.status_code == 200
    return Patient.objects.get(pin=person.pin)


def test_find_by_pin_and_by_name_logs_identification(doctor_a, person, indexed):
    client = browser_of(doctor_a)
    response = client.post(
        reverse("records:find"), {"family": person.family_name, "birth_date": person.birth_date}
    )
    assert str(indexed.external_id) in response.content.decode()
    assert access_rows(indexed) == [("search", "allowed", "identification")] * 2


def test_find_refuses_a_pin_of_the_wrong_shape(doctor_a):
    response = browser_of(doctor_a).post(reverse("records:find"), {"pin": "123"})
    assert "14" in response.content.decode()
    assert Patient.objects.count() == 0


def test_doctor_records_a_visit_in_one_transaction(doctor_a, indexed):
    client = browser_of(doctor_a)
    assert (
        client.get(reverse("records:visit_new", kwargs={"external_id": indexed.external_id})).status_code
        == 200
    )
    data = visit_post(indexed)
    response = client.post(reverse("records:visit_new", kwargs={"external_id": indexed.external_id}), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    rows = Resource.objects.filter(patient=indexed)
    kinds = sorted(rows.values_list("resource_type", flat=True))
    assert kinds == [
        "AllergyIntolerance",
        "Condition",
        "Encounter",
        "MedicationRequest",
        "Observation",
        "Observation",
        "Observation",
        "Observation",
    ]
    enc = rows.get(resource_type="Encounter")
    assert all(r.encounter_id == enc.pk for r in rows.exclude(pk=enc.pk))
    assert all(r.recorded_by_id == doctor_a.pk and r.organization_id == enc.organization_id for r in rows)
    # the same form submitted twice stores nothing twice
    again = client.post(reverse("records:visit_new", kwargs={"external_id": indexed.external_id}), data)
    assert again.status_code == 302
    assert Resource.objects.filter(patient=indexed).count() == 8
    # the record opens now that the clinic treats the patient, with the visit in it
    page = client.get(response["Location"]).content.decode()
    assert "J06.9" in page and "Penicillin" in page and "Paracetamol 500 mg" in page and "128/82" in page


@pytest.mark.parametrize(
    ("overrides", "field_id", "text"),
    [
        ({"dx-1-code": "Q99.9"}, "f-dx-1-code", "Q99.9 "),
        ({"start": "2099-01-01T10:00"}, "f-start", ""),
        ({"rx-0-dosage": ""}, "f-rx-0-dosage", ""),
        ({"systolic": "", "diastolic": "80"}, "f-systolic", ""),
        ({"vx-0-vaccine": "MMR", "vx-0-lot": ""}, "f-vx-0-lot", ""),
    ],
)
def test_a_refusal_is_shown_at_its_field_and_nothing_is_stored(doctor_a, indexed, overrides, field_id, text):
    before = snapshot()
    response = browser_of(doctor_a).post(
        reverse("records:visit_new", kwargs={"external_id": indexed.external_id}),
        visit_post(indexed, **overrides),
    )
    assert response.status_code == 200
    page = response.content.decode()
    start = page.index(f'id="{field_id}"')
    block = page[start : start + 2500]
    assert (
        'class="field-error"' in block.split('<div class="rec-field', 1)[0] or "field-error" in block[:1500]
    )
    assert text in block
    assert snapshot() == before


def test_other_clinic_is_refused_until_it_treats_the_patient(doctor_a, doctor_b, indexed, fhir_b):
    browser_of(doctor_a).post(
        reverse("records:visit_new", kwargs={"external_id": indexed.external_id}), visit_post(indexed)
    )
    client_b = browser_of(doctor_b)
    url = reverse("records:patient", kwargs={"external_id": indexed.external_id})
    refused = client_b.get(url)
    assert refused.status_code == 403
    assert "not treating" in refused.content.decode() or "не лечит" in refused.content.decode()
    assert (
        RecordAccess.objects.filter(patient=indexed, decision="refused", reason="not_treating").count() == 1
    )
    # clinic B records an encounter through its software: now it treats the patient
    assert fhir_b.post("Encounter", encounter(f"Patient/{indexed.external_id}")).status_code == 201
    page = client_b.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Penicillin" in text and "J06.9" in text and "Record Clinic A (test)" in text
    assert RecordAccess.objects.filter(patient=indexed, decision="allowed", reason="treating_clinic").exists()


def test_timeline_filters_by_clinic_and_type(doctor_a, indexed, fhir_b, clinic_b):
    browser_of(doctor_a).post(
        reverse("records:visit_new", kwargs={"external_id": indexed.external_id}), visit_post(indexed)
    )
    fhir_b.post("Encounter", encounter(f"Patient/{indexed.external_id}", klass="EMER"))
    url = reverse("records:patient", kwargs={"external_id": indexed.external_id})
    client = browser_of(doctor_a)
    everything = client.get(url).content.decode()
    assert everything.count('class="panel rec-visit') == 2
    only_b = client.get(url, {"clinic": clinic_b.pk}).content.decode()
    assert only_b.count('class="panel rec-visit') == 1 and 'data-class="EMER"' in only_b
    only_amb = client.get(url, {"type": "AMB"}).content.decode()
    assert only_amb.count('class="panel rec-visit') == 1 and 'data-class="AMB"' in only_amb


def test_icd_suggestions_by_code_and_by_title_in_the_page_language(doctor_a):
    client = browser_of(doctor_a)
    by_code = client.get(reverse("records:icd_suggest"), {"dx-0-code": "J0"}).content.decode()
    assert 'data-value="J06.9"' in by_code
    by_title = client.get(
        reverse("records:icd_suggest"), {"dx-0-code": "бронхит"}, HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()
    assert 'data-value="J20.9"' in by_title


def test_patient_reads_and_downloads_the_record(doctor_a, indexed, make_user, person):
    browser_of(doctor_a).post(
        reverse("records:visit_new", kwargs={"external_id": indexed.external_id}), visit_post(indexed)
    )
    me = browser_of(make_user(None, pin=person.pin))
    page = me.get(reverse("records:mine")).content.decode()
    assert "J06.9" in page and "Penicillin" in page
    bundle = json.loads(me.get(reverse("records:mine_bundle")).content)
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    assert {"Patient", "Encounter", "Condition"} <= {e["resource"]["resourceType"] for e in bundle["entry"]}
    pdf = me.get(reverse("records:mine_pdf"))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert any("J06.9" in title for title in pdf_titles(pdf.content))
    reasons = {(i, r) for i, _d, r in access_rows(indexed)}
    assert {("view", "self"), ("download-fhir", "self"), ("download-pdf", "self")} <= reasons


def test_someone_else_has_no_record_page_of_their_own(make_user):
    response = browser_of(make_user(None)).get(reverse("records:mine"))
    assert response.status_code == 200
    assert RecordAccess.objects.count() == 0


def test_demo_seed_is_idempotent_and_both_demo_clinics_read_a_shared_patient(settings, make_org):
    from fhir.resources.R4B.bundle import Bundle

    from salamat.accounts.demo import seed_demo
    from salamat.accounts.models import User
    from salamat.records.demo import seed_records

    seed_demo()
    assert seed_records(40) >= 40  # the generated people (and the seeded ones, if any)
    before = snapshot()
    assert seed_records(40) == 0
    assert snapshot() == before
    shared = Patient.objects.filter(pin__isnull=False).order_by("id").first()
    for username in ("demo-doctor", "demo-clinic-doctor"):
        client = browser_of(User.objects.get(username=username))
        page = client.get(reverse("records:patient", kwargs={"external_id": shared.external_id}))
        assert page.status_code == 200
        summary = client.get(f"/fhir/Patient/{shared.external_id}/$summary")
        Bundle.model_validate(summary.json())  # raises if not valid FHIR


def test_a_sick_leave_opens_from_a_visit_with_its_diagnosis_and_shows_in_that_visit(
    doctor_a, clinic_a, indexed
):
    from salamat.accounts.selectors import actor_for_user
    from salamat.sickleave.services import sick_leave_open

    client = browser_of(doctor_a)
    saved = client.post(
        reverse("records:visit_new", kwargs={"external_id": indexed.external_id}),
        visit_post(indexed, start=timezone.localtime().strftime("%Y-%m-%dT%H:%M")),
    )
    record = client.get(saved["Location"]).content.decode()
    assert 'name="diagnosis_code" value="J06.9"' in record  # the visit's "open a sick leave" button
    # the sick leave's form arrives with the visit's diagnosis, not asking again
    form = client.post(reverse("sickleave:new"), {"patient_pin": indexed.pin, "diagnosis_code": "J06.9"})
    assert 'id="id_diagnosis_code" value="J06.9"' in form.content.decode()
    leave = sick_leave_open(
        actor=actor_for_user(doctor_a, clinic_a),
        patient_pin=indexed.pin,
        employer_name="Demo Textile Works LLC",
        employer_tax_id="02101201910001",
        is_main_job=True,
        reason="illness",
        diagnosis_code="J06.9",
        regime="outpatient",
        start=timezone.localdate(),
        end=timezone.localdate() + timedelta(days=2),
    )
    page = client.get(
        reverse("records:patient", kwargs={"external_id": indexed.external_id})
    ).content.decode()
    visit = page[page.index('class="panel rec-visit') :]
    assert leave.number in visit.split("</article>", 1)[0]  # inside the visit it was opened at


def _open_from_visit(client, patient: Patient, encounter: str) -> object:
    """The doctor presses "open a sick leave" at a visit and fills in the certificate."""
    today = timezone.localdate()
    return client.post(
        reverse("sickleave:new"),
        {
            "patient_pin": patient.pin,
            "employer_tax_id": "02101201910001",
            "employer_name": "Demo Textile Works LLC",
            "is_main_job": "on",
            "reason": "illness",
            "diagnosis_code": "J06.9",
            "regime": "outpatient",
            "start": today.isoformat(),
            "end": (today + timedelta(days=2)).isoformat(),
            "record_encounter": encounter,
        },
    )


def test_a_sick_leave_belongs_to_the_visit_it_was_opened_from_not_the_days_first(doctor_a, indexed):
    from salamat.sickleave.models import SickLeave

    client = browser_of(doctor_a)
    now = timezone.localtime()
    saved = [
        client.post(
            reverse("records:visit_new", kwargs={"external_id": indexed.external_id}),
            visit_post(indexed, start=(now - timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M")),
        )["Location"]
        .split("saved=")[1]
        .split("#")[0]
        for m in (90, 5)  # two visits at the same clinic on the same day
    ]
    first_visit, second_visit = saved
    record = client.get(reverse("records:patient", kwargs={"external_id": indexed.external_id}))
    assert f'name="record_encounter" value="{first_visit}"' in record.content.decode()
    response = _open_from_visit(client, indexed, first_visit)
    assert response.status_code == 302, response.content.decode()[:500]
    leave = SickLeave.objects.get()
    assert str(leave.record_encounter) == first_visit
    page = client.get(
        reverse("records:patient", kwargs={"external_id": indexed.external_id})
    ).content.decode()
    section = page[page.index(f'id="visit-{first_visit}"') :].split("</article>", 1)[0]
    assert leave.number in section
    other = page[page.index(f'id="visit-{second_visit}"') :].split("</article>", 1)[0]
    assert leave.number not in other
    # the certificate's Composition names its visit
    composition = client.get(f"/fhir/Composition/{leave.external_id}")
    assert json.loads(composition.content)["encounter"] == {"reference": f"Encounter/{first_visit}"}


@pytest.mark.parametrize("whose", ["unknown", "other_clinic"])
def test_a_sick_leave_naming_a_visit_its_clinic_did_not_record_is_refused(doctor_a, indexed, fhir_b, whose):
    from salamat.sickleave.models import SickLeave

    if whose == "other_clinic":
        encounter = fhir_b.post("Encounter", encounter_body(indexed)).json()["id"]
    else:
        encounter = str(uuid.uuid4())
    before = snapshot()
    response = _open_from_visit(browser_of(doctor_a), indexed, encounter)
    assert response.status_code == 200
    assert "Ваша клиника не записывала такой приём этого пациента" in response.content.decode()
    assert SickLeave.objects.count() == 0
    assert snapshot() == before


def encounter_body(patient: Patient) -> dict:
    return encounter(f"Patient/{patient.external_id}")


def test_the_sick_leave_api_takes_the_visit_and_refuses_one_the_clinic_did_not_record(
    doctor_a, indexed, fhir_a, fhir_b
):
    from salamat.sickleave.models import SickLeave

    today = timezone.localdate()
    payload = {
        "patient_pin": indexed.pin,
        "employer_name": "Demo Textile Works LLC",
        "employer_tax_id": "02101201910001",
        "reason": "illness",
        "diagnosis_code": "J06.9",
        "start": today.isoformat(),
        "end": (today + timedelta(days=2)).isoformat(),
    }
    client = browser_of(doctor_a)
    other = fhir_b.post("Encounter", encounter_body(indexed)).json()["id"]
    before = snapshot()
    refused = client.post(
        "/api/v1/sick-leaves",
        {**payload, "record_encounter": other},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert (refused.status_code, refused.json()["code"]) == (422, "encounter_unknown")
    assert refused.json()["details"]["fields"][0]["field"] == "record_encounter"
    assert (SickLeave.objects.count(), snapshot()) == (0, before)
    own = fhir_a.post("Encounter", encounter_body(indexed)).json()["id"]
    opened = client.post(
        "/api/v1/sick-leaves", {**payload, "record_encounter": own}, content_type="application/json"
    )
    assert opened.status_code == 201, opened.content
    assert opened.json()["record_encounter"] == own
