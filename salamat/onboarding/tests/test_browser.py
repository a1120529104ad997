"""The onboarding pages in headless Chromium, at phone width for the applicant.

The ESI login itself belongs to the identity module; here the browser starts with a
session made by `force_login` carrying the `esi_organizations` claim, as ESI would leave it."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from salamat.onboarding.models import Application
from salamat.onboarding.tests.conftest import FORM, TAX_ID, png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _offer(db):
    # Transactional tests flush the tables, the sample offer of the data migration included.
    from pathlib import Path

    from salamat.core.actors import SYSTEM
    from salamat.onboarding import services

    if services.offer_current() is None:
        texts = Path(services.__file__).parent.parent / "offer_texts"
        services.offer_version_publish(
            actor=SYSTEM,
            title="Публичная оферта",
            text_ru=(texts / "v1.ru.txt").read_text(encoding="utf-8"),
            text_ky=(texts / "v1.ky.txt").read_text(encoding="utf-8"),
            text_en=(texts / "v1.en.txt").read_text(encoding="utf-8"),
        )


def open_as(page_at, live_url, user, *, width: int, organizations=None):
    from django.conf import settings

    client = Client()
    client.force_login(user)
    session = client.session
    session["esi_organizations"] = organizations or []
    session.save()
    page = page_at(width)
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": live_url}]
    )
    # A reviewer confirms an approval: accept, keep what the confirmation said.
    page.confirmations = []

    def accept(dialog):
        page.confirmations.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    return page


def fill_wizard(page, tmp_path):
    page.goto("/onboarding/")
    page.get_by_role("button", name="Начать").first.click()
    page.wait_for_url("**/form/")
    for name, value in FORM.items():
        if name == "region":
            page.select_option(f"#id_{name}", value)
        elif name == "licence_issued_on":
            page.fill(f"#id_{name}", value.isoformat())
        else:
            page.fill(f"#id_{name}", str(value))
    page.get_by_role("button", name="Сохранить и продолжить").click()
    page.wait_for_url("**/documents/")
    scan = tmp_path / "scan.png"
    scan.write_bytes(png_bytes())
    for kind in ("licence", "state_registration", "head_physician_order"):
        page.select_option("#id_kind", kind)
        page.set_input_files("#id_file", str(scan))
        page.get_by_role("button", name="Загрузить", exact=True).click()
        page.wait_for_load_state()


def test_phase1_applicant_on_a_phone_reviewer_on_a_desktop(
    page_at, live_server, applicant, reviewer, phase, tmp_path, shot
):
    # given: the applicant, on a phone, fills in everything
    page = open_as(
        page_at,
        live_server.url,
        applicant,
        width=360,
        organizations=[{"tax_id": TAX_ID, "name": "Clinic Shifa LLC"}],
    )
    fill_wizard(page, tmp_path)
    shot(page, "onboarding-1-documents-phone")
    page.goto(page.url.replace("/documents/", "/offer/"))
    page.check("input[name=agree]")
    shot(page, "onboarding-2-offer-phone")
    page.click("#accept")
    page.wait_for_url("**/applications/*/")
    page.click("#submit")
    page.wait_for_load_state()
    assert page.locator("#status").inner_text() == "Подана"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "onboarding-3-submitted-phone")
    app = Application.objects.get()
    # when: the reviewer takes and approves it on a desktop
    review = open_as(page_at, live_server.url, reviewer, width=1280)
    review.goto("/onboarding/review/")
    shot(review, "onboarding-4-queue")
    review.get_by_role("link", name="Clinic Shifa LLC").click()
    review.click("#take")
    review.wait_for_load_state()
    shot(review, "onboarding-5-review")
    assert review.locator("#approve").get_attribute("data-confirm")
    review.fill("#id_comment", "Документы в порядке")
    review.click("#approve")
    review.wait_for_load_state()
    assert review.locator("#status").inner_text() == "Одобрена"
    assert app.tax_id in review.confirmations[-1] and "Одобрить" in review.confirmations[-1]
    # then: the applicant sees the token once
    page.goto(f"/onboarding/applications/{app.external_id}/")
    page.click("#credentials")
    page.wait_for_load_state()
    token = page.locator("#token").inner_text()
    assert token.startswith("slm_")
    shot(page, "onboarding-6-credentials-phone")
    assert Client().get("/api/v1/whoami", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


def test_phase2_signed_offer_auto_approves(
    page_at, live_server, applicant, phase, registries, tmp_path, shot
):
    from salamat.signatures import standin_ca
    from salamat.signatures.crypto import sign

    page = open_as(
        page_at,
        live_server.url,
        applicant,
        width=360,
        organizations=[{"tax_id": TAX_ID, "name": "Clinic Shifa LLC"}],
    )
    phase(2)
    fill_wizard(page, tmp_path)
    page.goto(page.url.replace("/documents/", "/offer/"))
    record = json.loads(page.locator("#record").inner_text())
    cert = standin_ca.issue_personal_certificate(applicant.pin, "Applicant Test")
    page.check("input[name=agree]")
    page.fill("#id_signature", sign(record, cert.private_key))
    page.fill("#id_certificate_pem", cert.certificate_pem)
    page.click("#accept")
    page.wait_for_url("**/applications/*/")
    page.click("#submit")
    page.wait_for_load_state()
    assert page.locator("#status").inner_text() == "Одобрена"
    shot(page, "onboarding-7-phase2-approved-phone")
