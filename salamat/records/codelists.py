"""The code lists the record checks codes against (ICD-10, vaccines, local laboratory codes).

The lists are data (`CodeSystem`, `Concept`), loaded from the ministry's CSV files by
``manage.py load_code_system``; the repository carries small samples (`codelists/*-sample.csv`)
that migration 0003 loads so that tests and the quick start have them.

A title missing in the page's language falls back *visibly*: ``"[en] Essential hypertension"``
says which language the reader is given instead, never silently a text in another language.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import get_language

from salamat.records.models import CodeSystem, Concept
from salamat.sickleave.fhir import ICD10

SAMPLES_DIR = Path(__file__).resolve().parent / "codelists"

# Placeholders until the ministry registers national system URIs: change here only.
VACCINE = "https://salamat.example/fhir/CodeSystem/vaccine"
LOCAL_LAB = "https://salamat.example/fhir/CodeSystem/lab"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"


@dataclass(frozen=True)
class KnownSystem:
    slug: str
    uri: str
    name: str
    sample: str  # the sample file's name under codelists/


KNOWN_SYSTEMS: dict[str, KnownSystem] = {
    s.slug: s
    for s in (
        KnownSystem("icd10", ICD10, "ICD-10", "icd10-sample.csv"),
        KnownSystem("vaccine", VACCINE, "Vaccines", "vaccine-sample.csv"),
        KnownSystem("lab", LOCAL_LAB, "Local laboratory codes", "lab-sample.csv"),
    )
}
BY_URI = {s.uri: s for s in KNOWN_SYSTEMS.values()}

_LANGUAGES = ("ru", "ky", "en")
# When the wanted title is missing, the first present of these is shown (marked).
_FALLBACK_ORDER = {"ru": ("en", "ky"), "ky": ("ru", "en"), "en": ("ru", "ky")}


def normalise_code(system_uri: str, code: str) -> str:
    """The code as the list writes it (ICD-10: upper case, dot after 3 characters: J069 -> J06.9)."""
    code = (code or "").strip()
    if system_uri == ICD10:
        code = code.upper()
        if len(code) > 3 and "." not in code:
            code = f"{code[:3]}.{code[3:]}"
    return code


# Checked codes, per process: lists change rarely, and a visit repeats the same few codes.
# A load in this process clears it; other processes see a newly loaded list within the TTL.
_CACHE_TTL_SECONDS = 300
_cache: dict[tuple[str, str], tuple[float, Concept | None]] = {}


def concept_cache_clear() -> None:
    _cache.clear()


def concept_get(*, system_uri: str, code: str) -> Concept | None:
    """The active concept `code` of the list `system_uri`, or None."""
    key = (system_uri, normalise_code(system_uri, code))
    now = time.monotonic()
    hit = _cache.get(key)
    if hit is not None and now - hit[0] < _CACHE_TTL_SECONDS:
        return hit[1]
    concept = (
        Concept.objects.filter(system__uri=key[0], code=key[1], active=True).select_related("system").first()
    )
    if len(_cache) > 50_000:
        _cache.clear()
    _cache[key] = (now, concept)
    return concept


def concepts_existing(*, system_uri: str, codes: set[str]) -> set[str]:
    """Which of `codes` (already normalised) are active in the list (one query)."""
    if not codes:
        return set()
    return set(
        Concept.objects.filter(system__uri=system_uri, code__in=codes, active=True).values_list(
            "code", flat=True
        )
    )


def concept_title(concept: Concept, language: str | None = None) -> str:
    """The concept's title in `language` (default: the active one), else a marked fallback."""
    language = (language or get_language() or "ru")[:2]
    if language not in _LANGUAGES:
        language = "ru"
    own = getattr(concept, f"title_{language}")
    if own:
        return own
    for other in _FALLBACK_ORDER[language]:
        text = getattr(concept, f"title_{other}")
        if text:
            return f"[{other}] {text}"
    return f"[{concept.code}]"


def concept_search(
    *, system_uri: str, text: str, language: str | None = None, limit: int = 10
) -> list[Concept]:
    """Concepts whose code starts with `text`, else whose title (in the language) contains it."""
    text = (text or "").strip()
    if not text:
        return []
    qs = Concept.objects.filter(system__uri=system_uri, active=True)
    by_code = list(qs.filter(code__istartswith=normalise_code(system_uri, text)).order_by("code")[:limit])
    if by_code:
        return by_code
    language = (language or get_language() or "ru")[:2]
    field = f"title_{language if language in _LANGUAGES else 'ru'}__icontains"
    return list(qs.filter(**{field: text}).order_by("code")[:limit])


def code_system_known(uri: str) -> bool:
    return CodeSystem.objects.filter(uri=uri).exists()
