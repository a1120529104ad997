"""The onboarding API per role: applicant, reviewer, strangers."""

from __future__ import annotations

import pytest
from django.test import Client

from salamat.onboarding.models import Application, ApplicationDocument
from salamat.onboarding.tests.conftest import FORM, TAX_ID, png_bytes
from salamat.signatures import standin_ca
from salamat.signatures.crypto import sign

pytestmark = pytest.mark.django_db


def logged_in(user, organizations=None) -> Client:
    client = Client()
    client.force_login(user)
    if organizations is not None:
        session = client.session
        session["esi_organizations"] = organizations
        session.save()
    return client


def form_json() -> dict:
    return {**FORM, "licence_issued_on": FORM["licence_issued_on"].isoformat()}


def fill(client: Client, *, accept: bool = True) -> str:
    """Starts, fills, uploads and (optionally) accepts; returns the application id."""
    r = client.post("/api/v1/onboarding/applications", {"tax_id": TAX_ID}, content_type="application/json")
    assert r.status_code == 201, r.content
    app_id = r.json()["id"]
    r = client.patch(
        f"/api/v1/onboarding/applications/{app_id}", form_json(), content_type="application/json"
    )
    assert r.status_code == 200, r.content
    for kind in ("licence", "state_registration", "head_physician_order"):
        r = client.post(
            f"/api/v1/onboarding/applications/{app_id}/documents",
            {"kind": kind, "file": _file(f"{kind}.png", png_bytes())},
        )
        assert r.status_code == 201, r.content
    if accept:
        version = client.get("/api/v1/onboarding/offer").json()["version"]
        r = client.post(
            f"/api/v1/onboarding/applications/{app_id}/offer-acceptance",
            {"version": version},
            content_type="application/json",
        )
        assert r.status_code == 201, r.content
    return app_id


def _file(name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_phase1_through_the_api(applicant, reviewer, phase):
    # given
    me = logged_in(applicant, [{"tax_id": TAX_ID, "name": "Clinic Shifa LLC"}])
    app_id = fill(me)
    # when: submit, review, approve
    r = me.post(f"/api/v1/onboarding/applications/{app_id}/submit")
    assert (r.status_code, r.json()["status"]) == (200, "submitted")
    rev = logged_in(reviewer)
    queue = rev.get("/api/v1/onboarding/review/queue").json()
    assert [item["id"] for item in queue] == [app_id]
    assert rev.post("/api/v1/onboarding/review/take", {}, content_type="application/json").status_code == 200
    r = rev.post(
        f"/api/v1/onboarding/review/applications/{app_id}/approve",
        {"comment": "ok"},
        content_type="application/json",
    )
    assert (r.status_code, r.json()["status"]) == (200, "approved"), r.content
    # then: the applicant gets the token once
    r = me.post(f"/api/v1/onboarding/applications/{app_id}/credentials")
    assert r.status_code == 201
    token = r.json()["token"]
    assert (
        Client().get("/api/v1/whoami", HTTP_AUTHORIZATION=f"Bearer {token}").json()["organization"]["tax_id"]
        == TAX_ID
    )
    again = me.post(f"/api/v1/onboarding/applications/{app_id}/credentials")
    assert (again.status_code, again.json()["code"]) == (409, "credentials_already_issued")
    # and can add a doctor by PIN
    org_id = me.get(f"/api/v1/onboarding/applications/{app_id}").json()["organization_id"]
    r = me.post(
        f"/api/v1/onboarding/organizations/{org_id}/staff",
        {"pin": "21010198800011", "role": "doctor"},
        content_type="application/json",
    )
    assert (r.status_code, r.json()) == (201, {"role": "doctor", "linked": False})


def test_typed_tax_id_is_not_represented(applicant, phase):
    me = logged_in(applicant, [])
    app_id = fill(me)
    r = me.post(f"/api/v1/onboarding/applications/{app_id}/submit")
    assert (r.status_code, r.json()["code"]) == (403, "representation_not_proven")
    assert Application.objects.get().status == "draft"


def test_disguised_executable_refused(applicant, phase):
    me = logged_in(applicant, [{"tax_id": TAX_ID, "name": "x"}])
    app_id = fill(me, accept=False)
    before = ApplicationDocument.objects.count()
    r = me.post(
        f"/api/v1/onboarding/applications/{app_id}/documents",
        {"kind": "licence", "file": _file("licence.pdf", b"MZ\x90\x00" + b"\x00" * 64)},
    )
    assert (r.status_code, r.json()["code"]) == (422, "document_type_not_allowed")
    assert ApplicationDocument.objects.count() == before


def test_double_submission_via_api(applicant, phase):
    me = logged_in(applicant, [{"tax_id": TAX_ID, "name": "x"}])
    app_id = fill(me)
    assert me.post(f"/api/v1/onboarding/applications/{app_id}/submit").status_code == 200
    r = me.post(f"/api/v1/onboarding/applications/{app_id}/submit")
    assert (r.status_code, r.json()["code"]) == (409, "already_submitted")


def test_stranger_and_anonymous_see_nothing(applicant, make_user, phase):
    me = logged_in(applicant, [{"tax_id": TAX_ID, "name": "x"}])
    app_id = fill(me, accept=False)
    stranger = logged_in(make_user(pin="10101199000002"))
    assert stranger.get(f"/api/v1/onboarding/applications/{app_id}").json()["code"] == "application_not_found"
    assert Client().get(f"/api/v1/onboarding/applications/{app_id}").status_code == 401
    assert stranger.get("/api/v1/onboarding/review/queue").json()["code"] == "reviewer_required"


def test_phase2_signed_acceptance_auto_approves_via_api(applicant, phase, registries):
    me = logged_in(applicant, [{"tax_id": TAX_ID, "name": "Clinic Shifa LLC"}])
    app_id = fill(me, accept=False)
    phase(2)
    cert = standin_ca.issue_personal_certificate(applicant.pin, "Applicant")
    body = me.get(f"/api/v1/onboarding/applications/{app_id}/offer-acceptance-record").json()
    assert body["phase"] == 2
    r = me.post(
        f"/api/v1/onboarding/applications/{app_id}/offer-acceptance",
        {
            "version": body["record"]["offer_version"],
            "signature": sign(body["record"], cert.private_key),
            "certificate_pem": cert.certificate_pem,
        },
        content_type="application/json",
    )
    assert (r.status_code, r.json()["signed"]) == (201, True), r.content
    r = me.post(f"/api/v1/onboarding/applications/{app_id}/submit")
    assert r.json()["status"] == "approved"
    assert {c["outcome"] for c in r.json()["checks"]} == {"ok"}


def test_document_download_only_for_applicant_and_reviewer(applicant, reviewer, make_user, phase):
    me = logged_in(applicant, [{"tax_id": TAX_ID, "name": "x"}])
    app_id = fill(me)
    doc = ApplicationDocument.objects.first()
    url = f"/onboarding/documents/{doc.external_id}"
    r = me.get(url)
    assert r.status_code == 200
    assert r["Content-Type"] == "image/png"
    assert b"".join(r.streaming_content) == png_bytes()
    # a reviewer sees it only once submitted
    assert logged_in(reviewer).get(url).status_code == 404
    me.post(f"/api/v1/onboarding/applications/{app_id}/submit")
    assert logged_in(reviewer).get(url).status_code == 200
    assert logged_in(make_user(pin="10101199000002")).get(url).status_code == 404
    assert Client().get(url).status_code in (302, 404)


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("ru", "Эта заявка уже подана."),
        ("ky", "Бул арыз мурунтан эле берилген."),
        ("en", "This application has already been submitted."),
    ],
)
def test_refusals_are_translated(applicant, phase, language, message):
    me = logged_in(applicant, [{"tax_id": TAX_ID, "name": "x"}])
    app_id = fill(me)
    me.post(f"/api/v1/onboarding/applications/{app_id}/submit")
    r = me.post(f"/api/v1/onboarding/applications/{app_id}/submit", HTTP_ACCEPT_LANGUAGE=language)
    assert (r.json()["code"], r.json()["message"]) == ("already_submitted", message)


def test_reviewer_with_the_organisation_in_their_esi_claim_is_refused(applicant, reviewer, phase):
    me = logged_in(applicant, [{"tax_id": TAX_ID, "name": "x"}])
    app_id = fill(me)
    me.post(f"/api/v1/onboarding/applications/{app_id}/submit")
    rev = logged_in(reviewer, [{"tax_id": TAX_ID, "name": "x"}])
    r = rev.post(
        "/api/v1/onboarding/review/take", {"application_id": app_id}, content_type="application/json"
    )
    assert (r.status_code, r.json()["code"]) == (403, "reviewer_conflict_of_interest")
    assert Application.objects.get().status == "submitted"
