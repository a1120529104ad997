"""Who may open which traceability page (the services check again on every write)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from salamat.core.actors import Actor
from salamat.core.errors import PermissionDenied
from salamat.traceability import selectors, services
from salamat.traceability.rules import Operation


def require_regulator(actor: Actor) -> None:
    if not selectors.is_regulator(actor):
        raise PermissionDenied("role_required", _("This page is for the regulator."))


def require_operation_role(actor: Actor, operation: Operation) -> None:
    """The page's operation needs an organisation and one of the roles that perform it."""
    if actor.organization is None or not actor.has_role(*services.OPERATION_ROLES[operation]):
        raise PermissionDenied(
            "role_required", _("This page is not available for your role and organisation.")
        )
