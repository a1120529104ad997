"""The stickers page in the navigation registry."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from salamat.core.nav import SECTION_WORK, NavItem, register

ROLES = frozenset({"warehouse_operator", "pharmacist", "org_admin"})


def register_sticker_entries() -> None:
    register(
        NavItem(
            roles=ROLES,
            url_name="stickers:orders",
            label=_("Stickers"),
            description=_("Order, print and void ready-made stickers for packages without a unique code."),
            icon="shield-check",
            section=SECTION_WORK,
            order=60,
        )
    )
