"""Issue 7's "done when", in headless Chromium through the real pages and redirects.

A clinic's representative logs in through the stand-in ESI (the platform's login page →
"Log in with ESI" → the provider's page → one click on the person), fills the whole
application on a 360 px phone (form, three real PDF/PNG documents, the public offer),
submits, and — after a reviewer on a desktop requests changes once and then approves
(phase 1), or at once (phase 2) — receives the API token, which works on
`/api/v1/whoami`. The new clinic admin then invites a doctor by PIN, and the doctor's
first ESI login lands them in that clinic. Screenshots go to var/screenshots/.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext
from PIL import Image

from salamat.accounts.models import Membership, User
from salamat.devidp.people import DEMO_HEAD_PHYSICIAN, EXPIRED_LICENCE_CLINIC, PEOPLE, UNREGISTERED_CLINIC
from salamat.devidp.testing import CLINIC_REPRESENTATIVE, DOCTOR, esi_setup
from salamat.onboarding.demo import offer_sample_ensure
from salamat.onboarding.models import Application
from salamat.signatures import standin_ca
from salamat.signatures.crypto import sign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REP = next(p for p in PEOPLE if p.sub == CLINIC_REPRESENTATIVE)
EXPIRED_REP = next(p for p in PEOPLE if p.organizations == [EXPIRED_LICENCE_CLINIC])
DOCTOR_PERSON = next(p for p in PEOPLE if p.sub == DOCTOR)
REVIEWER_PASSWORD = "reviewer-password-123"


def ru(message: str) -> str:
    """The Russian text the pages show for `message` (Russian is the default language)."""
    with translation.override("ru"):
        return gettext(message)


# --- small real documents ----------------------------------------------------------


def pdf_file(tmp_path: Path, name: str, title: str) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.drawString(72, 760, title)
    page.showPage()
    page.save()
    path = tmp_path / name
    path.write_bytes(buffer.getvalue())
    return path


def png_file(tmp_path: Path, name: str) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), (230, 240, 250)).save(buffer, format="PNG")
    path = tmp_path / name
    path.write_bytes(buffer.getvalue())
    return path


# --- steps -------------------------------------------------------------------------


@pytest.fixture
def platform(live_server, db):
    """The stand-in ESI registered for this live server (people, their clinics in the
    stand-in registries) and the public offer in force."""
    esi_setup(live_server)
    offer_sample_ensure()
    return live_server


def esi_login(page, live_server, sub: str) -> None:
    """The platform's login page → "Log in with ESI" → the provider's page → one click."""
    page.goto("/login/")
    page.locator(f'a[href^="{settings.ESI_LOGIN_URL}"]').click()
    page.wait_for_url("**/devidp/login/**")
    page.click(f'button[data-person="{sub}"]')
    page.wait_for_url(live_server.url + "/")


def password_login(page, username: str, password: str) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name=ru("Log in"), exact=True).click()
    page.wait_for_url("**/")


def apply(
    page, tmp_path: Path, shot, prefix: str, *, sub: str, sign_as=None, standin_sign: bool = False
) -> Application:
    """From the home page's card to a submitted application."""
    page.click('main a[href="/onboarding/"]')
    page.wait_for_url("**/onboarding/")
    shot(page, f"{prefix}-1-start-phone")
    page.get_by_role("button", name=ru("Start")).first.click()
    page.wait_for_url("**/form/")
    # What the registries know is already filled in; the person adds the rest.
    assert page.input_value("#id_licence_number")
    page.select_option("#id_region", "bishkek")
    page.fill("#id_district", "Первомайский")
    page.fill("#id_head_physician_pin", DEMO_HEAD_PHYSICIAN["pin"])
    page.fill("#id_head_physician_name", "Осмонова Гульнара Садыковна")
    assert_fits_the_phone(page)
    shot(page, f"{prefix}-2-form-phone")
    page.get_by_role("button", name=ru("Save and continue")).click()
    page.wait_for_url("**/documents/")
    for kind, path in (
        ("licence", pdf_file(tmp_path, "licence.pdf", "Licence")),
        ("state_registration", png_file(tmp_path, "registration.png")),
        ("head_physician_order", pdf_file(tmp_path, "order.pdf", "Order No. 1")),
    ):
        page.select_option("#id_kind", kind)
        page.set_input_files("#id_file", str(path))
        page.get_by_role("button", name=ru("Upload"), exact=True).click()
        page.wait_for_load_state()
    assert_fits_the_phone(page)
    shot(page, f"{prefix}-3-documents-phone")
    page.get_by_role("link", name=ru("Continue to the public offer")).click()
    page.wait_for_url("**/offer/")
    page.check("input[name=agree]")
    if sign_as is not None:
        record = json.loads(page.locator("#record").inner_text())
        cert = standin_ca.issue_personal_certificate(
            sign_as.pin, f"{sign_as.family_name} {sign_as.given_name}"
        )
        page.fill("#id_signature", sign(record, cert.private_key))
        page.fill("#id_certificate_pem", cert.certificate_pem)
    assert_fits_the_phone(page)
    shot(page, f"{prefix}-4-offer-phone")
    # Phase 2 in development: the stand-in CA can sign for the person (their signing tool's job).
    page.click("#standin-sign" if standin_sign else "#accept")
    page.wait_for_url("**/applications/*/")
    page.click("#submit")
    page.wait_for_load_state()
    assert_fits_the_phone(page)
    return Application.objects.get(applicant__esi_sub=sub)


def assert_fits_the_phone(page) -> None:
    """No sideways scrolling at 360 px."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.url


def whoami(live_server, token: str) -> requests.Response:
    return requests.get(
        live_server.url + "/api/v1/whoami", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def take_credentials(page, live_server, shot, name: str) -> str:
    page.click("#credentials")
    page.wait_for_load_state()
    token = page.locator("#token").inner_text().strip()
    shot(page, name)
    assert token.startswith("slm_")
    return token


def reviewer_opens(page, app: Application) -> None:
    page.goto("/")
    page.click('main a[href="/onboarding/review/"]')
    page.wait_for_url("**/onboarding/review/")
    page.get_by_role("link", name=app.legal_name).first.click()
    page.wait_for_url(f"**/review/{app.external_id}/")


# --- the tests ---------------------------------------------------------------------


def test_phase1_from_esi_login_to_credentials_and_a_doctor(
    page_at, platform, phase, make_org, make_user, tmp_path, shot
):
    live_server = platform
    ministry = make_org("ministry", name="Ministry of Health", ownership="public")
    reviewer = make_user("ministry_reviewer", ministry, username="reviewer", pin="10101198500001")
    reviewer.set_password(REVIEWER_PASSWORD)
    reviewer.save()

    # given: the representative logs in through ESI on a phone and applies
    phone = page_at(360)
    esi_login(phone, live_server, CLINIC_REPRESENTATIVE)
    shot(phone, "onb-p1-0-home-phone")
    app = apply(phone, tmp_path, shot, "onb-p1", sub=CLINIC_REPRESENTATIVE)
    assert phone.locator("#status").inner_text() == ru("Submitted")
    assert app.tax_id == UNREGISTERED_CLINIC["tax_id"] and app.represents_by_claim
    assert app.documents.count() == 3
    shot(phone, "onb-p1-5-submitted-phone")

    # when: a reviewer logs in on a desktop, takes it and asks for a change once
    desk = page_at(1280)
    desk.on("dialog", lambda dialog: dialog.accept())  # the reviewer confirms an approval
    password_login(desk, "reviewer", REVIEWER_PASSWORD)
    shot(desk, "onb-p1-6-reviewer-home")
    reviewer_opens(desk, app)
    desk.click("#take")
    desk.wait_for_load_state()
    shot(desk, "onb-p1-7-review")
    desk.fill("#id_comment", "Укажите район точно: Первомайский район г. Бишкек.")
    desk.click("#request-changes")
    desk.wait_for_load_state()
    assert desk.locator("#status").inner_text() == ru("Changes requested")

    # then: the applicant sees what to fix, fixes it and resubmits
    phone.goto(f"/onboarding/applications/{app.external_id}/")
    assert "Первомайский район г. Бишкек" in phone.locator("main").inner_text()
    shot(phone, "onb-p1-8-changes-requested-phone")
    phone.get_by_role("link", name=f"1. {ru('Organisation')}").click()
    phone.fill("#id_district", "Первомайский район г. Бишкек")
    phone.get_by_role("button", name=ru("Save and continue")).click()
    phone.wait_for_url("**/documents/")
    phone.goto(f"/onboarding/applications/{app.external_id}/")
    phone.click("#submit")
    phone.wait_for_load_state()
    assert phone.locator("#status").inner_text() == ru("Resubmitted")

    # when: the reviewer takes it again and approves
    reviewer_opens(desk, app)
    desk.click("#take")
    desk.wait_for_load_state()
    desk.fill("#id_comment", "Документы в порядке.")
    desk.click("#approve")
    desk.wait_for_load_state()
    assert desk.locator("#status").inner_text() == ru("Approved")
    shot(desk, "onb-p1-9-approved-reviewer")

    # then: the applicant receives the API token once, and it works
    phone.goto(f"/onboarding/applications/{app.external_id}/")
    shot(phone, "onb-p1-10-approved-phone")
    token = take_credentials(phone, live_server, shot, "onb-p1-11-credentials-phone")
    me = whoami(live_server, token)
    assert me.status_code == 200
    assert me.json()["kind"] == "api_client"
    assert me.json()["organization"]["tax_id"] == UNREGISTERED_CLINIC["tax_id"]
    phone.goto(f"/onboarding/applications/{app.external_id}/")
    assert phone.locator("#credentials").count() == 0  # shown once

    # when: the new clinic admin invites a doctor by PIN from the home page's "Staff" card
    phone.goto("/")
    shot(phone, "onb-p1-12-admin-home-phone")
    phone.click('main a[href*="/staff/"]')
    phone.fill("#id_pin", DOCTOR_PERSON.pin)
    phone.select_option("#id_role", "doctor")
    phone.get_by_role("button", name=ru("Add"), exact=True).click()
    phone.wait_for_load_state()
    assert ru("Role will be given when the person logs in through ESI.") in phone.locator("main").inner_text()
    shot(phone, "onb-p1-13-staff-phone")

    # then: the doctor's first ESI login lands them as a doctor of that clinic
    doctor_page = page_at(360)
    esi_login(doctor_page, live_server, DOCTOR)
    me = doctor_page.request.get(live_server.url + "/api/v1/whoami").json()
    assert me["organization"]["tax_id"] == UNREGISTERED_CLINIC["tax_id"]
    assert me["roles"] == ["doctor"]
    doctor = User.objects.get(pin=DOCTOR_PERSON.pin)
    app.refresh_from_db()
    assert Membership.objects.filter(user=doctor, organization=app.organization, role="doctor").exists()
    shot(doctor_page, "onb-p1-14-doctor-home-phone")


def test_phase2_auto_approves_and_routes_an_expired_licence_to_review(
    page_at, platform, phase, make_org, make_user, tmp_path, shot
):
    live_server = platform
    phase(2)

    # given: the representative of the registered-everywhere clinic applies and signs
    phone = page_at(360)
    esi_login(phone, live_server, CLINIC_REPRESENTATIVE)
    app = apply(phone, tmp_path, shot, "onb-p2", sub=CLINIC_REPRESENTATIVE, sign_as=REP)
    # then: every check passed, approved at once
    assert phone.locator("#status").inner_text() == ru("Approved")
    assert set(app.checklist.values_list("outcome", flat=True)) == {"ok"}
    shot(phone, "onb-p2-5-auto-approved-phone")
    token = take_credentials(phone, live_server, shot, "onb-p2-6-credentials-phone")
    assert whoami(live_server, token).json()["organization"]["tax_id"] == UNREGISTERED_CLINIC["tax_id"]

    # when: the representative of a clinic whose licence expired applies the same way
    other = page_at(360)
    esi_login(other, live_server, EXPIRED_REP.sub)
    routed = apply(other, tmp_path, shot, "onb-p2-expired", sub=EXPIRED_REP.sub, standin_sign=True)
    # then: the acceptance is signed, and it waits for a reviewer, with the failed check listed
    assert routed.acceptances.get().signed_record.verify_again().signer_pin == EXPIRED_REP.pin
    assert other.locator("#status").inner_text() == ru("Submitted")
    outcomes = dict(routed.checklist.values_list("name", "outcome"))
    assert outcomes["licence"] == "invalid"
    assert [name for name, outcome in outcomes.items() if outcome != "ok"] == ["licence"]
    text = other.locator("main").inner_text()
    assert ru("The licence is not valid today (expired, revoked or not yet in force).") in text
    shot(other, "onb-p2-expired-5-routed-phone")

    # and the reviewer's queue lists the failed check
    ministry = make_org("ministry", name="Ministry of Health", ownership="public")
    reviewer = make_user("ministry_reviewer", ministry, username="reviewer2", pin="10101198500002")
    reviewer.set_password(REVIEWER_PASSWORD)
    reviewer.save()
    desk = page_at(1280)
    desk.on("dialog", lambda dialog: dialog.accept())  # the reviewer confirms an approval
    password_login(desk, "reviewer2", REVIEWER_PASSWORD)
    desk.goto("/onboarding/review/")
    queue = desk.locator("main").inner_text()
    assert routed.legal_name in queue and app.legal_name not in queue
    assert ru("Licence registry") in queue
    shot(desk, "onb-p2-expired-6-queue")
