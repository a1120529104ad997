"""The regulator's entry for the labelling-scheme pages."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from salamat.core.nav import NavItem, register


def register_entries() -> None:
    register(
        NavItem(
            roles={"regulator"},
            url_name="labelling:list",
            label=_("Labelling schemes"),
            description=_("Code standards other than GS1 the platform reads; try a code; map product codes."),
            icon="cog",
            order=40,
        )
    )
