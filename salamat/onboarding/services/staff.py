"""The clinic's people: its administrator invites doctors and commission chairs by PIN; at
each ESI login the invitations become memberships and the organisations ESI says the person
represents are noted."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salamat.accounts.models import Membership, Role, User
from salamat.accounts.selectors import membership_active, user_with_pin
from salamat.accounts.services import membership_grant
from salamat.core.actors import Actor
from salamat.core.audit import audit_record
from salamat.core.errors import PermissionDenied, field_error
from salamat.core.identifiers import validate_pin
from salamat.onboarding.models import EsiRepresentation, PendingMembership
from salamat.onboarding.services.workflow import require_person
from salamat.registry.models import Organization, OrganizationStatus

INVITABLE_ROLES = (Role.DOCTOR, Role.NURSE, Role.COMMISSION_CHAIR)


@dataclass(frozen=True)
class StaffInvitation:
    """The result of `staff_invite`: a membership at once, or a pending one by PIN."""

    pin: str
    role: str
    membership: Membership | None
    pending: PendingMembership | None


def _require_org_admin(actor: Actor, organization: Organization) -> User:
    user = require_person(actor)
    if membership_active(user=user, organization=organization, role=Role.ORG_ADMIN) is None:
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
    user = user_with_pin(pin)
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
