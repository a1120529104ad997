"""The onboarding pages: the applicant's wizard and the reviewer's pages, through the test client."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from salamat.onboarding.models import Application, ApplicationDocument
from salamat.onboarding.tests.conftest import FORM, TAX_ID, png_bytes

pytestmark = pytest.mark.django_db


def logged_in(user, organizations=None) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session["esi_organizations"] = organizations or []
    session.save()
    return client


def wizard(me: Client) -> Application:
    r = me.post("/onboarding/", {"tax_id": TAX_ID})
    assert r.status_code == 302, r.content
    app = Application.objects.get()
    base = f"/onboarding/applications/{app.external_id}"
    assert me.get(f"{base}/form/").status_code == 200
    form = {**FORM, "licence_issued_on": "2024-01-10", "licence_valid_until": ""}
    r = me.post(f"{base}/form/", form)
    assert r.status_code == 302, r.content.decode()[:3000]
    for kind in ("licence", "state_registration", "head_physician_order"):
        r = me.post(f"{base}/documents/", {"kind": kind, "file": SimpleUploadedFile("scan.png", png_bytes())})
        assert r.status_code == 302
    r = me.get(f"{base}/offer/")
    assert "ПУБЛИЧНАЯ ОФЕРТА".encode() in r.content
    assert me.post(f"{base}/offer/", {"version": 1, "agree": "on"}).status_code == 302
    return app


def test_wizard_to_approval_and_credentials(applicant, reviewer, phase):
    # given: the applicant fills in the application through the pages
    me = logged_in(applicant, [{"tax_id": TAX_ID, "name": "Clinic Shifa LLC"}])
    assert "Clinic Shifa LLC" in me.get("/onboarding/").content.decode()
    app = wizard(me)
    base = f"/onboarding/applications/{app.external_id}"
    # when: submitted, taken and approved by the reviewer
    assert me.post(f"{base}/submit/").status_code == 302
    rev = logged_in(reviewer)
    queue = rev.get("/onboarding/review/")
    assert app.legal_name in queue.content.decode()
    detail = rev.get(f"/onboarding/review/{app.external_id}/").content.decode()
    assert f"/onboarding/documents/{app.documents.first().external_id}" in detail
    rev.post(f"/onboarding/review/{app.external_id}/take/")
    rev.post(f"/onboarding/review/{app.external_id}/approve/", {"comment": "fine"})
    app.refresh_from_db()
    assert app.status == "approved"
    # then: the applicant sees the token once
    page = me.post(f"{base}/credentials/")
    assert page.status_code == 200 and b"slm_" in page.content
    assert page["Cache-Control"] == "no-store"
    assert me.post(f"{base}/credentials/").status_code == 302
    staff = me.get(f"/onboarding/organizations/{app.organization.external_id}/staff/")
    assert staff.status_code == 200


def test_bad_upload_shows_error_and_keeps_nothing(applicant, phase):
    me = logged_in(applicant, [{"tax_id": TAX_ID, "name": "x"}])
    me.post("/onboarding/", {"tax_id": TAX_ID})
    app = Application.objects.get()
    r = me.post(
        f"/onboarding/applications/{app.external_id}/documents/",
        {"kind": "licence", "file": SimpleUploadedFile("licence.pdf", b"MZ\x90\x00" * 10)},
    )
    assert r.status_code == 400
    assert "Only PDF, JPEG and PNG" in r.content.decode() or "PDF" in r.content.decode()
    assert ApplicationDocument.objects.count() == 0


def test_changes_requested_are_shown_to_the_applicant(applicant, reviewer, phase):
    me = logged_in(applicant, [{"tax_id": TAX_ID, "name": "x"}])
    app = wizard(me)
    me.post(f"/onboarding/applications/{app.external_id}/submit/")
    rev = logged_in(reviewer)
    rev.post(f"/onboarding/review/{app.external_id}/take/")
    rev.post(
        f"/onboarding/review/{app.external_id}/request_changes/", {"comment": "Upload a readable licence"}
    )
    page = me.get(f"/onboarding/applications/{app.external_id}/").content.decode()
    assert "Upload a readable licence" in page


def test_reviewer_pages_hidden_from_others(applicant, phase):
    me = logged_in(applicant)
    assert me.get("/onboarding/review/").status_code == 404


def test_reviewer_with_conflict_does_not_see_the_application(applicant, reviewer, make_org, phase):
    from salamat.accounts.models import Membership

    me = logged_in(applicant, [{"tax_id": TAX_ID, "name": "x"}])
    app = wizard(me)
    me.post(f"/onboarding/applications/{app.external_id}/submit/")
    clinic = make_org("medical", tax_id=TAX_ID, status="pending")
    Membership.objects.create(user=reviewer, organization=clinic, role="doctor")
    rev = logged_in(reviewer)
    page = rev.get(f"/onboarding/review/{app.external_id}/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 403
    assert b"You cannot review an application of an organisation you belong to." in page.content
    assert app.documents.first().original_name.encode() not in page.content
    assert rev.get(f"/onboarding/documents/{app.documents.first().external_id}").status_code == 404
