"""Translation for pure modules: uses Django's catalogue when Django is configured,
plain English otherwise (so pure modules import nothing from Django at load time)."""

from __future__ import annotations


def gettext(message: str) -> str:
    try:
        from django.conf import settings

        if not settings.configured:
            return message
        from django.utils.translation import gettext as django_gettext

        return django_gettext(message)
    except Exception:  # noqa: BLE001 - translation must never break a rule check
        return message
