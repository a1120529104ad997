"""Loading a code list the ministry supplies (ICD-10, vaccines, local laboratory codes)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from salamat.core.actors import Actor
from salamat.core.audit import audit_record
from salamat.records.codelist_files import ConceptRow, chunks
from salamat.records.codelists import KNOWN_SYSTEMS, concept_cache_clear
from salamat.records.models import CodeSystem, Concept


@dataclass(frozen=True)
class LoadReport:
    created: int
    updated: int
    deactivated: int


@transaction.atomic
def code_system_load(
    *,
    actor: Actor,
    slug: str,
    rows: list[ConceptRow],
    version: str = "",
    deactivate_missing: bool = False,
    merge_titles: bool = False,
) -> LoadReport:
    """Creates or updates the concepts of list `slug` from `rows`; with `deactivate_missing`,
    codes absent from the file are withdrawn (kept for old records, refused in new ones).
    With `merge_titles`, an empty title in `rows` keeps the title already stored."""
    known = KNOWN_SYSTEMS[slug]
    system, _created = CodeSystem.objects.get_or_create(
        slug=slug, defaults={"uri": known.uri, "name": known.name}
    )
    existing = {c.code: c for c in Concept.objects.filter(system=system)}
    to_create: list[Concept] = []
    to_update: list[Concept] = []
    for row in rows:
        concept = existing.get(row.code)
        if concept is None:
            to_create.append(
                Concept(
                    system=system,
                    code=row.code,
                    title_ru=row.title_ru,
                    title_ky=row.title_ky,
                    title_en=row.title_en,
                    active=row.active,
                )
            )
            continue
        for lang in ("ru", "ky", "en"):
            new = getattr(row, f"title_{lang}")
            if new or not merge_titles:
                setattr(concept, f"title_{lang}", new)
        concept.active = row.active
        to_update.append(concept)
    for batch in chunks(to_create):
        Concept.objects.bulk_create(batch)
    Concept.objects.bulk_update(to_update, ["title_ru", "title_ky", "title_en", "active"], batch_size=1000)
    deactivated = 0
    if deactivate_missing:
        codes = {r.code for r in rows}
        missing = [c.pk for code, c in existing.items() if code not in codes and c.active]
        deactivated = Concept.objects.filter(pk__in=missing).update(active=False)
    system.is_sample = False
    system.version = version or system.version
    system.loaded_at = timezone.now()
    system.save()
    concept_cache_clear()
    transaction.on_commit(concept_cache_clear)
    report = LoadReport(len(to_create), len(to_update), deactivated)
    audit_record(
        actor=actor,
        action="record.code_system_load",
        obj=system,
        changes={"created": report.created, "updated": report.updated, "deactivated": report.deactivated},
    )
    return report
