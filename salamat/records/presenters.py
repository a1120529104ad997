"""What the record's pages show: the stored FHIR resources turned into plain rows in the page's
language (code titles from the code lists), the summary at a glance, the results' trends and
the timeline of encounters. Pure shaping: no access decision and no write here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salamat.records import pages_selectors
from salamat.records.codelists import LOCAL_LAB, LOINC, VACCINE, concept_title
from salamat.records.models import Patient, Resource, ResourceType
from salamat.records.services.profiles import json_get
from salamat.sickleave.fhir import ICD10
from salamat.sickleave.models import SickLeave

# The visit note the browser form records (an extension on the Encounter).
SD_VISIT_NOTE = "https://salamat.example/fhir/StructureDefinition/encounter-note"

ENCOUNTER_CLASSES = {
    "AMB": _("Outpatient visit"),
    "EMER": _("Emergency"),
    "HH": _("Home visit"),
    "IMP": _("Hospital stay"),
}

# Vital signs the visit form records: LOINC code -> (title, UCUM unit). The blood pressure is
# one Observation (85354-9) with the systolic and diastolic components.
BP_PANEL = "85354-9"
VITALS: dict[str, tuple[Any, str]] = {
    "8480-6": (_("Blood pressure, systolic"), "mm[Hg]"),
    "8462-4": (_("Blood pressure, diastolic"), "mm[Hg]"),
    "8867-4": (_("Pulse"), "/min"),
    "8310-5": (_("Body temperature"), "Cel"),
    "29463-7": (_("Body weight"), "kg"),
    "8302-2": (_("Body height"), "cm"),
}
UNIT_LABELS = {"mm[Hg]": _("mm Hg"), "/min": _("/min"), "Cel": "°C", "kg": _("kg"), "cm": _("cm")}
# Laboratory LOINC codes the demo data uses, titled when the submitter sent no display.
LOINC_TITLES: dict[str, Any] = {
    "718-7": _("Haemoglobin"),
    "2345-7": _("Glucose"),
    "2093-3": _("Total cholesterol"),
    "4548-4": _("HbA1c"),
    "2160-0": _("Creatinine"),
    BP_PANEL: _("Blood pressure"),
}
CRITICALITY = {"high": _("high risk"), "low": _("low risk"), "unable-to-assess": _("risk unknown")}
ALLERGY_CATEGORIES = {
    "medication": _("medication"),
    "food": _("food"),
    "environment": _("environment"),
    "biologic": _("biologic"),
}
# Statuses that take an item off the summary (it stays in the timeline).
_GONE = {"entered-in-error"}
_INACTIVE = {"inactive", "resolved", "remission", "stopped", "completed", "cancelled", "revoked", "ended"}
# The order of what a visit recorded on the page.
_VISIT_ORDER = {
    ResourceType.CONDITION: 0,
    ResourceType.ALLERGY: 1,
    ResourceType.MEDICATION_REQUEST: 2,
    ResourceType.MEDICATION_STATEMENT: 3,
    ResourceType.IMMUNIZATION: 4,
    ResourceType.PROCEDURE: 5,
    ResourceType.OBSERVATION: 6,
    ResourceType.DOCUMENT: 7,
}
_OPEN_ENCOUNTER = {"planned", "arrived", "triaged", "in-progress", "onleave"}


@dataclass
class Item:
    """One clinical item as a line of the page."""

    row: Resource
    kind: str
    title: str
    code: str = ""
    detail: str = ""
    critical: bool = False

    @property
    def when(self) -> datetime:
        return self.row.effective

    @property
    def clinic(self) -> str:
        return self.row.organization.name

    @property
    def status(self) -> str:
        return self.row.status

    @property
    def show_code(self) -> bool:
        """Diagnoses carry their ICD-10 code on the page; other codes are noise to a reader."""
        return bool(self.code) and self.kind == ResourceType.CONDITION and self.code not in self.title

    @property
    def is_vital_sign(self) -> bool:
        return self.kind == ResourceType.OBSERVATION and self.row.category == "vital-signs"

    @property
    def recorded_by(self) -> str:
        user = self.row.recorded_by
        return (user.full_name or user.username) if user is not None else ""


@dataclass
class Trend:
    """The values of one measured quantity, oldest first, with the way it last moved."""

    code: str
    title: str
    unit: str
    values: list[tuple[datetime, float, str]] = field(default_factory=list)  # (when, value, text)

    @property
    def last(self) -> tuple[datetime, float, str]:
        return self.values[-1]

    @property
    def previous(self) -> tuple[datetime, float, str] | None:
        return self.values[-2] if len(self.values) > 1 else None

    @property
    def direction(self) -> str:
        """'up', 'down', 'same' or '' (one value only)."""
        if self.previous is None:
            return ""
        delta = self.last[1] - self.previous[1]
        if abs(delta) < 1e-9:
            return "same"
        return "up" if delta > 0 else "down"

    @property
    def arrow(self) -> str:
        return {"up": "↑", "down": "↓", "same": "→"}.get(self.direction, "")

    def sparkline(self, width: int = 96, height: int = 24) -> str:
        """The SVG polyline points of the last values (empty with fewer than two)."""
        values = [v for _w, v, _t in self.values[-12:]]
        if len(values) < 2:
            return ""
        low, high = min(values), max(values)
        span = (high - low) or 1.0
        step = (width - 4) / (len(values) - 1)
        return " ".join(
            f"{2 + i * step:.1f},{height - 2 - (v - low) / span * (height - 4):.1f}"
            for i, v in enumerate(values)
        )


@dataclass
class Visit:
    """One encounter of the timeline with what was recorded during it."""

    item: Item
    klass: str
    class_label: str
    reason: str
    note: str
    end: datetime | None
    items: list[Item] = field(default_factory=list)
    sick_leaves: list[SickLeave] = field(default_factory=list)

    @property
    def diagnoses(self) -> list[Item]:
        return [i for i in self.items if i.kind == ResourceType.CONDITION]

    @property
    def details(self) -> list[Item]:
        """What was recorded, diagnoses first, the vital signs left for `vitals`."""
        return [i for i in self.items if not i.is_vital_sign]

    @property
    def vitals(self) -> str:
        """The vital signs on one line: 'Blood pressure 132/84 mm Hg · Pulse 76 /min'."""
        return " · ".join(f"{i.title} {i.detail}" for i in self.items if i.is_vital_sign and i.detail)

    @property
    def is_open(self) -> bool:
        return self.item.status in _OPEN_ENCOUNTER

    def of_kind(self, kind: str) -> list[Item]:
        return [i for i in self.items if i.kind == kind]


@dataclass
class RecordView:
    patient: Patient
    allergies: list[Item]
    problems: list[Item]
    medications: list[Item]
    vaccinations: list[Item]
    trends: list[Trend]
    visits: list[Visit]
    documents: list[Item]
    results: list[Item]
    diagnoses: list[Item]
    loose_sick_leaves: list[SickLeave]
    clinics: list[tuple[int, str]]

    @property
    def is_empty(self) -> bool:
        return not (self.visits or self.allergies or self.problems or self.medications or self.vaccinations)


# --- one item -----------------------------------------------------------------------------------


def _codings(concept: Any) -> list[dict]:
    codings = json_get(concept, "coding")
    return [c for c in codings if isinstance(c, dict)] if isinstance(codings, list) else []


def _concept_of(row: Resource) -> Any:
    body = row.body
    return (
        body.get("code")
        or body.get("medicationCodeableConcept")
        or body.get("vaccineCode")
        or body.get("type")
        or {}
    )


def _number(value: Any) -> float | None:
    try:
        return float(Decimal(str(value)))
    except (InvalidOperation, ValueError, TypeError):
        return None


def format_quantity(quantity: Any) -> str:
    """'36.6 °C' from a FHIR Quantity."""
    if not isinstance(quantity, dict) or "value" not in quantity:
        return ""
    value = quantity["value"]
    number = _number(value)
    text = f"{number:g}" if number is not None else str(value)
    unit = UNIT_LABELS.get(quantity.get("code", ""), quantity.get("unit") or quantity.get("code") or "")
    return f"{text} {unit}".strip()


class Titles:
    """Titles of coded items in the page's language, from the code lists (loaded once per page)."""

    def __init__(self, rows: list[Resource]):
        pairs: set[tuple[str, str]] = set()
        for row in rows:
            for coding in _codings(_concept_of(row)):
                pairs.add((str(coding.get("system", "")), str(coding.get("code", ""))))
        self.concepts = pages_selectors.concepts_for(pairs)

    def of_coding(self, coding: dict) -> str:
        system, code = str(coding.get("system", "")), str(coding.get("code", ""))
        concept = self.concepts.get((system, code))
        if concept is not None:
            return concept_title(concept)
        if system == LOINC:
            if code in VITALS:
                return str(VITALS[code][0])
            if code in LOINC_TITLES:
                return str(LOINC_TITLES[code])
        return str(coding.get("display") or "")

    def of_concept(self, concept: Any) -> tuple[str, str]:
        """(title, code) of a CodeableConcept: the list's title first, then the text, then the display."""
        codings = _codings(concept)
        preferred = [c for c in codings if c.get("system") in (ICD10, VACCINE, LOCAL_LAB)] + codings
        for coding in preferred:
            title = self.of_coding(coding)
            if title:
                return title, str(coding.get("code", ""))
        text = json_get(concept, "text") or ""
        code = str(codings[0].get("code", "")) if codings else ""
        return str(text or code), code


def present(row: Resource, titles: Titles) -> Item:
    """One stored resource as a line of the page."""
    body = row.body
    title, code = titles.of_concept(_concept_of(row))
    detail, critical = "", False
    kind = row.resource_type
    if kind == ResourceType.ALLERGY:
        title = title or str(json_get(body, "code", "text") or "")
        parts = [str(ALLERGY_CATEGORIES.get(c, c)) for c in body.get("category") or []]
        criticality = body.get("criticality")
        if criticality:
            parts.append(str(CRITICALITY.get(criticality, criticality)))
        reaction = json_get(body, "reaction", 0, "manifestation", 0, "text") or json_get(
            body, "note", 0, "text"
        )
        if reaction:
            parts.append(str(reaction))
        detail, critical = " · ".join(parts), criticality == "high"
    elif kind in (ResourceType.MEDICATION_REQUEST, ResourceType.MEDICATION_STATEMENT):
        detail = str(
            json_get(body, "dosageInstruction", 0, "text") or json_get(body, "dosage", 0, "text") or ""
        )
        if not title:
            title = str(json_get(body, "medicationCodeableConcept", "text") or "")
    elif kind == ResourceType.IMMUNIZATION:
        parts = []
        dose = json_get(body, "protocolApplied", 0, "doseNumberPositiveInt")
        if dose:
            parts.append(str(_("dose %(n)s")) % {"n": dose})
        if body.get("lotNumber"):
            parts.append(str(_("lot %(lot)s")) % {"lot": body["lotNumber"]})
        detail = " · ".join(parts)
    elif kind == ResourceType.OBSERVATION:
        if body.get("valueQuantity"):
            detail = format_quantity(body["valueQuantity"])
        elif body.get("component"):
            values = [format_quantity(c.get("valueQuantity")).split(" ")[0] for c in body["component"]]
            unit = str(UNIT_LABELS.get(json_get(body, "component", 0, "valueQuantity", "code") or "", ""))
            detail = f"{'/'.join(values)} {unit}".strip()
        elif body.get("valueString"):
            detail = str(body["valueString"])
        interpretation = json_get(body, "interpretation", 0, "coding", 0, "code")
        critical = interpretation in ("H", "HH", "L", "LL", "A", "AA")
    elif kind == ResourceType.CONDITION:
        detail = str(json_get(body, "note", 0, "text") or "")
    elif kind == ResourceType.DOCUMENT:
        title = title or str(json_get(body, "description") or _("Document"))
    return Item(row=row, kind=kind, title=title or kind, code=code, detail=detail, critical=critical)


# --- the whole record ---------------------------------------------------------------------------


def _series(item: Item) -> list[tuple[str, str, str, float, str]]:
    """(code, title, unit, value, text) of each number an observation carries."""
    body = item.row.body
    out = []
    quantity = body.get("valueQuantity")
    if isinstance(quantity, dict) and _number(quantity.get("value")) is not None:
        out.append(
            (
                item.code,
                item.title,
                str(
                    UNIT_LABELS.get(
                        quantity.get("code", ""), quantity.get("unit") or quantity.get("code", "")
                    )
                ),
                _number(quantity["value"]),
                format_quantity(quantity),
            )
        )
    for component in body.get("component") or []:
        q = component.get("valueQuantity") or {}
        coding = (_codings(component.get("code")) or [{}])[0]
        code = str(coding.get("code", ""))
        value = _number(q.get("value"))
        if value is None:
            continue
        title = str(VITALS[code][0]) if code in VITALS else str(coding.get("display") or code)
        out.append(
            (
                code,
                title,
                str(UNIT_LABELS.get(q.get("code", ""), q.get("unit", ""))),
                value,
                format_quantity(q),
            )
        )
    return out


def _trends(observations: list[Item]) -> list[Trend]:
    trends: dict[str, Trend] = {}
    for item in sorted(observations, key=lambda i: (i.when, i.row.pk)):
        for code, title, unit, value, text in _series(item):
            trend = trends.setdefault(code, Trend(code=code, title=title, unit=unit))
            trend.values.append((item.when, value, text))
    vitals_first = list(VITALS)
    return sorted(
        trends.values(),
        key=lambda t: (vitals_first.index(t.code) if t.code in vitals_first else 99, t.title),
    )


def _local_day(when: datetime) -> date:
    return timezone.localtime(when).date()


def record_view(*, patient: Patient, sick_leaves: list[SickLeave] | None = None) -> RecordView:
    """The patient's record shaped for a page: the summary and the timeline (newest first)."""
    rows = [r for r in pages_selectors.record_rows(patient=patient) if r.status not in _GONE]
    titles = Titles(rows)
    items = [present(r, titles) for r in rows]
    by_kind: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        by_kind[item.kind].append(item)

    problems, seen = [], set()
    for item in by_kind[ResourceType.CONDITION]:
        if item.status in _INACTIVE or item.code in seen:
            continue
        seen.add(item.code)
        problems.append(item)
    allergies = [i for i in by_kind[ResourceType.ALLERGY] if i.status not in _INACTIVE]
    allergies.sort(key=lambda i: not i.critical)
    medications = [
        i
        for kind in (ResourceType.MEDICATION_REQUEST, ResourceType.MEDICATION_STATEMENT)
        for i in by_kind[kind]
        if i.status in ("active", "intended", "on-hold", "")
    ]
    medications.sort(key=lambda i: i.when, reverse=True)
    # The same medicine prescribed again (or by another clinic) is listed once, the latest.
    listed: set[str] = set()
    medications = [
        i for i in medications if not ((i.code or i.title) in listed or listed.add(i.code or i.title))
    ]
    observations = by_kind[ResourceType.OBSERVATION]

    visits: dict[int, Visit] = {}
    for item in by_kind[ResourceType.ENCOUNTER]:
        body = item.row.body
        klass = str(json_get(body, "class", "code") or "")
        end = json_get(body, "period", "end")
        visits[item.row.pk] = Visit(
            item=item,
            klass=klass,
            class_label=str(ENCOUNTER_CLASSES.get(klass, klass)),
            reason=str(json_get(body, "reasonCode", 0, "text") or ""),
            note=next(
                (
                    str(e.get("valueString", ""))
                    for e in body.get("extension") or []
                    if e.get("url") == SD_VISIT_NOTE
                ),
                "",
            ),
            end=datetime.fromisoformat(end) if isinstance(end, str) and "T" in end else None,
        )
    for item in sorted(items, key=lambda i: (_VISIT_ORDER.get(i.kind, 9), i.row.pk)):
        if item.kind != ResourceType.ENCOUNTER and item.row.encounter_id in visits:
            visits[item.row.encounter_id].items.append(item)

    # A sick leave belongs to the visit it was opened from; one opened elsewhere (the sick-leave
    # pages, or before the link existed) to the visit its clinic recorded that day.
    loose = []
    by_id = {v.item.row.external_id: v for v in visits.values()}
    for leave in sick_leaves or []:
        if leave.record_encounter and leave.record_encounter in by_id:
            by_id[leave.record_encounter].sick_leaves.append(leave)
            continue
        day = _local_day(leave.created_at)
        visit = next(
            (
                v
                for v in visits.values()
                if v.item.row.organization_id == leave.organization_id and _local_day(v.item.when) == day
            ),
            None,
        )
        if visit is not None:
            visit.sick_leaves.append(leave)
        else:
            loose.append(leave)

    timeline = sorted(visits.values(), key=lambda v: (v.item.when, v.item.row.pk), reverse=True)
    clinics = sorted({(v.item.row.organization_id, v.item.clinic) for v in timeline}, key=lambda c: c[1])
    return RecordView(
        patient=patient,
        allergies=allergies,
        problems=problems,
        medications=medications,
        vaccinations=by_kind[ResourceType.IMMUNIZATION],
        trends=_trends(observations),
        visits=timeline,
        documents=by_kind[ResourceType.DOCUMENT],
        results=[o for o in observations if o.row.category != "vital-signs"],
        diagnoses=by_kind[ResourceType.CONDITION],
        loose_sick_leaves=loose,
        clinics=clinics,
    )


@dataclass(frozen=True)
class TimelineFilter:
    klass: str = ""
    clinic: int | None = None
    since: date | None = None
    until: date | None = None

    def keep(self, visit: Visit) -> bool:
        day = _local_day(visit.item.when)
        return (
            (not self.klass or visit.klass == self.klass)
            and (self.clinic is None or visit.item.row.organization_id == self.clinic)
            and (self.since is None or day >= self.since)
            and (self.until is None or day <= self.until)
        )

    @property
    def active(self) -> bool:
        return bool(self.klass or self.clinic or self.since or self.until)
