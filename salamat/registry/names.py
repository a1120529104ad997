"""A product's names in the page's language: the one place that chooses which name to show.

A product (a model instance, or a dict or row with the same keys) has `trade_name`, `inn` and
`dosage_form` as registered in Latin script, which are the English (and international) names,
and `<name>_ru` / `<name>_ky` in Russian and Kyrgyz. A name missing in the page's language falls
back to the one its readers most likely read next (Kyrgyz to Russian, then the registered
name), and says so, so that a page can mark it. Pages call the `product_names` template filters;
PDFs, CSV and messages call `local_name` / `product_title`."""

from __future__ import annotations

from typing import Any, NamedTuple

from django.utils.translation import get_language

LANGUAGES = ("ru", "ky", "en")
NAMED_FIELDS = ("trade_name", "inn", "dosage_form")
# What to show, in order, when a name is missing in the page's language.
FALLBACKS: dict[str, tuple[str, ...]] = {"ru": ("ru", "en"), "ky": ("ky", "ru", "en"), "en": ("en", "ru")}


class LocalName(NamedTuple):
    text: str
    language: str  # the language `text` is in
    fallback: bool  # `text` is not in the language asked for


def current_language(language: str | None = None) -> str:
    """`language`, else the active one, as one of LANGUAGES (Russian when unknown)."""
    lang = (language or get_language() or "ru")[:2].lower()
    return lang if lang in FALLBACKS else "ru"


def field_name(field: str, language: str) -> str:
    """The attribute holding `field` in `language` (the registered name is the English one)."""
    return field if language == "en" else f"{field}_{language}"


def _value(obj: Any, name: str) -> str:
    value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
    return str(value).strip() if value else ""


def local_name(obj: Any, field: str, language: str | None = None) -> LocalName:
    """`obj`'s `field` (trade_name, inn, dosage_form) in `language` or the active language."""
    asked = current_language(language)
    for lang in FALLBACKS[asked]:
        text = _value(obj, field_name(field, lang))
        if text:
            return LocalName(text, lang, lang != asked)
    return LocalName("", asked, False)


def local_text(obj: Any, field: str, language: str | None = None) -> str:
    return local_name(obj, field, language).text


def product_title(obj: Any, language: str | None = None, *, with_form: bool = True) -> str:
    """ "Trade name strength dosage form" in the language, as plain text (labels, PDFs, CSV)."""
    parts = [local_text(obj, "trade_name", language), _value(obj, "strength")]
    if with_form:
        parts.append(local_text(obj, "dosage_form", language))
    return " ".join(p for p in parts if p)


def all_names(obj: Any) -> dict[str, dict[str, str]]:
    """Every name in every language, as stored (blank where missing): for the API."""
    return {lang: {f: _value(obj, field_name(f, lang)) for f in NAMED_FIELDS} for lang in LANGUAGES}
