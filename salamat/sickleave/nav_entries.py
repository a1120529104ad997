"""Sick leave's entries in the navigation registry (see `salamat.core.nav`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from salamat.accounts.models import Role
from salamat.core.actors import Actor
from salamat.core.nav import AUTHENTICATED, PUBLIC, SECTION_PUBLIC, SECTION_WORK, NavItem, register
from salamat.registry.models import OrganizationType


def _medical(actor: Actor) -> bool:

    return actor.organization is not None and actor.organization.org_type == OrganizationType.MEDICAL


def _has_pin(actor: Actor) -> bool:
    return actor.user is not None and bool(actor.user.pin)


def register_sick_leave_entries() -> None:
    register(
        NavItem(
            roles={Role.DOCTOR, Role.COMMISSION_CHAIR, Role.ORG_ADMIN},
            url_name="sickleave:workspace",
            label=_("Sick leave"),
            description=_("Today's patients, open certificates; open, extend and close a sick leave."),
            icon="file",
            section=SECTION_WORK,
            order=20,
            in_header=True,
            condition=_medical,
        ),
        NavItem(
            roles={Role.COMMISSION_CHAIR},
            url_name="sickleave:commission",
            label=_("Medical commission"),
            description=_("Extensions past the threshold waiting for your approval."),
            icon="clipboard",
            section=SECTION_WORK,
            order=21,
            condition=_medical,
        ),
        NavItem(
            roles={AUTHENTICATED},
            url_name="sickleave:mine",
            label=_("My sick leaves"),
            description=_("Your certificates with the diagnosis, the periods and the printout."),
            icon="heart",
            section=SECTION_WORK,
            order=60,
            condition=_has_pin,
        ),
        NavItem(
            roles={PUBLIC},
            url_name="sickleave:verify",
            label=_("Check a sick leave"),
            description=_("For employers: is a certificate genuine, and which days does it cover?"),
            icon="shield-check",
            section=SECTION_PUBLIC,
            order=40,
        ),
    )
