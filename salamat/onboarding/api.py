"""Onboarding API: applicant actions and reviewer actions (thin: validate, call a service)."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Status
from ninja.files import UploadedFile

from salamat.accounts.oidc import esi_organizations
from salamat.core.api import API_AUTH, ERRORS, actor_of
from salamat.core.context import current as request_context
from salamat.core.errors import NotFound, PermissionDenied
from salamat.onboarding import selectors, services
from salamat.onboarding.models import Application, ApplicationDocument
from salamat.onboarding.schemas import (
    AcceptanceRecordOut,
    ApplicationOut,
    ApplicationStartIn,
    ApplicationUpdateIn,
    CommentIn,
    CredentialsOut,
    DocumentOut,
    OfferAcceptanceOut,
    OfferAcceptIn,
    OfferOut,
    QueueItemOut,
    RejectIn,
    ReviewApplicationOut,
    ReviewTakeIn,
    StaffInviteIn,
    StaffInviteOut,
)
from salamat.registry.models import Organization

router = Router(tags=["Clinic onboarding"], auth=API_AUTH)


def _user(request: HttpRequest):
    actor = actor_of(request)
    if actor.user is None:
        raise PermissionDenied("person_required", _("This must be done by a logged-in person."))
    return actor.user


def application_out(app: Application, *, for_reviewer: bool = False) -> dict:
    """The application as the applicant (or a reviewer) sees it."""
    acceptance = app.acceptances.select_related("offer_version").order_by("-accepted_at", "-pk").first()
    current = services.offer_current()
    checks = [
        {
            "name": item.name,
            "outcome": item.outcome,
            "message": item.applicant_message,
            "reviewer_message": item.reviewer_message,
        }
        for item in app.checklist.all()
    ]
    data = {
        **{f: getattr(app, f) for f in ApplicationOut.model_fields if hasattr(app, f) and f != "id"},
        "external_id": app.external_id,
        "organization_id": app.organization.external_id if app.organization_id else None,
        "missing_documents": services.missing_document_kinds(app),
        "offer_accepted_version": acceptance.offer_version.version if acceptance else None,
        "offer_current_version": current.version if current else None,
        "documents": list(app.documents.all()),
        "events": list(app.events.all()),
        "checks": checks,
    }
    if for_reviewer:
        data["head_physician_pin"] = app.head_physician_pin
        data["applicant_name"] = app.applicant.full_name or app.applicant.username
    return data


# --- applicant ------------------------------------------------------------------------


@router.get("/onboarding/offer", response={200: OfferOut, **ERRORS}, summary="Current public offer")
def offer_get(request: HttpRequest):
    """The public offer agreement in force, in full."""
    offer = services.offer_current()
    if offer is None:
        raise NotFound("no_offer_published", _("No public offer has been published yet."))
    return {
        "version": offer.version,
        "title": offer.title,
        "text": offer.text_for(translation.get_language()),
        "sha256": offer.sha256,
        "published_at": offer.published_at,
    }


@router.get(
    "/onboarding/applications", response={200: list[ApplicationOut], **ERRORS}, summary="My applications"
)
def application_list(request: HttpRequest):
    """The clinic applications you started."""
    return [application_out(app) for app in selectors.applications_of(_user(request))]


@router.post(
    "/onboarding/applications", response={201: ApplicationOut, **ERRORS}, summary="Start an application"
)
def application_start(request: HttpRequest, payload: ApplicationStartIn):
    """Starts a draft for an organisation in your ESI `organizations` claim; another tax ID can be
    typed, but then a power of attorney must be uploaded."""
    _user(request)
    app = services.application_start(
        actor=actor_of(request),
        tax_id=payload.tax_id,
        esi_organizations=_claim(request) if hasattr(request, "session") else [],
    )
    return Status(201, application_out(app))


@router.get(
    "/onboarding/applications/{application_id}",
    response={200: ApplicationOut, **ERRORS},
    summary="My application",
)
def application_get(request: HttpRequest, application_id: UUID):
    """Where the application is, what is missing and what to fix."""
    return application_out(selectors.application_for_applicant(_user(request), application_id))


@router.patch(
    "/onboarding/applications/{application_id}",
    response={200: ApplicationOut, **ERRORS},
    summary="Fill in the form",
)
def application_update(request: HttpRequest, application_id: UUID, payload: ApplicationUpdateIn):
    """Changes the fields sent (as a draft or when changes were requested)."""
    app = selectors.application_for_applicant(_user(request), application_id)
    app = services.application_update(
        actor=actor_of(request), application=app, **payload.model_dump(exclude_unset=True)
    )
    return application_out(app)


@router.post(
    "/onboarding/applications/{application_id}/documents",
    response={201: DocumentOut, **ERRORS},
    summary="Upload a document",
)
def document_upload(
    request: HttpRequest,
    application_id: UUID,
    kind: Form[str],
    file: File[UploadedFile],
):
    """PDF, JPEG or PNG, at most 10 MB, checked by content. `kind`: `licence`, `state_registration`,
    `head_physician_order`, `power_of_attorney`."""
    app = selectors.application_for_applicant(_user(request), application_id)
    return Status(
        201, services.document_upload(actor=actor_of(request), application=app, kind=kind, upload=file)
    )


@router.delete(
    "/onboarding/applications/{application_id}/documents/{document_id}",
    response={200: ApplicationOut, **ERRORS},
    summary="Remove a document",
)
def document_delete(request: HttpRequest, application_id: UUID, document_id: UUID):
    """Removes one of the application's documents (while it can be changed); returns the application."""
    app = selectors.application_for_applicant(_user(request), application_id)
    doc = ApplicationDocument.objects.filter(application=app, external_id=document_id).first()
    if doc is None:
        raise NotFound("document_not_found", _("No such document."))
    services.document_delete(actor=actor_of(request), document=doc)
    return application_out(app)


@router.get(
    "/onboarding/applications/{application_id}/offer-acceptance-record",
    response={200: AcceptanceRecordOut, **ERRORS},
    summary="The acceptance record to sign",
)
def acceptance_record(request: HttpRequest, application_id: UUID):
    """The record whose RFC 8785 canonical JSON the applicant signs in phase 2."""
    user = _user(request)
    app = selectors.application_for_applicant(user, application_id)
    offer = services.offer_current()
    if offer is None:
        raise NotFound("no_offer_published", _("No public offer has been published yet."))
    return {
        "record": services.offer_acceptance_record(app, offer, user.pin or ""),
        "phase": services.current_phase(),
    }


@router.post(
    "/onboarding/applications/{application_id}/offer-acceptance",
    response={201: OfferAcceptanceOut, **ERRORS},
    summary="Accept the public offer",
)
def offer_accept(request: HttpRequest, application_id: UUID, payload: OfferAcceptIn):
    """Accepts the offer version you read (signed with your certificate in phase 2)."""
    app = selectors.application_for_applicant(_user(request), application_id)
    acceptance = services.offer_accept(
        actor=actor_of(request),
        application=app,
        version=payload.version,
        ip=request_context().ip,
        signature=payload.signature,
        certificate_pem=payload.certificate_pem,
    )
    return Status(
        201,
        {
            "offer_version": acceptance.offer_version.version,
            "text_sha256": acceptance.text_sha256,
            "accepted_at": acceptance.accepted_at,
            "signed": acceptance.signed_record_id is not None,
        },
    )


@router.post(
    "/onboarding/applications/{application_id}/submit",
    response={200: ApplicationOut, **ERRORS},
    summary="Submit the application",
)
def application_submit(request: HttpRequest, application_id: UUID):
    """Sends the application to the ministry (phase 2: checked and possibly approved at once)."""
    app = selectors.application_for_applicant(_user(request), application_id)
    return application_out(services.application_submit(actor=actor_of(request), application=app))


@router.post(
    "/onboarding/applications/{application_id}/credentials",
    response={201: CredentialsOut, **ERRORS},
    summary="Receive the clinic's API credentials",
)
def credentials_issue(request: HttpRequest, application_id: UUID):
    """After approval, once: the clinic's first API client and its token (never shown again)."""
    app = selectors.application_for_applicant(_user(request), application_id)
    client, token = services.application_credentials_issue(actor=actor_of(request), application=app)
    return Status(
        201,
        {
            "api_client_id": client.external_id,
            "name": client.name,
            "token": token,
            "expires_at": client.expires_at,
        },
    )


@router.post(
    "/onboarding/organizations/{organization_id}/staff",
    response={201: StaffInviteOut, **ERRORS},
    summary="Add a doctor or commission chair by PIN",
)
def staff_invite(request: HttpRequest, organization_id: UUID, payload: StaffInviteIn):
    """Gives the role at once if the person has an account, otherwise at their first ESI login."""
    organization = Organization.objects.filter(external_id=organization_id).first()
    if organization is None:
        raise NotFound("organization_not_found", _("No such organisation."))
    _user(request)
    invitation = services.staff_invite(
        actor=actor_of(request), organization=organization, pin=payload.pin, role=payload.role
    )
    return Status(201, {"role": invitation.role, "linked": invitation.membership is not None})


# --- reviewer -------------------------------------------------------------------------


def _claim(request: HttpRequest) -> list:
    # What ESI said at login (an API client has no session and represents nothing).
    return esi_organizations(request) if hasattr(request, "session") else []


def _reviewer(request: HttpRequest):
    user = _user(request)
    if not services.is_reviewer(user):
        raise PermissionDenied("reviewer_required", _("Only a ministry reviewer may do this."))
    return user


@router.get("/onboarding/review/queue", response={200: list[QueueItemOut], **ERRORS}, summary="Review queue")
def review_queue(request: HttpRequest):
    """Applications waiting for review, oldest first, with how long each has waited."""
    _reviewer(request)
    now = timezone.now()
    out = []
    for app in selectors.review_queue().prefetch_related("checklist"):
        out.append(
            {
                "id": app.external_id,
                "legal_name": app.legal_name,
                "tax_id": app.tax_id,
                "status": app.status,
                "queued_at": app.queued_at,
                "waiting_seconds": int((now - app.queued_at).total_seconds()) if app.queued_at else 0,
                "failed_checks": [c.name for c in app.checklist.all() if c.outcome != "ok"],
            }
        )
    return out


@router.post(
    "/onboarding/review/take", response={200: ReviewApplicationOut, **ERRORS}, summary="Take for review"
)
def review_take(request: HttpRequest, payload: ReviewTakeIn):
    """Takes the given application, or the oldest waiting one."""
    _reviewer(request)
    app = None
    if payload.application_id:
        app = Application.objects.filter(external_id=payload.application_id).first()
        if app is None:
            raise NotFound("application_not_found", _("No such application."))
    return application_out(
        services.review_take(actor=actor_of(request), application=app, esi_organizations=_claim(request)),
        for_reviewer=True,
    )


@router.get(
    "/onboarding/review/applications/{application_id}",
    response={200: ReviewApplicationOut, **ERRORS},
    summary="Application for review",
)
def review_get(request: HttpRequest, application_id: UUID):
    """The application with its documents, checklist and history."""
    return application_out(
        selectors.application_for_reviewer(_reviewer(request), application_id, _claim(request)),
        for_reviewer=True,
    )


def _for_decision(request: HttpRequest, application_id: UUID) -> Application:
    _reviewer(request)
    app = Application.objects.filter(external_id=application_id).first()
    if app is None:
        raise NotFound("application_not_found", _("No such application."))
    return app


@router.post(
    "/onboarding/review/applications/{application_id}/request-changes",
    response={200: ReviewApplicationOut, **ERRORS},
    summary="Request changes",
)
def review_request_changes(request: HttpRequest, application_id: UUID, payload: CommentIn):
    """Sends the application back to the applicant with what to fix."""
    app = services.review_request_changes(
        esi_organizations=_claim(request),
        actor=actor_of(request),
        application=_for_decision(request, application_id),
        comment=payload.comment,
    )
    return application_out(app, for_reviewer=True)


@router.post(
    "/onboarding/review/applications/{application_id}/reject",
    response={200: ReviewApplicationOut, **ERRORS},
    summary="Reject",
)
def review_reject(request: HttpRequest, application_id: UUID, payload: RejectIn):
    """Refuses the application with the reasons."""
    app = services.review_reject(
        esi_organizations=_claim(request),
        actor=actor_of(request),
        application=_for_decision(request, application_id),
        reason=payload.reason,
    )
    return application_out(app, for_reviewer=True)


@router.post(
    "/onboarding/review/applications/{application_id}/approve",
    response={200: ReviewApplicationOut, **ERRORS},
    summary="Approve",
)
def review_approve(request: HttpRequest, application_id: UUID, payload: CommentIn):
    """Approves: the clinic becomes an active organisation, the applicant its administrator."""
    app = services.review_approve(
        esi_organizations=_claim(request),
        actor=actor_of(request),
        application=_for_decision(request, application_id),
        comment=payload.comment,
    )
    return application_out(app, for_reviewer=True)
