"""Reads of clinic onboarding, each scoped to who is asking."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from salamat.accounts.models import User
from salamat.core.errors import NotFound, PermissionDenied
from salamat.onboarding import states
from salamat.onboarding.models import Application, ApplicationDocument, Notification
from salamat.onboarding.services import has_conflict_of_interest, is_reviewer


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
