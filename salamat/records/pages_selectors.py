"""Reads the record's web pages need beyond `salamat.records.selectors` (no access decision here:
the pages decide first through `salamat.records.access`).

The whole of one patient's current record is still one range scan of the patient index; the
clinic and the practitioner come with it (one join each), and the code lists' titles of
everything shown come in one query per list.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import QuerySet

from salamat.records import selectors
from salamat.records.codelists import VACCINE
from salamat.records.models import Concept, Patient, Resource
from salamat.registry import selectors as registry_selectors
from salamat.registry.models import Organization, Product


def record_rows(*, patient: Patient) -> list[Resource]:
    """Every current resource of the patient with its clinic and recorder, newest first."""
    return list(
        Resource.objects.filter(patient=patient)
        .select_related("organization", "recorded_by")
        .order_by("-effective", "-pk")
    )


def concepts_for(pairs: set[tuple[str, str]]) -> dict[tuple[str, str], Concept]:
    """The concepts named by (system uri, code) pairs, one query per code list."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for system, code in pairs:
        if system and code:
            wanted[system].add(code)
    found: dict[tuple[str, str], Concept] = {}
    for system, codes in wanted.items():
        for concept in Concept.objects.filter(system__uri=system, code__in=codes).select_related("system"):
            found[(system, concept.code)] = concept
    return found


def vaccines() -> QuerySet[Concept]:
    """The active vaccine list, for the visit form's choice."""
    return Concept.objects.filter(system__uri=VACCINE, active=True).order_by("code")


def products_matching(text: str, limit: int = 8) -> list[Product]:
    """Registered medicines whose trade name, INN or registration number match `text`."""
    text = (text or "").strip()
    if len(text) < 2:
        return []
    return list(registry_selectors.product_search(q=text)[:limit])


def product_by_registration(number: str) -> Product | None:
    return Product.objects.filter(registration_number=number).first() if number else None


def organizations_by_id(ids: set[int]) -> dict[int, Organization]:
    return {o.pk: o for o in Organization.objects.filter(pk__in=ids)} if ids else {}


def patient_by_pin(pin: str) -> Patient | None:
    """The patient with this PIN in the index (no registry look-up), or None."""
    return selectors.patient_by_identifier(system="", value=pin) if pin else None
