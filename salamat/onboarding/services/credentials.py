"""The approved clinic's first API client, shown to the applicant once."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salamat.accounts.models import Role
from salamat.accounts.services import api_client_issue
from salamat.core.actors import Actor
from salamat.core.errors import Conflict
from salamat.onboarding import states
from salamat.onboarding.models import Application
from salamat.onboarding.services.workflow import event_record, lock_application, require_applicant


@transaction.atomic
def application_credentials_issue(*, actor: Actor, application: Application) -> tuple[Any, str]:
    """Issues the clinic's first API client to the applicant, once; the token is returned only now."""
    application = lock_application(application)
    user = require_applicant(actor, application)
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
    event_record(application, "credentials_issue", actor=actor)
    return client, token
