"""Reads of clinic onboarding, each scoped to who is asking."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from salamat.accounts.models import Role, User
from salamat.accounts.selectors import membership_active
from salamat.core.conf import setting
from salamat.core.errors import NotFound, PermissionDenied
from salamat.onboarding import states
from salamat.onboarding.models import (
    Application,
    ApplicationDocument,
    DocumentKind,
    Notification,
    OfferVersion,
    OnboardingSettings,
    PendingMembership,
)

REQUIRED_DOCUMENTS = (
    DocumentKind.LICENCE,
    DocumentKind.STATE_REGISTRATION,
    DocumentKind.HEAD_PHYSICIAN_ORDER,
)


def current_phase() -> int:
    """1 (a reviewer decides) or 2 (automated checks and a signed offer), as the ministry set it."""
    row = OnboardingSettings.objects.order_by("pk").first()
    if row is not None:
        return int(row.phase)
    return int(setting("ONBOARDING_PHASE"))


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


def is_reviewer(user: User | None) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return membership_active(user=user, role=Role.MINISTRY_REVIEWER) is not None


def has_conflict_of_interest(
    user: User, application: Application, esi_organizations: list[dict[str, str]] | None = None
) -> bool:
    """True when the reviewer is the applicant, belongs to the applying organisation, or
    represents it according to their own ESI `organizations` claim."""
    if application.applicant_id == user.pk:
        return True
    if any(str(org.get("tax_id", "")).strip() == application.tax_id for org in esi_organizations or []):
        return True
    if membership_active(user=user, organization_tax_id=application.tax_id) is not None:
        return True
    return bool(
        user.pin
        and PendingMembership.objects.filter(pin=user.pin, organization__tax_id=application.tax_id).exists()
    )


def applications_of(user: User) -> QuerySet[Application]:
    return Application.objects.filter(applicant=user).order_by("-created_at")


def application_for_applicant(user: User, external_id) -> Application:
    app = applications_of(user).filter(external_id=external_id).first()
    if app is None:
        raise NotFound("application_not_found", _("No such application."))
    return app


def review_queue() -> QuerySet[Application]:
    """Applications waiting for a reviewer, oldest first."""
    return Application.objects.filter(status__in=states.WAITING_FOR_REVIEW).order_by("queued_at", "pk")


def reviews_in_progress(user: User) -> QuerySet[Application]:
    return Application.objects.filter(status=states.IN_REVIEW, reviewer=user).order_by("queued_at")


def application_for_reviewer(
    user: User, external_id, esi_organizations: list[dict[str, str]] | None = None
) -> Application:
    """Any application but a draft, for a reviewer; refused (`reviewer_conflict_of_interest`)
    when it is of an organisation they belong to or represent (by ESI's claim)."""
    app = Application.objects.exclude(status=states.DRAFT).filter(external_id=external_id).first()
    if app is None or not is_reviewer(user):
        raise NotFound("application_not_found", _("No such application."))
    if has_conflict_of_interest(user, app, esi_organizations):
        raise PermissionDenied(
            "reviewer_conflict_of_interest",
            _("You cannot review an application of an organisation you belong to."),
        )
    return app


def document_for(user: User, external_id) -> ApplicationDocument:
    """A document, if `user` is its applicant or a reviewer without a conflict of interest."""
    doc = ApplicationDocument.objects.select_related("application").filter(external_id=external_id).first()
    if doc is not None and user.is_authenticated:
        app = doc.application
        if app.applicant_id == user.pk:
            return doc
        if app.status != states.DRAFT and is_reviewer(user) and not has_conflict_of_interest(user, app):
            return doc
    raise NotFound("document_not_found", _("No such document."))


def notifications_of(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-created_at")
