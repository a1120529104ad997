"""The ministry reviewer's decisions: take an application, request changes, reject, approve
(approval activates the clinic in the registry and makes the applicant its administrator)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salamat.accounts.models import Role, User
from salamat.accounts.services import membership_grant
from salamat.core.actors import Actor
from salamat.core.errors import NotFound, PermissionDenied, field_error
from salamat.onboarding import states
from salamat.onboarding.models import Application
from salamat.onboarding.selectors import has_conflict_of_interest, is_reviewer
from salamat.onboarding.services.workflow import lock_application, require_person, transition
from salamat.registry.services import medical_organization_activate


def _require_reviewer(actor: Actor) -> User:
    user = require_person(actor)
    if not is_reviewer(user):
        raise PermissionDenied("reviewer_required", _("Only a ministry reviewer may do this."))
    return user


def _require_no_conflict(
    user: User, application: Application, esi_organizations: list[dict[str, str]] | None = None
) -> None:
    if has_conflict_of_interest(user, application, esi_organizations):
        raise PermissionDenied(
            "reviewer_conflict_of_interest",
            _("You cannot review an application of an organisation you belong to."),
        )


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
    application = lock_application(application)
    _require_no_conflict(user, application, esi_organizations)
    return transition(application, states.TAKE, actor=actor, reviewer=user)


def _reviewing(
    actor: Actor, application: Application, esi_organizations: list[dict[str, str]] | None
) -> tuple[User, Application]:
    user = _require_reviewer(actor)
    application = lock_application(application)
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
    return transition(application, states.REQUEST_CHANGES, actor=actor, comment=comment)


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
    return transition(
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
    return approve(application, actor=actor, action=states.APPROVE, comment=(comment or "").strip())


def approve(application: Application, *, actor: Actor, action: str, comment: str) -> Application:
    states.next_status(action, application.status)
    organization = medical_organization_activate(
        actor=actor,
        tax_id=application.tax_id,
        name=application.legal_name,
        address=application.address,
        region=application.region,
        district=application.district,
        email=application.contact_email,
        phone=application.contact_phone,
        licence_number=application.licence_number,
        application=str(application.external_id),
    )
    application = transition(
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
