"""The shared machinery of every onboarding write: the application's row lock, who may act
on it, and the one way its status changes (event row, audit entry, the applicant told after
commit)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from salamat.accounts.models import User
from salamat.core.actors import Actor
from salamat.core.audit import audit_record
from salamat.core.errors import NotFound, PermissionDenied
from salamat.onboarding import states
from salamat.onboarding.models import Application, ApplicationEvent
from salamat.onboarding.notifications import applicant_message, notify_after_commit


def lock_application(application: Application) -> Application:
    return Application.objects.select_for_update().get(pk=application.pk)


def require_person(actor: Actor) -> User:
    if actor.user is None:
        raise PermissionDenied("person_required", _("This must be done by a logged-in person."))
    return actor.user


def require_applicant(actor: Actor, application: Application) -> User:
    user = require_person(actor)
    if application.applicant_id != user.pk:
        # 404, not 403: others may not learn that the application exists.
        raise NotFound("application_not_found", _("No such application."))
    return user


def transition(
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
    link = settings.PUBLIC_BASE_URL + reverse(
        "onboarding:status", kwargs={"application_id": application.external_id}
    )
    subject, body = applicant_message(application.status, comment, link=link)
    notify_after_commit(
        user_id=application.applicant_id, application_id=application.pk, subject=subject, body=body
    )
    return application


def event_record(application: Application, action: str, *, actor: Actor, comment: str = "") -> None:
    ApplicationEvent.objects.create(
        application=application,
        action=action,
        from_status=application.status,
        to_status=application.status,
        comment=comment,
        actor_user=actor.user,
    )
