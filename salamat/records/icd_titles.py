"""The sick-leave module's source of translated ICD-10 titles: this module's code list.

Sick leave sits below records, so it cannot read `Concept` itself; records installs this
provider into `salamat.sickleave.icd` at start-up (see `RecordsConfig.ready`)."""

from __future__ import annotations

from salamat.records.models import Concept
from salamat.sickleave.fhir import ICD10

_LANGUAGES = ("ru", "ky", "en")


class CodeListTitles:
    """Titles of ICD-10 codes from the ministry's list (`load_code_system --system icd10`)."""

    def titles(self, codes: list[str], language: str) -> dict[str, str]:
        if language not in _LANGUAGES:
            return {}
        field = f"title_{language}"
        rows = Concept.objects.filter(system__uri=ICD10, code__in=codes, active=True).values_list(
            "code", field
        )
        return {code: title for code, title in rows if title}

    def search(self, text: str, language: str, limit: int) -> list[str]:
        if language not in _LANGUAGES:
            return []
        field = f"title_{language}"
        return list(
            Concept.objects.filter(system__uri=ICD10, active=True, **{f"{field}__ucontains": text})
            .order_by("code")
            .values_list("code", flat=True)[:limit]
        )
