"""Issue 7's refusals as a person meets them on the pages: the exact message shown, and
nothing changed (applications, documents, acceptances, events, audit, organisations)."""

from __future__ import annotations

import html
import re

import pytest
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from salamat.accounts.models import Membership, Role
from salamat.accounts.selectors import actor_for_user
from salamat.core.actors import SYSTEM
from salamat.onboarding import services
from salamat.onboarding.models import Application
from salamat.onboarding.tests.conftest import FORM, TAX_ID
from salamat.onboarding.tests.test_services import snapshot

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def logged_in(user, organizations=None) -> Client:
    client = Client(**EN)
    client.force_login(user)
    session = client.session
    session["esi_organizations"] = organizations or []
    session.save()
    return client


def shown(response) -> list[str]:
    """The messages on the page a refusal led to."""
    items = re.findall(r'<ul class="messages"[^>]*>(.*?)</ul>', response.content.decode(), re.S)
    return [html.unescape(m).strip() for m in re.findall(r"<li[^>]*>(.*?)</li>", "".join(items), re.S)]


@pytest.fixture
def me(applicant):
    return logged_in(applicant, [{"tax_id": TAX_ID, "name": "Clinic Shifa LLC"}])


@pytest.fixture
def draft(ready_application):
    return ready_application()


def base(app: Application) -> str:
    return f"/onboarding/applications/{app.external_id}"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("licence.pdf", b"MZ\x90\x00" + b"\x00" * 300, "Only PDF, JPEG and PNG documents are accepted."),
        ("scan.png", b"\x89PNG\r\n\x1a\n" + b"not an image" * 10, "The image cannot be read."),
        ("licence.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "A document may be at most 10 MB."),
        ("licence.pdf", b"", "The file is empty."),
    ],
    ids=["exe-named-pdf", "garbage-named-png", "too-large", "empty"],
)
def test_bad_upload(me, draft, name, data, message):
    before = snapshot()
    r = me.post(
        f"{base(draft)}/documents/", {"kind": "licence", "file": SimpleUploadedFile(name, data)}, **EN
    )
    assert r.status_code == 400
    assert shown(r) == [message]
    assert snapshot() == before


def test_double_submission(me, draft):
    me.post(f"{base(draft)}/submit/", follow=True, **EN)
    before = snapshot()
    r = me.post(f"{base(draft)}/submit/", follow=True, **EN)
    assert shown(r) == ["This application has already been submitted."]
    assert snapshot() == before


def test_stale_offer_version(me, draft):
    services.offer_version_publish(actor=SYSTEM, title="Offer v2", text_ru="Новый текст оферты")
    before = snapshot()
    r = me.post(f"{base(draft)}/submit/", follow=True, **EN)
    assert shown(r) == [
        "A new version of the public offer was published after you accepted it: accept it again."
    ]
    # and the old version's form, sent again, is refused too
    r = me.post(f"{base(draft)}/offer/", {"version": 1, "agree": "on"}, follow=True, **EN)
    assert shown(r) == ["A newer version of the offer has been published; read it and accept it."]
    assert snapshot() == before


def test_applicant_who_does_not_represent_the_organisation(applicant, ready_application):
    # given: the tax ID was typed (not in the ESI claim) and no power of attorney was uploaded
    app = ready_application(claim=False)
    me = logged_in(applicant, [])
    before = snapshot()
    r = me.post(f"{base(app)}/submit/", follow=True, **EN)
    assert shown(r) == [
        "This organisation is not among those ESI says you represent: upload a power of attorney."
    ]
    assert snapshot() == before


@pytest.mark.parametrize("how", ["esi_claim", "membership"])
def test_reviewer_acting_on_their_own_organisation(me, draft, reviewer, make_org, how):
    me.post(f"{base(draft)}/submit/", follow=True, **EN)
    claim = []
    if how == "esi_claim":  # ESI says the reviewer represents the clinic
        claim = [{"tax_id": TAX_ID, "name": "Clinic Shifa LLC"}]
    else:  # the reviewer is a doctor of the clinic
        clinic = make_org("medical", tax_id=TAX_ID, status="pending")
        Membership.objects.create(user=reviewer, organization=clinic, role=Role.DOCTOR)
    rev = logged_in(reviewer, claim)
    message = "You cannot review an application of an organisation you belong to."
    before = snapshot()
    # the queue says so instead of offering a link
    queue = rev.get("/onboarding/review/", **EN).content.decode()
    assert "Your own organisation: another reviewer decides." in queue
    assert f"/onboarding/review/{draft.external_id}/" not in queue
    # opening it or acting on it is refused with the reason, and nothing changes
    for response in (
        rev.get(f"/onboarding/review/{draft.external_id}/", **EN),
        rev.post(f"/onboarding/review/{draft.external_id}/take/", **EN),
        rev.post(f"/onboarding/review/{draft.external_id}/approve/", {"comment": "ok"}, **EN),
    ):
        assert response.status_code == 403
        assert message in html.unescape(response.content.decode())
    assert snapshot() == before


def test_session_expired_in_the_middle_of_the_wizard_loses_nothing(me, applicant, ready_application):
    # given: a draft, and the session ends while the person is typing the form
    app = services.application_start(
        actor=actor_for_user(applicant),
        tax_id=TAX_ID,
        esi_organizations=[{"tax_id": TAX_ID, "name": "Clinic Shifa LLC"}],
    )
    assert me.get(f"{base(app)}/form/", **EN).status_code == 200
    Session.objects.all().delete()
    before = snapshot()
    typed = {**FORM, "licence_issued_on": "2024-01-10", "licence_valid_until": "", "district": "Lenin"}
    # when: they press "Save"
    r = me.post(f"{base(app)}/form/", typed, **EN)
    # then: to the login page, coming back to the form afterwards; nothing written
    assert r.status_code == 302
    assert r.url == f"/login/?next={base(app)}/form/"
    assert snapshot() == before
    login = me.get(r.url, **EN)
    assert "Your session has expired. Please log in again to continue." in shown(login)
    # when: they log in again and come back
    me.force_login(applicant)
    page = me.get(f"{base(app)}/form/", **EN)
    # then: what they typed is there, to check and save
    assert shown(page) == ["Your session had ended before this was saved: check what you typed and save it."]
    assert 'value="Lenin"' in page.content.decode()
    r = me.post(f"{base(app)}/form/", typed, **EN)
    assert r.status_code == 302
    app.refresh_from_db()
    assert app.district == "Lenin"
    # and the kept input is offered once only
    assert "before this was saved" not in " ".join(shown(me.get(f"{base(app)}/form/", **EN)))
