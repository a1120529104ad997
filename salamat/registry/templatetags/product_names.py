"""Template filters for a product's names in the page's language (`salamat.registry.names`).

    {% load product_names %}
    {{ product|local:"inn" }}        the INN, marked when shown in another language
    {{ product|local_plain:"inn" }}  the same, unmarked (titles, attributes)
    {{ product|product_title }}      "trade name strength dosage form"

`product` is a Product or a dict / row with the same keys."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from salamat.registry import names

register = template.Library()


def _language_name(code: str) -> str:
    return {"ru": _("in Russian"), "ky": _("in Kyrgyz"), "en": _("as registered (Latin script)")}[code]


@register.filter
def local(obj, field: str):
    """The name in the page's language; a fallback says which language it is in."""
    name = names.local_name(obj, field)
    if not name.fallback:
        return name.text
    return format_html(
        '<span lang="{lang}">{text}</span> <small class="name-fallback" title="{title}">{tag}</small>',
        lang=name.language,
        text=name.text,
        title=_("No name in this language in the registry yet: shown %(language)s")
        % {"language": _language_name(name.language)},
        tag=name.language.upper(),
    )


@register.filter
def local_plain(obj, field: str) -> str:
    return names.local_text(obj, field)


@register.filter
def product_title(obj) -> str:
    return names.product_title(obj)
