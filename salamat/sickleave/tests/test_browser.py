"""Done-when walks in headless Chromium, at phone (360 px) and desktop (1280 px) width:
a doctor from open to extend (the commission chair approves) to close; an employer
checking a printout by its QR code; the patient after ESI login.

The QR code is read back from the PDF itself: its page content streams are inflated, the
filled module rectangles the renderer drew are rasterised with Pillow and `zxingcpp`
decodes the image (poppler's pdftoppm is not installed here, and reportlab's renderPM
draws reportlab drawings, not PDF files)."""

from __future__ import annotations

import base64
import collections
import re
import zlib
from datetime import timedelta

import pytest
import zxingcpp
from django.conf import settings
from django.test import Client
from PIL import Image, ImageDraw

from salamat.accounts.selectors import actor_for_user
from salamat.sickleave import services
from salamat.sickleave.models import SickLeave
from salamat.sickleave.tests.conftest import EMPLOYER_TAX_ID

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
D = timedelta(days=1)
WIDTHS = [360, 1280]


def as_user(page_at, live_url, user, width):
    client = Client()
    client.force_login(user)
    page = page_at(width)
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": client.session.session_key, "url": live_url}]
    )
    # Signing asks for a confirmation that says what is signed: accept it, keep what it said.
    page.confirmations = []

    def accept(dialog):
        page.confirmations.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    return page


def fits(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def qr_from_pdf(data: bytes) -> str:
    """The text of the QR code drawn in `data` (a PDF), read back from its vectors."""
    rects = []
    for match in re.finditer(rb"/Filter \[([^\]]*)\][^>]*>>\s*stream\r?\n(.*?)endstream", data, re.S):
        filters, text = match.group(1), match.group(2).strip()
        try:
            if b"ASCII85Decode" in filters:
                text = base64.a85decode(text.removeprefix(b"<~").removesuffix(b"~>"))
            if b"FlateDecode" in filters:
                text = zlib.decompress(text)
        except (ValueError, zlib.error):
            continue  # fonts and images: no drawing operators there
        for r in re.finditer(rb"(-?[\d.]+) (-?[\d.]+) (-?[\d.]+) (-?[\d.]+) re\s+f", text):
            rects.append(tuple(float(v) for v in r.groups()))
    module = collections.Counter(round(r[3], 3) for r in rects).most_common(1)[0][0]
    qr = [r for r in rects if round(r[3], 3) == module]
    x0, y0 = min(r[0] for r in qr), min(r[1] for r in qr)
    x1, y1 = max(r[0] + r[2] for r in qr), max(r[1] + r[3] for r in qr)
    scale, pad = 8 / module, 32
    image = Image.new("L", (int((x1 - x0) * scale) + 2 * pad, int((y1 - y0) * scale) + 2 * pad), 255)
    draw = ImageDraw.Draw(image)
    for x, y, w, h in qr:
        left, top = (x - x0) * scale + pad, (y1 - (y + h)) * scale + pad
        draw.rectangle([left, top, left + w * scale - 1, top + h * scale - 1], fill=0)
    found = zxingcpp.read_barcodes(image)
    assert found, "no QR code found in the PDF"
    return found[0].text


@pytest.mark.parametrize("width", WIDTHS)
def test_doctor_opens_extends_with_the_commission_and_closes(
    page_at, live_server, shot, doctor, chair, patient, today, width
):
    page = as_user(page_at, live_server.url, doctor, width)
    # given: the workspace, empty today
    page.goto("/sick-leave/")
    shot(page, f"sickleave-1-workspace-{width}")
    page.click("#new-leave")
    page.wait_for_url("**/sick-leave/new/")
    # when: the doctor types the PIN and the ICD-10 code, the person and the title show up
    page.fill("#id_patient_pin", patient.pin)
    page.locator("[data-person]").wait_for()
    assert patient.family_name in page.locator("#patient-card").inner_text()
    page.fill("#id_employer_tax_id", EMPLOYER_TAX_ID)
    page.fill("#id_employer_name", "Demo Textile Works LLC")
    page.fill("#id_diagnosis_code", "J06.9")
    page.wait_for_function("document.querySelector('#icd-title').textContent.includes('Acute upper')")
    # a period too long is refused next to its field
    page.fill("#id_end", (today + 9 * D).isoformat())
    page.click("#issue")
    page.wait_for_load_state()
    assert "не более 5" in page.locator("#f-end .field-error").inner_text()
    shot(page, f"sickleave-2-open-refused-{width}")
    page.fill("#id_end", (today + 4 * D).isoformat())
    page.click("#issue")
    page.wait_for_url("**/sick-leave/*-*/")
    number = page.locator("#number").inner_text()
    assert page.locator("#sig-status").inner_text() == "все проверяются"
    shot(page, f"sickleave-3-opened-{width}")
    # then: two extensions with the defaults (next day, 5 days)
    for _ in range(2):
        page.click("#extend")
        page.wait_for_load_state()
    assert page.locator("#total-days").inner_text().startswith("15")
    # past 15 days the commission chair is named (preselected: the clinic has one)
    assert page.locator("#id_commission_chair").input_value() == str(chair.external_id)
    page.click("#extend")
    page.wait_for_load_state()
    assert page.locator("#waiting-notice").is_visible()
    shot(page, f"sickleave-4-waiting-commission-{width}")
    # the chair approves in the queue
    chair_page = as_user(page_at, live_server.url, chair, width)
    chair_page.goto("/sick-leave/commission/")
    item = chair_page.locator(f"li[data-number='{number}']")
    item.locator("input[type=text]").fill("VKK-17")
    shot(chair_page, f"sickleave-5-commission-queue-{width}")
    item.locator("button.approve").click()
    chair_page.wait_for_load_state()
    assert chair_page.locator(".messages").inner_text()
    # the doctor closes: return to work the day after the last period
    page.reload()
    page.locator("#panel-close summary").click()
    page.click("#close")
    page.wait_for_load_state()
    assert page.locator("#status").inner_text() == "Закрыт"
    roles = page.locator("#signatures li").evaluate_all("els => els.map(e => e.dataset.role)")
    assert roles == ["doctor", "doctor", "doctor", "doctor", "commission_chair", "organization"]
    assert page.locator("#sig-status").inner_text() == "все проверяются"
    fits(page, width)
    shot(page, f"sickleave-6-closed-{width}")
    leave = SickLeave.objects.get(number=number)
    assert (leave.status, leave.outcome, leave.outcome_date) == ("closed", "return_to_work", today + 20 * D)


@pytest.mark.parametrize("width", WIDTHS)
def test_employer_checks_a_printout_by_its_qr_code(
    page_at, live_server, shot, open_leave, doctor, doctor_actor, patient, today, width
):
    leave = open_leave()
    services.sick_leave_close(
        actor=doctor_actor, certificate=leave, outcome="return_to_work", outcome_date=today + 5 * D
    )
    # given: the printout the patient downloads from the certificate page
    pdf = as_user(page_at, live_server.url, doctor, width).request.get(
        f"{live_server.url}/sick-leave/{leave.external_id}/pdf/"
    )
    assert pdf.headers["content-type"] == "application/pdf"
    url = qr_from_pdf(pdf.body())
    assert url == f"{settings.PUBLIC_BASE_URL}/sick-leave/verify/{leave.number}"
    # when: the employer's phone opens the QR code's address (here on the test server)
    page = page_at(width)
    page.goto(url.replace(settings.PUBLIC_BASE_URL, live_server.url))
    # then: status, days, issuer — initials only, and never the diagnosis
    assert page.locator("#status").inner_text() == "Закрыт"
    assert page.locator("#signatures-valid").inner_text().strip() == "подписи проверяются"
    assert page.locator("#employee").inner_text() == "Testova A. D."
    fits(page, width)
    shot(page, f"sickleave-7-employer-qr-{width}")
    page.fill("#id_pin", patient.pin)
    page.click("#check")
    page.wait_for_load_state()
    assert page.locator("#employee").inner_text() == leave.patient_full_name
    assert "pin=" not in page.url and patient.pin not in page.url
    html = page.content()
    assert "J06" not in html and "respiratory" not in html.lower()
    shot(page, f"sickleave-8-employer-with-pin-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_patient_sees_her_sick_leaves_after_esi_login(
    page_at, live_server, shot, open_leave, doctor_actor, today, width
):
    from salamat.devidp.people import PEOPLE
    from salamat.devidp.testing import CITIZEN, esi_setup
    from salamat.tunduk.models import RegistryPerson

    esi_setup(live_server)
    citizen = next(p for p in PEOPLE if p.sub == CITIZEN)
    # The stand-in ESI setup may already have put the citizen in the population stand-in.
    RegistryPerson.objects.get_or_create(
        pin=citizen.pin,
        defaults={
            "family_name": citizen.family_name,
            "given_name": citizen.given_name,
            "middle_name": citizen.middle_name,
            "birth_date": citizen.birthdate,
            "sex": citizen.gender,
        },
    )
    closed = open_leave(patient_pin=citizen.pin, diagnosis_code="K29.1")
    services.sick_leave_close(
        actor=doctor_actor, certificate=closed, outcome="return_to_work", outcome_date=today + 5 * D
    )
    current = open_leave(
        patient_pin=citizen.pin, employer_tax_id="02101201910002", employer_name="Sample Bakery"
    )
    page = page_at(width)
    page.goto(live_server.url + "/login/")
    button = page.locator(f'a[href^="{settings.ESI_LOGIN_URL}"]')
    if button.count():
        button.first.click()
    else:
        page.goto(live_server.url + settings.ESI_LOGIN_URL)
    page.wait_for_url("**/devidp/login/**")
    page.click(f'button[data-person="{CITIZEN}"]')
    page.wait_for_url(live_server.url + "/")
    # the home page offers "My sick leaves" to a person with a PIN
    page.get_by_role("link", name="Мои больничные").first.click()
    page.wait_for_url("**/sick-leave/mine/")
    cards = page.locator(".sl-card")
    assert cards.count() == 2
    assert "K29.1" in page.content() and "J06.9" in page.content()
    fits(page, width)
    shot(page, f"sickleave-9-patient-list-{width}")
    page.locator(".sl-card", has_text=current.number).click()
    page.wait_for_url(f"**/sick-leave/{current.external_id}/")
    assert "J06.9" in page.locator("#diagnosis").inner_text()
    assert page.locator("#sig-status").inner_text() == "все проверяются"
    assert not page.locator("#actions").count()  # the patient reads, never acts
    pdf = page.request.get(page.locator("#pdf-link").get_attribute("href"))
    assert pdf.headers["content-type"] == "application/pdf"
    fits(page, width)
    shot(page, f"sickleave-10-patient-detail-{width}")


def test_signing_asks_with_what_is_signed_and_an_annulled_certificate_shows_no_green_badge(
    page_at, live_server, shot, open_leave, doctor, today
):
    leave = open_leave()
    page = as_user(page_at, live_server.url, doctor, 1280)
    page.goto(f"/sick-leave/{leave.external_id}/")
    # when the doctor extends, the confirmation names the certificate, the patient and the dates
    page.fill("#id_start", (today + 5 * D).isoformat())
    page.fill("#id_end", (today + 7 * D).isoformat())
    page.click("#extend")
    page.wait_for_load_state()
    said = page.confirmations[-1]
    assert leave.number in said and leave.patient_full_name in said
    assert (today + 5 * D).strftime("%d.%m.%Y") in said and (today + 7 * D).strftime("%d.%m.%Y") in said
    assert page.locator("#total-days").inner_text().startswith("8")
    # closing asks too, naming the outcome and its date
    assert "{outcome}" in page.locator("#panel-close form").get_attribute("data-confirm")
    # then an annulled certificate shows no green badge, here and on the employer's page
    leave.refresh_from_db()
    services.sick_leave_annul(
        actor=actor_for_user(doctor, leave.organization), certificate=leave, reason="Issued in error"
    )
    page.reload()
    assert page.locator("#sig-status").get_attribute("class") == "badge bad"
    shot(page, "sickleave-11-annulled-1280")
    page.goto(f"/sick-leave/verify/{leave.number}")
    badge = page.locator("#signatures-valid")
    assert badge.get_attribute("class") == "badge bad"
    shot(page, "sickleave-12-annulled-employer-1280")
