"""What every page's layout needs: the mode banner, the acting organisation, the menus."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import get_language_info

from salamat.accounts.selectors import actor_for_request, organizations_of
from salamat.core.nav import nav_items_for
from salamat.web.selectors import role_labels

# Short labels of the language switcher, each in its own language.
_SHORT = {"ru": "Рус", "ky": "Кыр", "en": "Eng"}


def platform(request):

    user = getattr(request, "user", None)
    actor = actor_for_request(request) if user is not None else None
    context = {
        "SALAMAT_MODE": settings.MODE,
        "DEV_MODE": settings.DEV_MODE,
        "actor": actor,
        "language_choices": [
            {
                "code": code,
                "short": _SHORT.get(code, code.upper()),
                "name": get_language_info(code)["name_local"],
            }
            for code, _name in settings.LANGUAGES
        ],
        "header_nav": [],
        "acting_roles": [],
        "switch_organizations": [],
    }
    if actor is None:
        return context
    path = request.path
    header_nav = nav_items_for(actor, header=True)
    # The entry whose URL is the longest prefix of the current path is "the current page".
    current = max(
        (
            entry
            for entry in header_nav
            if path == entry.url or (entry.url != "/" and path.startswith(entry.url))
        ),
        key=lambda entry: len(entry.url),
        default=None,
    )
    context["header_nav"] = [(entry, entry is current) for entry in header_nav]
    if user.is_authenticated:
        context["acting_roles"] = role_labels(actor)
        organizations = organizations_of(user)
        if len(organizations) > 1:
            context["switch_organizations"] = organizations
    return context
