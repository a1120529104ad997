"""Every write of clinic onboarding: atomic, audited, notifying only after commit."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salamat.accounts.models import Membership, Role, User
from salamat.accounts.services import api_client_issue, membership_grant
from salamat.core.actors import SYSTEM, Actor
from salamat.core.audit import audit_record, diff
from salamat.core.conf import setting
from salamat.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed, field_error
from salamat.core.identifiers import validate_pin, validate_tax_id
from salamat.onboarding import checks, files, states
from salamat.onboarding.models import (
    Application,
    ApplicationDocument,
    ApplicationEvent,
    ChecklistItem,
    DocumentKind,
    EsiRepresentation,
    OfferAcceptance,
    OfferVersion,
    OnboardingPhase,
    OnboardingSettings,
    PendingMembership,
)
from salamat.onboarding.notifications import applicant_message, notify_after_commit
from salamat.registry.models import (
    Organization,
    OrganizationStatus,
    OrganizationType,
    OwnershipForm,
    Region,
    Site,
)
from salamat.signatures.services import signed_record_create
from salamat.tunduk.adapters import LicenceInfo, legal_entity_registry, licence_registry

ACCEPTANCE_PURPOSE = "onboarding.offer_acceptance"
REQUIRED_DOCUMENTS = (
    DocumentKind.LICENCE,
    DocumentKind.STATE_REGISTRATION,
    DocumentKind.HEAD_PHYSICIAN_ORDER,
)
# Fields the applicant fills in; every one but the licence's end date is required to submit
# (some licences are issued without an end date).
EDITABLE_FIELDS = (
    "legal_name",
    "legal_form",
    "address",
    "region",
    "district",
    "head_physician_pin",
    "head_physician_name",
    "licence_number",
    "licence_issued_on",
    "licence_valid_until",
    "licensed_activities",
    "contact_email",
    "contact_phone",
)
REQUIRED_FIELDS = (
    "legal_name",
    "legal_form",
    "address",
    "region",
    "head_physician_pin",
    "head_physician_name",
    "licence_number",
    "licence_issued_on",
    "licensed_activities",
)
INVITABLE_ROLES = (Role.DOCTOR, Role.COMMISSION_CHAIR)


# --- settings and helpers -------------------------------------------------------------


def current_phase() -> int:
    """1 (a reviewer decides) or 2 (automated checks and a signed offer), as the ministry set it."""
    row = OnboardingSettings.objects.order_by("pk").first()
    if row is not None:
        return int(row.phase)
    return int(setting("ONBOARDING_PHASE"))


@transaction.atomic
def onboarding_phase_set(*, actor: Actor, phase: int) -> OnboardingSettings:
    """Switches onboarding between phase 1 and phase 2."""
    if phase not in OnboardingPhase.values:
        raise field_error("phase", "unknown_phase", _("The phase is 1 or 2."))
    row = OnboardingSettings.objects.select_for_update().order_by("pk").first() or OnboardingSettings()
    old = row.phase if row.pk else None
    row.phase = phase
    row.save()
    audit_record(
        actor=actor, action="onboarding.phase_set", obj=row, changes={"phase": {"old": old, "new": phase}}
    )
    return row


def storage() -> FileSystemStorage:
    # Built per call so that MEDIA_ROOT (outside the web root) is read when used.
    return FileSystemStorage(location=settings.MEDIA_ROOT)


def offer_current() -> OfferVersion | None:
    """The offer version in force: the latest published one."""
    return (
        OfferVersion.objects.filter(published_at__isnull=False, published_at__lte=timezone.now())
        .order_by("-published_at", "-version")
        .first()
    )


def missing_document_kinds(application: Application) -> list[str]:
    present = set(application.documents.values_list("kind", flat=True))
    required = list(REQUIRED_DOCUMENTS)
    if not application.represents_by_claim:
        required.append(DocumentKind.POWER_OF_ATTORNEY)
    return [str(kind) for kind in required if kind not in present]


def _lock(application: Application) -> Application:
    return Application.objects.select_for_update().get(pk=application.pk)


def _require_person(actor: Actor) -> User:
    if actor.user is None:
        raise PermissionDenied("person_required", _("This must be done by a logged-in person."))
    return actor.user


def _require_applicant(actor: Actor, application: Application) -> User:
    user = _require_person(actor)
    if application.applicant_id != user.pk:
        # 404, not 403: others may not learn that the application exists.
        raise NotFound("application_not_found", _("No such application."))
    return user


def is_reviewer(user: User | None) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return Membership.objects.filter(user=user, role=Role.MINISTRY_REVIEWER, is_active=True).exists()


def _require_reviewer(actor: Actor) -> User:
    user = _require_person(actor)
    if not is_reviewer(user):
        raise PermissionDenied("reviewer_required", _("Only a ministry reviewer may do this."))
    return user


def has_conflict_of_interest(
    user: User, application: Application, esi_organizations: list[dict[str, str]] | None = None
) -> bool:
    """True when the reviewer is the applicant, belongs to the applying organisation, or
    represents it according to their own ESI `organizations` claim."""
    if application.applicant_id == user.pk:
        return True
    if any(str(org.get("tax_id", "")).strip() == application.tax_id for org in esi_organizations or []):
        return True
    if Membership.objects.filter(user=user, organization__tax_id=application.tax_id, is_active=True).exists():
        return True
    return bool(
        user.pin
        and PendingMembership.objects.filter(pin=user.pin, organization__tax_id=application.tax_id).exists()
    )


def _require_no_conflict(
    user: User, application: Application, esi_organizations: list[dict[str, str]] | None = None
) -> None:
    if has_conflict_of_interest(user, application, esi_organizations):
        raise PermissionDenied(
            "reviewer_conflict_of_interest",
            _("You cannot review an application of an organisation you belong to."),
        )


def _transition(
    application: Application, action: str, *, actor: Actor, comment: str = "", **extra_fields: Any
) -> Application:
    old = application.status
    application.status = states.next_status(action, old)
    for name, value in extra_fields.items():
        setattr(application, name, value)
    application.save(update_fields=["status", "updated_at", *extra_fields])
    ApplicationEvent.objects.create(
        application=application,
        action=action,
        from_status=old,
        to_status=application.status,
        comment=comment,
        actor_user=actor.user,
    )
    audit_record(
        actor=actor,
        action=f"application.{action}",
        obj=application,
        changes={"status": {"old": old, "new": application.status}, "comment": comment},
    )
    subject, body = applicant_message(application.status, comment)
    notify_after_commit(
        user_id=application.applicant_id, application_id=application.pk, subject=subject, body=body
    )
    return application


def _event(application: Application, action: str, *, actor: Actor, comment: str = "") -> None:
    ApplicationEvent.objects.create(
        application=application,
        action=action,
        from_status=application.status,
        to_status=application.status,
        comment=comment,
        actor_user=actor.user,
    )


# --- applicant ------------------------------------------------------------------------


@transaction.atomic
def application_start(
    *, actor: Actor, tax_id: str, esi_organizations: list[dict[str, str]] | None = None
) -> Application:
    """Starts a draft for `tax_id`; if it is not in the person's ESI `organizations` claim,
    the application will need a power of attorney."""
    user = _require_person(actor)
    tax_id = validate_tax_id(tax_id)
    claimed = {
        str(org.get("tax_id", "")).strip(): str(org.get("name", "")) for org in esi_organizations or []
    }
    open_own = Application.objects.filter(applicant=user, tax_id=tax_id, status__in=states.OPEN).first()
    if open_own is not None:
        raise Conflict(
            "application_already_open",
            _("You already have an open application for this organisation."),
            details={"application_id": str(open_own.external_id)},
        )
    # What the state registries know is filled in for the applicant to check, not to retype.
    entity = legal_entity_registry().lookup(tax_id)
    licence = _latest_licence(tax_id)
    application = Application.objects.create(
        applicant=user,
        tax_id=tax_id,
        represents_by_claim=tax_id in claimed,
        legal_name=claimed.get(tax_id) or (entity.name if entity else ""),
        legal_form=entity.legal_form if entity else "",
        address=entity.address if entity else "",
        licence_number=licence.number if licence else "",
        licence_issued_on=licence.issued_on if licence else None,
        licence_valid_until=licence.valid_until if licence else None,
        licensed_activities="; ".join(licence.activities) if licence else "",
        contact_email=user.email,
        contact_phone=user.phone,
    )
    ApplicationEvent.objects.create(
        application=application, action="start", to_status=application.status, actor_user=user
    )
    audit_record(
        actor=actor,
        action="application.start",
        obj=application,
        changes={"tax_id": tax_id, "represents_by_claim": application.represents_by_claim},
    )
    return application


def _latest_licence(tax_id: str) -> LicenceInfo | None:
    """The holder's licence in force today, else their most recent one, from the licence register."""
    licences = licence_registry().lookup(tax_id)
    today = timezone.localdate()
    return max(licences, key=lambda lic: (lic.is_valid_on(today), lic.issued_on), default=None)


@transaction.atomic
def application_update(*, actor: Actor, application: Application, **fields: Any) -> Application:
    """Changes the form's fields (only as a draft or when changes were requested)."""
    application = _lock(application)
    _require_applicant(actor, application)
    states.assert_editable(application.status)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed(
            "unknown_fields", _("These fields cannot be changed."), details={"fields": sorted(unknown)}
        )
    cleaned = {name: (value.strip() if isinstance(value, str) else value) for name, value in fields.items()}
    if cleaned.get("head_physician_pin"):
        cleaned["head_physician_pin"] = validate_pin(
            cleaned["head_physician_pin"], field="head_physician_pin"
        )
    if cleaned.get("region") and cleaned["region"] not in Region.values:
        raise field_error("region", "unknown_region", _("Unknown region."))
    issued, until = (
        cleaned.get("licence_issued_on", application.licence_issued_on),
        cleaned.get("licence_valid_until", application.licence_valid_until),
    )
    if isinstance(issued, date) and isinstance(until, date) and until < issued:
        raise field_error(
            "licence_valid_until", "licence_dates_reversed", _("The licence ends before it was issued.")
        )
    old = {name: getattr(application, name) for name in cleaned}
    for name, value in cleaned.items():
        if value is None and name not in ("licence_issued_on", "licence_valid_until"):
            value = ""
        setattr(application, name, value)
    application.save(update_fields=[*cleaned, "updated_at"])
    changes = diff(application, list(cleaned), old)
    if "head_physician_pin" in changes:
        changes["head_physician_pin"] = "[changed]"
    audit_record(actor=actor, action="application.update", obj=application, changes=changes)
    return application


@transaction.atomic
def document_upload(*, actor: Actor, application: Application, kind: str, upload) -> ApplicationDocument:
    """Stores a PDF/JPEG/PNG document (checked by content, ≤ 10 MB) under a random name."""
    application = _lock(application)
    user = _require_applicant(actor, application)
    states.assert_editable(application.status)
    if kind not in DocumentKind.values:
        raise field_error("kind", "unknown_document_kind", _("Unknown kind of document."))
    checked = files.check_document(files.read_upload(upload))
    name = f"onboarding/{timezone.now():%Y/%m}/{secrets.token_hex(20)}"
    stored = storage().save(name, ContentFile(checked.data))
    try:
        document = ApplicationDocument.objects.create(
            application=application,
            kind=kind,
            original_name=(getattr(upload, "name", "") or "document")[-255:],
            storage_name=stored,
            content_type=checked.content_type,
            size=len(checked.data),
            sha256=checked.sha256,
            uploaded_by=user,
        )
    except Exception:
        storage().delete(stored)
        raise
    audit_record(
        actor=actor,
        action="application.document_upload",
        obj=document,
        changes={
            "kind": kind,
            "size": document.size,
            "content_type": document.content_type,
            "sha256": checked.sha256,
        },
    )
    return document


@transaction.atomic
def document_delete(*, actor: Actor, document: ApplicationDocument) -> None:
    """Removes a document (only while the application can be changed)."""
    application = _lock(document.application)
    _require_applicant(actor, application)
    states.assert_editable(application.status)
    stored = document.storage_name
    audit_record(
        actor=actor, action="application.document_delete", obj=document, changes={"kind": document.kind}
    )
    document.delete()
    transaction.on_commit(lambda: storage().delete(stored))


def offer_acceptance_record(application: Application, offer: OfferVersion, pin: str) -> dict[str, Any]:
    """The record the applicant signs in phase 2 (its RFC 8785 bytes are what is signed)."""
    return {
        "purpose": ACCEPTANCE_PURPOSE,
        "application": str(application.external_id),
        "tax_id": application.tax_id,
        "offer_version": offer.version,
        "offer_sha256": offer.sha256,
        "signer_pin": pin,
    }


@transaction.atomic
def offer_accept(
    *,
    actor: Actor,
    application: Application,
    version: int | None = None,
    ip: str | None = None,
    signature: str = "",
    certificate_pem: str = "",
) -> OfferAcceptance:
    """Records the applicant's acceptance of the current offer (signed in phase 2)."""
    application = _lock(application)
    user = _require_applicant(actor, application)
    states.assert_editable(application.status)
    if not user.pin:
        raise PermissionDenied("pin_required", _("Log in through ESI so that your PIN is known."))
    offer = offer_current()
    if offer is None:
        raise NotFound("no_offer_published", _("No public offer has been published yet."))
    if version is not None and version != offer.version:
        raise Conflict(
            "offer_version_stale",
            _("A newer version of the offer has been published; read it and accept it."),
            details={"current_version": offer.version},
        )
    signed = None
    if current_phase() == OnboardingPhase.AUTOMATED:
        if not signature or not certificate_pem:
            raise ValidationFailed(
                "signature_required", _("In phase 2 the acceptance must be signed with your certificate.")
            )
        signed = signed_record_create(
            actor=actor,
            purpose=ACCEPTANCE_PURPOSE,
            record=offer_acceptance_record(application, offer, user.pin),
            signature=signature,
            certificate_pem=certificate_pem,
            expected_pin=user.pin,
        )
    acceptance = OfferAcceptance.objects.create(
        application=application,
        offer_version=offer,
        text_sha256=offer.sha256,
        accepted_at=timezone.now(),
        ip=ip,
        pin=user.pin,
        user=user,
        signed_record=signed,
    )
    _event(application, "offer_accept", actor=actor, comment=f"v{offer.version}")
    audit_record(
        actor=actor,
        action="application.offer_accept",
        obj=application,
        changes={"offer_version": offer.version, "text_sha256": offer.sha256, "signed": signed is not None},
    )
    return acceptance


def _assert_complete(application: Application) -> None:
    missing_fields = [name for name in REQUIRED_FIELDS if not getattr(application, name)]
    if not (application.contact_email or application.contact_phone):
        missing_fields.append("contact_email")
    if missing_fields:
        message = _("Fill in every required field.")
        raise ValidationFailed(
            "application_incomplete",
            message,
            details={
                "fields": [{"field": f, "code": "required", "message": message} for f in missing_fields]
            },
        )
    missing = missing_document_kinds(application)
    if str(DocumentKind.POWER_OF_ATTORNEY) in missing:
        raise PermissionDenied(
            "representation_not_proven",
            _("This organisation is not among those ESI says you represent: upload a power of attorney."),
        )
    if missing:
        raise ValidationFailed(
            "documents_missing", _("Some required documents are missing."), details={"missing": missing}
        )


def _assert_offer_accepted(application: Application) -> None:
    acceptance = (
        application.acceptances.select_related("offer_version").order_by("-accepted_at", "-pk").first()
    )
    current = offer_current()
    if acceptance is None:
        raise ValidationFailed("offer_not_accepted", _("Accept the public offer before submitting."))
    if current is not None and (
        acceptance.offer_version_id != current.pk or acceptance.text_sha256 != current.sha256
    ):
        raise Conflict(
            "offer_version_stale",
            _("A new version of the public offer was published after you accepted it: accept it again."),
            details={
                "accepted_version": acceptance.offer_version.version,
                "current_version": current.version,
            },
        )
    if current_phase() == OnboardingPhase.AUTOMATED and acceptance.signed_record_id is None:
        raise ValidationFailed(
            "offer_not_signed",
            _("In phase 2 the offer acceptance must be signed: accept it again with your certificate."),
        )


@transaction.atomic
def application_submit(*, actor: Actor, application: Application) -> Application:
    """Sends the application to the ministry; in phase 2 runs the automated checks at once."""
    application = _lock(application)
    _require_applicant(actor, application)
    # A second submission is refused before anything else is looked at.
    states.next_status(states.SUBMIT, application.status)
    _assert_complete(application)
    _assert_offer_accepted(application)
    now = timezone.now()
    extra: dict[str, Any] = {"queued_at": now, "reviewer": None}
    if application.submitted_at is None:
        extra["submitted_at"] = now
    application = _transition(application, states.SUBMIT, actor=actor, **extra)
    if current_phase() == OnboardingPhase.AUTOMATED:
        results = _record_checks(application)
        failed = [r for r in results if r.outcome != checks.OK]
        if not failed:
            application = _approve(application, actor=SYSTEM, action=states.AUTO_APPROVE, comment="")
        else:
            _event(
                application,
                "routed_to_review",
                actor=SYSTEM,
                comment="; ".join(r.applicant_message for r in failed),
            )
    return application


def _record_checks(application: Application) -> list[checks.CheckResult]:
    results = checks.run_checks(application)
    now = timezone.now()
    ChecklistItem.objects.filter(application=application).delete()
    ChecklistItem.objects.bulk_create(
        [
            ChecklistItem(
                application=application,
                name=r.name,
                outcome=r.outcome,
                applicant_message=r.applicant_message,
                reviewer_message=r.reviewer_message,
                checked_at=now,
            )
            for r in results
        ]
    )
    audit_record(
        actor=SYSTEM,
        action="application.checks",
        obj=application,
        changes={r.name: r.outcome for r in results},
    )
    return results


# --- reviewer -------------------------------------------------------------------------


@transaction.atomic
def review_take(
    *,
    actor: Actor,
    application: Application | None = None,
    esi_organizations: list[dict[str, str]] | None = None,
) -> Application:
    """Takes `application` (or the oldest waiting one without a conflict of interest) for review."""
    user = _require_reviewer(actor)
    if application is None:
        for candidate in Application.objects.filter(status__in=states.WAITING_FOR_REVIEW).order_by(
            "queued_at", "pk"
        ):
            if not has_conflict_of_interest(user, candidate, esi_organizations):
                application = candidate
                break
        else:
            raise NotFound("queue_empty", _("No application is waiting for review."))
    application = _lock(application)
    _require_no_conflict(user, application, esi_organizations)
    return _transition(application, states.TAKE, actor=actor, reviewer=user)


def _reviewing(
    actor: Actor, application: Application, esi_organizations: list[dict[str, str]] | None
) -> tuple[User, Application]:
    user = _require_reviewer(actor)
    application = _lock(application)
    _require_no_conflict(user, application, esi_organizations)
    if application.status == states.IN_REVIEW and application.reviewer_id != user.pk:
        raise PermissionDenied("not_your_review", _("Another reviewer has taken this application."))
    return user, application


def _require_comment(comment: str, field: str = "comment") -> str:
    comment = (comment or "").strip()
    if not comment:
        raise field_error(field, "comment_required", _("Say what is wrong, for the applicant."))
    return comment


@transaction.atomic
def review_request_changes(
    *,
    actor: Actor,
    application: Application,
    comment: str,
    esi_organizations: list[dict[str, str]] | None = None,
) -> Application:
    """Sends the application back to the applicant with what to fix."""
    _, application = _reviewing(actor, application, esi_organizations)
    comment = _require_comment(comment)
    states.next_status(states.REQUEST_CHANGES, application.status)
    return _transition(application, states.REQUEST_CHANGES, actor=actor, comment=comment)


@transaction.atomic
def review_reject(
    *,
    actor: Actor,
    application: Application,
    reason: str,
    esi_organizations: list[dict[str, str]] | None = None,
) -> Application:
    """Refuses the application for good, with the reasons."""
    _, application = _reviewing(actor, application, esi_organizations)
    reason = _require_comment(reason, "reason")
    states.next_status(states.REJECT, application.status)
    return _transition(
        application,
        states.REJECT,
        actor=actor,
        comment=reason,
        decision_reason=reason,
        decided_at=timezone.now(),
    )


@transaction.atomic
def review_approve(
    *,
    actor: Actor,
    application: Application,
    comment: str = "",
    esi_organizations: list[dict[str, str]] | None = None,
) -> Application:
    """Approves: the clinic becomes an active organisation and the applicant its administrator."""
    _, application = _reviewing(actor, application, esi_organizations)
    return _approve(application, actor=actor, action=states.APPROVE, comment=(comment or "").strip())


def _approve(application: Application, *, actor: Actor, action: str, comment: str) -> Application:
    states.next_status(action, application.status)
    organization = _organization_activate(application, actor=actor)
    application = _transition(
        application,
        action,
        actor=actor,
        comment=comment,
        organization=organization,
        decided_at=timezone.now(),
        decision_reason=comment,
    )
    membership_grant(actor=actor, user=application.applicant, organization=organization, role=Role.ORG_ADMIN)
    return application


def _organization_activate(application: Application, *, actor: Actor) -> Organization:
    organization = Organization.objects.select_for_update().filter(tax_id=application.tax_id).first()
    if organization is not None and organization.org_type != OrganizationType.MEDICAL:
        raise Conflict(
            "organization_type_conflict",
            _("An organisation of another type is registered with this tax ID."),
        )
    created = organization is None
    if created:
        organization = Organization(tax_id=application.tax_id, org_type=OrganizationType.MEDICAL)
    old_status = organization.status if not created else None
    organization.name = application.legal_name
    organization.ownership = OwnershipForm.PRIVATE
    organization.status = OrganizationStatus.ACTIVE
    organization.legal_address = application.address
    organization.region = application.region
    organization.email = application.contact_email
    organization.phone = application.contact_phone
    organization.licence_number = application.licence_number
    organization.save()
    if not organization.sites.filter(address=application.address).exists():
        Site.objects.create(
            organization=organization,
            name=application.legal_name,
            address=application.address,
            region=application.region or Region.BISHKEK,
            district=application.district,
        )
    audit_record(
        actor=actor,
        action="organization.create" if created else "organization.activate",
        obj=organization,
        changes={
            "status": {"old": old_status, "new": organization.status},
            "application": str(application.external_id),
        },
    )
    return organization


# --- after approval -------------------------------------------------------------------


@transaction.atomic
def application_credentials_issue(*, actor: Actor, application: Application) -> tuple[Any, str]:
    """Issues the clinic's first API client to the applicant, once; the token is returned only now."""
    application = _lock(application)
    user = _require_applicant(actor, application)
    if application.status != states.APPROVED or application.organization_id is None:
        raise Conflict("application_not_approved", _("Credentials are issued after approval."))
    if application.credentials_issued_at is not None:
        raise Conflict(
            "credentials_already_issued",
            _("The credentials were already shown once; an administrator can issue a new API client."),
        )
    organization = application.organization
    admin = Actor(user=user, organization=organization, roles=frozenset({Role.ORG_ADMIN}))
    client, token = api_client_issue(
        actor=admin, organization=organization, name=_("Clinic information system")
    )
    application.credentials_issued_at = timezone.now()
    application.save(update_fields=["credentials_issued_at", "updated_at"])
    _event(application, "credentials_issue", actor=actor)
    return client, token


@dataclass(frozen=True)
class StaffInvitation:
    """The result of `staff_invite`: a membership at once, or a pending one by PIN."""

    pin: str
    role: str
    membership: Membership | None
    pending: PendingMembership | None


def _require_org_admin(actor: Actor, organization: Organization) -> User:
    user = _require_person(actor)
    if not Membership.objects.filter(
        user=user, organization=organization, role=Role.ORG_ADMIN, is_active=True
    ).exists():
        raise PermissionDenied(
            "not_organization_admin", _("Only an administrator of this organisation may do this.")
        )
    return user


@transaction.atomic
def staff_invite(*, actor: Actor, organization: Organization, pin: str, role: str) -> StaffInvitation:
    """Gives a doctor or commission chair role by PIN; linked at once if the person has an account,
    otherwise when they first log in through ESI."""
    _require_org_admin(actor, organization)
    pin = validate_pin(pin)
    if role not in INVITABLE_ROLES:
        raise field_error(
            "role", "role_not_invitable", _("Only doctors and commission chairs can be invited.")
        )
    if organization.status != OrganizationStatus.ACTIVE:
        raise PermissionDenied("organization_not_active", _("The organisation is not active."))
    user = User.objects.filter(pin=pin).first()
    if user is not None:
        membership = membership_grant(actor=actor, user=user, organization=organization, role=role)
        return StaffInvitation(pin=pin, role=role, membership=membership, pending=None)
    pending, _created = PendingMembership.objects.get_or_create(
        organization=organization, pin=pin, role=role, defaults={"invited_by": actor.user}
    )
    audit_record(
        actor=actor,
        action="membership.invite",
        obj=pending,
        changes={"organization": str(organization.external_id), "role": role},
    )
    return StaffInvitation(pin=pin, role=role, membership=None, pending=pending)


@transaction.atomic
def link_pending_memberships(user: User) -> list[Membership]:
    """Turns the roles given to `user.pin` before they had an account into memberships.

    The ESI login calls this after every successful login (once `User.pin` is set);
    it is idempotent and cheap when nothing is pending."""
    if not user.pin:
        return []
    linked = []
    pending = (
        PendingMembership.objects.select_for_update()
        .filter(pin=user.pin, linked_user__isnull=True)
        .select_related("organization")
    )
    for invitation in pending:
        if invitation.organization.status != OrganizationStatus.ACTIVE:
            continue
        actor = Actor(user=user)
        linked.append(
            membership_grant(
                actor=actor, user=user, organization=invitation.organization, role=invitation.role
            )
        )
        invitation.linked_user = user
        invitation.linked_at = timezone.now()
        invitation.save(update_fields=["linked_user", "linked_at"])
    return linked


@transaction.atomic
def esi_representations_record(*, user: User, organizations: list[dict[str, str]]) -> None:
    """Keeps the organisations ESI says `user` represents (from their latest ESI login).

    Not audited: it is a copy of what ESI said, replaced at each login, and decides
    nothing but which home-page cards the person sees."""
    EsiRepresentation.objects.filter(user=user).delete()
    now = timezone.now()
    EsiRepresentation.objects.bulk_create(
        [
            EsiRepresentation(user=user, tax_id=tax_id, name=str(org.get("name", ""))[:255], seen_at=now)
            for tax_id, org in {str(o.get("tax_id", "")).strip(): o for o in organizations}.items()
            if tax_id
        ]
    )


# --- the offer itself -----------------------------------------------------------------


@transaction.atomic
def offer_version_publish(
    *, actor: Actor, title: str, text_ru: str, text_ky: str = "", text_en: str = ""
) -> OfferVersion:
    """Publishes a new offer version; every open application must accept it again."""
    import hashlib

    last = OfferVersion.objects.select_for_update().order_by("-version").first()
    offer = OfferVersion.objects.create(
        version=(last.version + 1) if last else 1,
        title=title,
        text_ru=text_ru,
        text_ky=text_ky,
        text_en=text_en,
        sha256=hashlib.sha256(text_ru.encode("utf-8")).hexdigest(),
        published_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action="offer.publish",
        obj=offer,
        changes={"version": offer.version, "sha256": offer.sha256},
    )
    return offer
