"""The web foundation's own entries in the navigation registry (see `salamat.core.nav`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from salamat.accounts.models import Role
from salamat.core.actors import Actor
from salamat.core.nav import (
    AUTHENTICATED,
    PUBLIC,
    SECTION_ACCOUNT,
    SECTION_PUBLIC,
    SECTION_WORK,
    NavItem,
    register,
)

STAFF_ROLES = frozenset(Role.values)


def _own_organization(actor: Actor) -> dict | None:
    return {"external_id": actor.organization.external_id} if actor.organization is not None else None


def _is_staff_user(actor: Actor) -> bool:
    return actor.user is not None and actor.user.is_staff


def register_web_entries() -> None:
    register(
        # The citizen check page (issue 6) answers at /check; the card appears once it does.
        NavItem(
            roles={PUBLIC},
            path="/check",
            label=_("Check a medicine"),
            description=_("Scan or type the code on a package to see whether it is genuine."),
            icon="shield-check",
            section=SECTION_PUBLIC,
            order=10,
            in_header=True,
        ),
        NavItem(
            roles={PUBLIC},
            url_name="web:product_list",
            label=_("Medicines registry"),
            description=_("Registered medicines by name, INN, GTIN or registration number."),
            icon="pill",
            section=SECTION_PUBLIC,
            order=20,
            in_header=True,
        ),
        NavItem(
            roles={PUBLIC},
            url_name="web:organization_list",
            label=_("Organisations"),
            description=_("Pharmacies, warehouses, manufacturers and clinics taking part."),
            icon="building",
            section=SECTION_PUBLIC,
            order=30,
            in_header=True,
        ),
        NavItem(
            roles={Role.ORG_ADMIN},
            url_name="web:api_clients",
            label=_("API clients"),
            description=_("Tokens for your tills, scanners and accounting software."),
            icon="key",
            section=SECTION_WORK,
            order=80,
        ),
        NavItem(
            roles={Role.REGULATOR, Role.MINISTRY_REVIEWER, Role.ORG_ADMIN},
            url_name="admin:index",
            label=_("Administration"),
            description=_("Registry records, people and the audit log."),
            icon="cog",
            section=SECTION_WORK,
            order=90,
            condition=_is_staff_user,
        ),
        NavItem(
            roles=STAFF_ROLES,
            url_name="web:organization_detail",
            url_kwargs=_own_organization,
            label=_("My organisation"),
            description=_("Your organisation's record, sites and licence."),
            icon="building",
            section=SECTION_ACCOUNT,
            order=10,
        ),
        NavItem(
            roles={AUTHENTICATED},
            url_name="web:logout",
            label=_("Log out"),
            description=_("End your session on this device."),
            icon="logout",
            section=SECTION_ACCOUNT,
            order=100,
        ),
    )
