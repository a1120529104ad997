"""Onboarding services on the real database: each refusal with its code, nothing changed."""

from __future__ import annotations

import pytest
from django.core import mail

from salamat.accounts.models import ApiClient, Membership, Role
from salamat.accounts.selectors import actor_for_user, api_client_authenticate
from salamat.core.errors import DomainError
from salamat.core.models import AuditLog
from salamat.onboarding import services
from salamat.onboarding.models import (
    Application,
    ApplicationDocument,
    ApplicationEvent,
    DocumentKind,
    Notification,
    OfferAcceptance,
    PendingMembership,
)
from salamat.onboarding.tests.conftest import PDF_BYTES, TAX_ID, jpeg_bytes, pdf, png_bytes
from salamat.registry.models import Organization, OrganizationStatus

pytestmark = pytest.mark.django_db(transaction=False)


def snapshot() -> dict:
    """Everything a refused request must leave as it was."""
    return {
        "applications": list(Application.objects.order_by("pk").values_list("pk", "status", "updated_at")),
        "documents": ApplicationDocument.objects.count(),
        "acceptances": OfferAcceptance.objects.count(),
        "events": ApplicationEvent.objects.count(),
        "audit": AuditLog.objects.count(),
        "organizations": list(Organization.objects.order_by("pk").values_list("pk", "status")),
        "memberships": Membership.objects.count(),
        "api_clients": ApiClient.objects.count(),
    }


def refused(code: str, call, *args, **kwargs) -> DomainError:
    before = snapshot()
    with pytest.raises(DomainError) as exc:
        call(*args, **kwargs)
    assert exc.value.code == code, exc.value
    assert snapshot() == before
    return exc.value


# --- starting and representation ----------------------------------------------------


def test_start_from_esi_claim_represents_by_claim(applicant_actor, phase):
    # when
    app = services.application_start(
        actor=applicant_actor, tax_id=TAX_ID, esi_organizations=[{"tax_id": TAX_ID, "name": "Shifa"}]
    )
    # then
    assert app.represents_by_claim is True
    assert app.legal_name == "Shifa"
    assert app.status == "draft"


def test_typed_tax_id_needs_proof(applicant_actor, phase):
    app = services.application_start(actor=applicant_actor, tax_id=TAX_ID, esi_organizations=[])
    assert app.represents_by_claim is False
    assert "power_of_attorney" in services.missing_document_kinds(app)


def test_malformed_tax_id_refused(applicant_actor, phase):
    refused("tax_id_malformed", services.application_start, actor=applicant_actor, tax_id="123")


def test_second_open_application_for_same_org_refused(applicant_actor, ready_application):
    ready_application()
    refused(
        "application_already_open",
        services.application_start,
        actor=applicant_actor,
        tax_id=TAX_ID,
        esi_organizations=[],
    )


def test_applicant_not_representing_without_proof_is_refused(applicant_actor, ready_application):
    # given: the tax ID was typed, not in the ESI claim, and no power of attorney
    app = ready_application(claim=False)
    # when / then
    refused("representation_not_proven", services.application_submit, actor=applicant_actor, application=app)


def test_applicant_not_representing_with_proof_can_submit(applicant_actor, ready_application):
    app = ready_application(claim=False)
    services.document_upload(
        actor=applicant_actor, application=app, kind=DocumentKind.POWER_OF_ATTORNEY, upload=pdf("poa.pdf")
    )
    assert services.application_submit(actor=applicant_actor, application=app).status == "submitted"


def test_someone_else_cannot_touch_the_application(make_user, ready_application):
    app = ready_application()
    stranger = actor_for_user(make_user(pin="10101199000002"))
    refused("application_not_found", services.application_submit, actor=stranger, application=app)
    refused(
        "application_not_found", services.application_update, actor=stranger, application=app, legal_name="x"
    )


# --- documents ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("virus.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "document_type_not_allowed"),
        ("photo.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 20, "document_type_not_allowed"),
        ("photo.jpg", b"\xff\xd8\xff" + b"not really a jpeg", "document_type_not_allowed"),
        ("page.html", b"<html><script>alert(1)</script>", "document_type_not_allowed"),
        ("empty.pdf", b"", "document_empty"),
        ("huge.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), "document_too_large"),
    ],
)
def test_bad_uploads_refused(applicant_actor, ready_application, settings, name, data, code):
    # given
    app = ready_application()
    before_files = sorted(p.name for p in settings.MEDIA_ROOT.rglob("*") if p.is_file())
    # when / then
    refused(
        code,
        services.document_upload,
        actor=applicant_actor,
        application=app,
        kind=DocumentKind.LICENCE,
        upload=pdf(name, data),
    )
    assert sorted(p.name for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()) == before_files


@pytest.mark.parametrize(
    ("data", "content_type"),
    [(PDF_BYTES, "application/pdf"), (png_bytes(), "image/png"), (jpeg_bytes(), "image/jpeg")],
)
def test_good_uploads_sniffed_and_stored_privately(
    applicant_actor, ready_application, settings, data, content_type
):
    app = ready_application()
    # the name lies; the content decides
    doc = services.document_upload(
        actor=applicant_actor, application=app, kind=DocumentKind.LICENCE, upload=pdf("scan.exe", data)
    )
    assert doc.content_type == content_type
    stored = settings.MEDIA_ROOT / doc.storage_name
    assert stored.read_bytes() == data
    assert "scan" not in doc.storage_name


def test_exactly_10_mb_is_accepted(applicant_actor, ready_application):
    app = ready_application()
    data = b"%PDF-" + b"0" * (10 * 1024 * 1024 - 5)
    doc = services.document_upload(
        actor=applicant_actor, application=app, kind=DocumentKind.LICENCE, upload=pdf("big.pdf", data)
    )
    assert doc.size == 10 * 1024 * 1024


def test_document_delete_removes_file(
    applicant_actor, ready_application, settings, django_capture_on_commit_callbacks
):
    app = ready_application()
    doc = app.documents.first()
    path = settings.MEDIA_ROOT / doc.storage_name
    with django_capture_on_commit_callbacks(execute=True):
        services.document_delete(actor=applicant_actor, document=doc)
    assert not path.exists()
    assert not ApplicationDocument.objects.filter(pk=doc.pk).exists()


def test_no_uploads_after_submission(applicant_actor, ready_application):
    app = ready_application()
    services.application_submit(actor=applicant_actor, application=app)
    refused(
        "application_not_editable",
        services.document_upload,
        actor=applicant_actor,
        application=app,
        kind=DocumentKind.LICENCE,
        upload=pdf(),
    )


# --- submission and the offer --------------------------------------------------------


def test_double_submission_refused(applicant_actor, ready_application):
    # given
    app = ready_application()
    services.application_submit(actor=applicant_actor, application=app)
    # when / then
    refused("already_submitted", services.application_submit, actor=applicant_actor, application=app)


def test_incomplete_application_refused(applicant_actor, ready_application):
    app = ready_application(head_physician_name="")
    err = refused(
        "application_incomplete", services.application_submit, actor=applicant_actor, application=app
    )
    assert [f["field"] for f in err.details["fields"]] == ["head_physician_name"]


def test_missing_document_refused(applicant_actor, ready_application):
    app = ready_application()
    services.document_delete(actor=applicant_actor, document=app.documents.get(kind="licence"))
    err = refused("documents_missing", services.application_submit, actor=applicant_actor, application=app)
    assert err.details["missing"] == ["licence"]


def test_offer_not_accepted_refused(applicant_actor, ready_application):
    app = ready_application(accept=False)
    refused("offer_not_accepted", services.application_submit, actor=applicant_actor, application=app)


def test_stale_offer_version_refused_until_accepted_again(applicant_actor, ready_application):
    # given: accepted v1, then v2 is published
    app = ready_application()
    from salamat.core.actors import SYSTEM

    v2 = services.offer_version_publish(actor=SYSTEM, title="Offer v2", text_ru="Новый текст оферты")
    # when / then
    err = refused("offer_version_stale", services.application_submit, actor=applicant_actor, application=app)
    assert err.details["current_version"] == v2.version
    # accepting the old version explicitly is refused too
    refused("offer_version_stale", services.offer_accept, actor=applicant_actor, application=app, version=1)
    # accepting the current one lets the submission through
    services.offer_accept(actor=applicant_actor, application=app, version=v2.version)
    assert services.application_submit(actor=applicant_actor, application=app).status == "submitted"


def test_offer_acceptance_records_version_hash_ip_pin(applicant, ready_application):
    app = ready_application()
    acceptance = app.acceptances.get()
    offer = services.offer_current()
    assert (acceptance.offer_version, acceptance.text_sha256, acceptance.ip, acceptance.pin) == (
        offer,
        offer.sha256,
        "10.0.0.1",
        applicant.pin,
    )


def test_sample_offer_is_published_in_three_languages():
    offer = services.offer_current()
    assert offer.version == 1
    assert "ПУБЛИЧНАЯ ОФЕРТА" in offer.text_ru
    assert "АЧЫК ОФЕРТА" in offer.text_ky
    assert "PUBLIC OFFER" in offer.text_en


# --- review ---------------------------------------------------------------------------


def test_queue_is_oldest_first_and_take_picks_oldest(
    applicant_actor, ready_application, reviewer_actor, make_user
):
    # given two submitted applications
    first = services.application_submit(actor=applicant_actor, application=ready_application())
    other = actor_for_user(make_user(pin="10101199000003"))
    second = services.application_start(actor=other, tax_id="99999999999999", esi_organizations=[])
    Application.objects.filter(pk=second.pk).update(status="submitted", queued_at=first.queued_at)
    Application.objects.filter(pk=first.pk).update(queued_at=first.queued_at.replace(year=2020))
    # when
    taken = services.review_take(actor=reviewer_actor)
    # then
    assert taken.pk == first.pk
    assert taken.status == "in_review"


def test_reviewer_of_own_organisation_is_refused(applicant_actor, ready_application, reviewer, make_org):
    # given: the reviewer is also a doctor of the applying clinic
    app = ready_application()
    services.application_submit(actor=applicant_actor, application=app)
    clinic = make_org("medical", tax_id=TAX_ID, status="pending")
    Membership.objects.create(user=reviewer, organization=clinic, role=Role.DOCTOR)
    actor = actor_for_user(reviewer)
    # when / then
    refused("reviewer_conflict_of_interest", services.review_take, actor=actor, application=app)


def test_reviewer_conflict_blocks_decisions_too(
    applicant_actor, ready_application, reviewer_actor, reviewer, make_org
):
    app = ready_application()
    services.application_submit(actor=applicant_actor, application=app)
    services.review_take(actor=reviewer_actor, application=app)
    clinic = make_org("medical", tax_id=TAX_ID, status="pending")
    Membership.objects.create(user=reviewer, organization=clinic, role=Role.DOCTOR)
    refused("reviewer_conflict_of_interest", services.review_approve, actor=reviewer_actor, application=app)


def test_applicant_who_is_a_reviewer_cannot_review_own(
    applicant, applicant_actor, ready_application, ministry
):
    Membership.objects.create(user=applicant, organization=ministry, role=Role.MINISTRY_REVIEWER)
    app = ready_application()
    services.application_submit(actor=applicant_actor, application=app)
    refused(
        "reviewer_conflict_of_interest",
        services.review_take,
        actor=actor_for_user(applicant),
        application=app,
    )


def test_non_reviewer_cannot_review(applicant_actor, ready_application):
    app = ready_application()
    services.application_submit(actor=applicant_actor, application=app)
    refused("reviewer_required", services.review_take, actor=applicant_actor, application=app)


def test_request_changes_needs_comment_and_resubmission_works(
    applicant_actor, ready_application, reviewer_actor
):
    app = ready_application()
    services.application_submit(actor=applicant_actor, application=app)
    services.review_take(actor=reviewer_actor, application=app)
    refused(
        "comment_required",
        services.review_request_changes,
        actor=reviewer_actor,
        application=app,
        comment=" ",
    )
    services.review_request_changes(actor=reviewer_actor, application=app, comment="Licence scan unreadable")
    app.refresh_from_db()
    assert app.status == "changes_requested"
    services.application_update(actor=applicant_actor, application=app, licensed_activities="outpatient, lab")
    assert services.application_submit(actor=applicant_actor, application=app).status == "resubmitted"
    assert list(app.events.values_list("action", flat=True)) == [
        "start",
        "offer_accept",
        "submit",
        "take",
        "request_changes",
        "submit",
    ]


def test_reject_with_reason(applicant_actor, ready_application, reviewer_actor):
    app = ready_application()
    services.application_submit(actor=applicant_actor, application=app)
    services.review_take(actor=reviewer_actor, application=app)
    services.review_reject(actor=reviewer_actor, application=app, reason="Licence belongs to another clinic")
    app.refresh_from_db()
    assert (app.status, app.decision_reason) == ("rejected", "Licence belongs to another clinic")
    assert not Organization.objects.filter(tax_id=TAX_ID).exists()


def test_phase1_full_path_to_approved_with_credentials(
    applicant, applicant_actor, ready_application, reviewer_actor, django_capture_on_commit_callbacks
):
    # given
    app = ready_application()
    with django_capture_on_commit_callbacks(execute=True):
        services.application_submit(actor=applicant_actor, application=app)
        services.review_take(actor=reviewer_actor, application=app)
        # when
        services.review_approve(actor=reviewer_actor, application=app, comment="All good")
    # then: an active private medical organisation with a site, the applicant its admin
    app.refresh_from_db()
    assert app.status == "approved"
    org = app.organization
    assert (org.status, org.org_type, org.ownership, org.tax_id) == ("active", "medical", "private", TAX_ID)
    assert org.sites.get().address == "Bishkek, Chui 1"
    assert Membership.objects.filter(user=applicant, organization=org, role="org_admin").exists()
    # notifications on the site and by mail, after commit
    assert Notification.objects.filter(user=applicant).count() == 3
    assert len(mail.outbox) == 3
    # credentials: shown once, stored hashed, working
    client, token = services.application_credentials_issue(actor=applicant_actor, application=app)
    assert token not in str(ApiClient.objects.filter(pk=client.pk).values().get())
    assert api_client_authenticate(token).organization == org
    refused(
        "credentials_already_issued",
        services.application_credentials_issue,
        actor=applicant_actor,
        application=app,
    )


def test_approving_activates_an_existing_pending_organisation(
    applicant_actor, ready_application, reviewer_actor, make_org
):
    existing = make_org("medical", tax_id=TAX_ID, status=OrganizationStatus.PENDING)
    app = ready_application()
    services.application_submit(actor=applicant_actor, application=app)
    services.review_take(actor=reviewer_actor, application=app)
    services.review_approve(actor=reviewer_actor, application=app)
    existing.refresh_from_db()
    assert existing.status == "active"
    assert Organization.objects.filter(tax_id=TAX_ID).count() == 1


def test_nothing_is_notified_when_the_transaction_rolls_back(
    applicant_actor, ready_application, django_capture_on_commit_callbacks
):
    app = ready_application()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(DomainError):
        services.application_submit(actor=applicant_actor, application=app)
        services.application_submit(actor=applicant_actor, application=app)
    # the first submit's notification was scheduled; the refused one scheduled nothing
    assert len(callbacks) == 1


# --- staff ---------------------------------------------------------------------------


def _approved(applicant_actor, ready_application, reviewer_actor):
    app = ready_application()
    services.application_submit(actor=applicant_actor, application=app)
    services.review_take(actor=reviewer_actor, application=app)
    return services.review_approve(actor=reviewer_actor, application=app)


def test_staff_invite_by_pin_links_at_first_login(applicant, ready_application, reviewer_actor, make_user):
    app = _approved(actor_for_user(applicant), ready_application, reviewer_actor)
    admin = actor_for_user(applicant, app.organization)
    # when: invited before they have an account
    invitation = services.staff_invite(
        actor=admin, organization=app.organization, pin="21010198800011", role="doctor"
    )
    assert invitation.pending is not None and invitation.membership is None
    # then: at their ESI login the membership appears
    doctor = make_user(pin="21010198800011")
    linked = services.link_pending_memberships(doctor)
    assert [(m.organization, m.role) for m in linked] == [(app.organization, "doctor")]
    assert services.link_pending_memberships(doctor) == []
    assert PendingMembership.objects.get().linked_user == doctor


def test_staff_invite_existing_person_at_once(applicant, ready_application, reviewer_actor, make_user):
    app = _approved(actor_for_user(applicant), ready_application, reviewer_actor)
    chair = make_user(pin="11111198000022")
    invitation = services.staff_invite(
        actor=actor_for_user(applicant, app.organization),
        organization=app.organization,
        pin=chair.pin,
        role="commission_chair",
    )
    assert invitation.membership.role == "commission_chair"


def test_staff_invite_refusals(applicant, ready_application, reviewer_actor, make_user):
    app = _approved(actor_for_user(applicant), ready_application, reviewer_actor)
    admin = actor_for_user(applicant, app.organization)
    refused(
        "role_not_invitable",
        services.staff_invite,
        actor=admin,
        organization=app.organization,
        pin="21010198800011",
        role="org_admin",
    )
    refused(
        "pin_malformed",
        services.staff_invite,
        actor=admin,
        organization=app.organization,
        pin="123",
        role="doctor",
    )
    outsider = actor_for_user(make_user(pin="21010198800099"))
    refused(
        "not_organization_admin",
        services.staff_invite,
        actor=outsider,
        organization=app.organization,
        pin="21010198800011",
        role="doctor",
    )


def test_reviewer_representing_the_organisation_by_esi_claim_is_refused(
    applicant_actor, ready_application, reviewer_actor
):
    # given: the reviewer's own ESI claim lists the applying organisation
    app = services.application_submit(actor=applicant_actor, application=ready_application())
    # when / then
    refused(
        "reviewer_conflict_of_interest",
        services.review_take,
        actor=reviewer_actor,
        application=app,
        esi_organizations=[{"tax_id": TAX_ID, "name": "Clinic Shifa LLC"}],
    )
