"""Onboarding's hooks on other modules' events."""

from __future__ import annotations

from salamat.accounts.oidc import esi_organizations
from salamat.onboarding.services import esi_representations_record, link_pending_memberships


def link_invitations_at_esi_login(sender, *, request, user, **kwargs) -> None:
    """At every ESI login: the doctor and commission-chair roles given to the person's PIN
    become memberships, and the organisations ESI says they represent are noted (both
    idempotent and cheap)."""
    link_pending_memberships(user)
    esi_representations_record(user=user, organizations=esi_organizations(request))
