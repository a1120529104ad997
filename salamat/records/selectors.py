"""Reads of the record. No access decision here: callers decide first (`salamat.records.access`).

One patient's current data is one range scan of the index (patient, type, effective, id);
pages continue by keyset (the last row's effective date and id), never by OFFSET.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from salamat.core.prepared import (
    bind,
    built_once,
    instance_from_row,
    placeholder_datetime,
    placeholder_int,
    placeholder_str,
    placeholder_uuid,
    run_prepared,
)
from salamat.records.errors import refuse
from salamat.records.models import Document, Patient, RecordAccess, Resource, ResourceType, ResourceVersion
from salamat.records.services.patients import SID_TEMPORARY
from salamat.sickleave import selectors as sick_leave_selectors
from salamat.sickleave.fhir import SID_PIN, for_compositions
from salamat.sickleave.models import SickLeave

DEFAULT_COUNT = 50
MAX_COUNT = 200
_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le")


# --- patients --------------------------------------------------------------------------------


def parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def patient_get(*, external_id: str) -> Patient | None:
    """The patient with this FHIR id, or None."""
    pk = parse_uuid(external_id)
    return Patient.objects.select_related("replaced_by").filter(external_id=pk).first() if pk else None


# Placeholders of the queries built once (`salamat.core.prepared`): the reads clinics' software
# calls most ($summary, a patient's search) are planned once, not per request.
_S_UUID = placeholder_uuid(1)
_S_PATIENT = placeholder_int(1)
_S_ORG = placeholder_int(2)
_S_SINCE = placeholder_datetime(1)
_S_TYPE = placeholder_str(1)


def _s_category(i: int) -> str:
    return placeholder_str(100 + i)


def _patient_read_query(pk, organization, since) -> QuerySet:
    from salamat.records.access import treating_annotation

    extra: dict[str, Any] = {
        "has_replaces": Exists(Patient.objects.filter(replaced_by=OuterRef("pk"))),
        "has_sick_leaves": Exists(SickLeave.objects.filter(patient_pin=OuterRef("pin"))),
    }
    if organization is not None:
        extra |= treating_annotation(organization=organization, since=since)
    return Patient.objects.annotate(**extra).filter(external_id=pk)


_PATIENT_FIELDS = tuple(f.attname for f in Patient._meta.concrete_fields)


def patient_for_read(*, external_id: str, organization=None) -> Patient | None:
    """The patient with this FHIR id for a read of their record, or None: one query that also
    fetches what the access decision and the answer need (whether `organization` treats the
    patient, whether anything was linked to them, whether they have sick leaves)."""
    from salamat.records.access import treating_since

    pk = parse_uuid(external_id)
    if pk is None:
        return None
    since = treating_since()
    if connection.vendor != "postgresql":
        return _patient_read_query(pk, organization, since).first()
    treating = organization is not None
    names = ("has_replaces", "has_sick_leaves", *(("treating_org_pk", "treating") if treating else ()))
    sql, params = built_once(
        ("patient_for_read", treating),
        lambda: _patient_read_query(_S_UUID, _S_ORG if treating else None, _S_SINCE).values_list(
            *_PATIENT_FIELDS, *names
        )[:1],
    )
    org_pk = organization.pk if treating else None
    rows = run_prepared(sql, bind(params, {_S_UUID: pk, _S_ORG: org_pk, _S_SINCE: since}))
    if not rows:
        return None
    values = rows[0]
    patient = instance_from_row(Patient, _PATIENT_FIELDS, values[: len(_PATIENT_FIELDS)])
    for name, value in zip(names, values[len(_PATIENT_FIELDS) :], strict=True):
        setattr(patient, name, value)
    return patient


def patient_by_identifier(*, system: str, value: str) -> Patient | None:
    """The patient with this PIN or temporary identifier (no registry look-up), or None."""
    value = (value or "").strip()
    if system in (SID_PIN, "") and len(value) == 14 and value.isdigit():
        return Patient.objects.filter(pin=value).first()
    if system in (SID_TEMPORARY, ""):
        return Patient.objects.filter(temporary_id=value).first()
    return None


def patients_by_name(*, family: str, given: str = "", birth_date: date) -> QuerySet[Patient]:
    """Patients with this family name (and given name, if any) born on `birth_date`."""
    qs = Patient.objects.filter(family_name__iexact=family.strip(), birth_date=birth_date)
    if given.strip():
        qs = qs.filter(given_name__iexact=given.strip())
    return qs.select_related("replaced_by").order_by("id")


# --- search ----------------------------------------------------------------------------------


@dataclass
class SearchQuery:
    """The parsed search parameters of one FHIR search on one resource type."""

    resource_type: str
    patient: Patient
    effective: list[Q] = field(default_factory=list)
    last_updated: list[Q] = field(default_factory=list)
    codes: list[tuple[str, str]] = field(default_factory=list)  # (system or "", code)
    statuses: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    count: int = DEFAULT_COUNT
    after: tuple[datetime, int] | None = None  # keyset: the last row of the previous page


def date_range(value: str) -> tuple[datetime, datetime]:
    """The instant range a FHIR date of any precision covers: [start, end)."""
    text = value.strip()
    try:
        if "T" in text:
            start = datetime.fromisoformat(text.replace("Z", "+00:00"))
            start = start if timezone.is_aware(start) else timezone.make_aware(start)
            return start, start + timedelta(seconds=1)
        parts = [int(p) for p in text.split("-")]
        if len(parts) == 1:
            first, last = date(parts[0], 1, 1), date(parts[0] + 1, 1, 1)
        elif len(parts) == 2:
            first = date(parts[0], parts[1], 1)
            last = first + timedelta(days=calendar.monthrange(parts[0], parts[1])[1])
        elif len(parts) == 3:
            first = date(parts[0], parts[1], parts[2])
            last = first + timedelta(days=1)
        else:
            raise ValueError(text)
    except (ValueError, OverflowError):
        raise refuse(
            "search_date_invalid", _("A date parameter looks like ge2024-05-01."), status=400, issue="invalid"
        ) from None
    return timezone.make_aware(datetime.combine(first, time.min)), timezone.make_aware(
        datetime.combine(last, time.min)
    )


def date_filter(column: str, raw: str) -> Q:
    """`date=ge2024-01-01` and friends as a filter on `column`."""
    prefix, value = (raw[:2], raw[2:]) if raw[:2] in _PREFIXES else ("eq", raw)
    start, end = date_range(value)
    return {
        "eq": Q(**{f"{column}__gte": start, f"{column}__lt": end}),
        "ne": ~Q(**{f"{column}__gte": start, f"{column}__lt": end}),
        "gt": Q(**{f"{column}__gte": end}),
        "ge": Q(**{f"{column}__gte": start}),
        "lt": Q(**{f"{column}__lt": start}),
        "le": Q(**{f"{column}__lt": end}),
    }[prefix]


def encode_cursor(row: Resource) -> str:
    return base64.urlsafe_b64encode(f"{row.effective.isoformat()}|{row.pk}".encode()).decode().rstrip("=")


def decode_cursor(value: str) -> tuple[datetime, int]:
    try:
        text = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        when, _sep, pk = text.rpartition("|")
        return datetime.fromisoformat(when), int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise refuse(
            "cursor_invalid",
            _("The page cursor is not valid; start again from the first page."),
            status=400,
            issue="invalid",
        ) from None


class ResourceRow(NamedTuple):
    """A stored resource as read for an answer: the searched columns and the stored JSON as text
    (answered as is: never parsed and serialised again)."""

    pk: int
    resource_type: str
    external_id: uuid.UUID
    status: str
    category: str
    effective: datetime
    body_text: str
    # small parts of the body for the summary's narrative, as read (JSON text on PostgreSQL;
    # parsed only for the rows the narrative names): the candidate concepts and the value
    concepts: tuple = ()
    quantity_json: Any = None
    ref: str = ""  # "Type/id", made once

    @property
    def reference(self) -> str:
        return self.ref or f"{self.resource_type}/{self.external_id}"

    @property
    def concept(self) -> Any:
        """The first of the body's concepts present (code, medication, vaccine), parsed."""
        return next((c for c in map(_json, self.concepts) if c), None)

    @property
    def quantity(self) -> Any:
        return _json(self.quantity_json)

    @property
    def body(self) -> dict[str, Any]:
        return json.loads(self.body_text)


_ROW_COLUMNS = ("pk", "resource_type", "external_id", "status", "category", "effective", "body")
# The summary's narrative names each item by one of these (the first present) and its value.
_CONCEPTS = ("body__code", "body__medicationCodeableConcept", "body__vaccineCode", "body__valueQuantity")


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _log_insert(log) -> tuple[str, list]:
    """The INSERT of the unsaved access-log row `log`: (SQL, values); table and column names
    from the model's meta, every value a bound parameter."""
    fields = [f for f in log._meta.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(f.pre_save(log, True), connection) for f in fields]
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        connection.ops.quote_name(log._meta.db_table),
        ", ".join(connection.ops.quote_name(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    return sql, values


def _logged_rows(log, qs: QuerySet, columns: tuple[str, ...]) -> list[tuple]:
    """`qs.values_list(*columns)` as plain tuples, the JSON columns as text on PostgreSQL; and
    `log` (an unsaved access-log row, or None) stored in the same round trip: on PostgreSQL the
    INSERT and the SELECT go as one multi-statement call (client-side binding)."""
    qs = qs.values_list(*columns)
    if connection.vendor != "postgresql":
        if log is not None:
            log.save(force_insert=True)
        return [tuple(row) for row in qs]
    select_sql, select_params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        if log is None:
            cursor.execute(select_sql, select_params)
            return cursor.fetchall()
        insert_sql, values = _log_insert(log)
        cursor.execute(f"{insert_sql}; {select_sql}", [*values, *select_params])
        cursor.nextset()
        return cursor.fetchall()


def _logged_rows_built(log, key: tuple, build, request_values: dict) -> list[tuple]:
    """`_logged_rows` of a query built once (PostgreSQL; `build()`: the query with placeholder
    values, `request_values`: this request's values in their place): the access-log row's INSERT and the SELECT are one
    prepared statement (the INSERT in a WITH clause, which PostgreSQL always runs to the end)."""
    select_sql, select_params = built_once(key, build)
    params = bind(select_params, request_values)
    if log is None:
        return run_prepared(select_sql, params)
    insert_sql, values = _log_insert(log)
    return run_prepared(f"WITH logged AS ({insert_sql} RETURNING 1) {select_sql}", [*values, *params])


def _row(values: tuple, extra: int = 0) -> ResourceRow:
    pk, rtype, ext, status, category, effective, body = values[:7]
    if not isinstance(body, str):
        body = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    if not isinstance(ext, uuid.UUID):
        ext = uuid.UUID(str(ext))
    ref = f"{rtype}/{ext}"
    if not extra:
        return ResourceRow(pk, rtype, ext, status, category, effective, body, ref=ref)
    return ResourceRow(
        pk, rtype, ext, status, category, effective, body, tuple(values[7:10]), values[10], ref
    )


def _simple_search(patient_pk, resource_type, categories, count: int) -> QuerySet:
    qs = Resource.objects.filter(patient_id=patient_pk, resource_type=resource_type)
    if categories:
        qs = qs.filter(category__in=categories)
    return qs.order_by("-effective", "-pk").values_list(*_ROW_COLUMNS)[: count + 1]


def resources_search(query: SearchQuery, *, log=None) -> tuple[list[ResourceRow], str | None]:
    """One page of the patient's current resources of a type, newest first, and the next cursor.
    `log`: the access-log row of this read, stored with it (see `access_check(log_with_read=...)`)."""
    simple = not (query.effective or query.last_updated or query.codes or query.statuses or query.after)
    if simple and connection.vendor == "postgresql" and len(query.categories) <= 4:
        # the common search (patient, type, perhaps a category): built once
        n = len(set(query.categories))
        placeholders = [_s_category(i) for i in range(n)]
        values = {_S_PATIENT: query.patient.pk, _S_TYPE: query.resource_type}
        values |= dict(zip(placeholders, sorted(set(query.categories)), strict=True))
        found = _logged_rows_built(
            log,
            ("search", n, query.count),
            lambda: _simple_search(_S_PATIENT, _S_TYPE, placeholders, query.count),
            values,
        )
        rows = [_row(r) for r in found]
        following = encode_cursor(rows[query.count - 1]) if len(rows) > query.count else None
        return rows[: query.count], following
    qs = Resource.objects.filter(patient=query.patient, resource_type=query.resource_type)
    for condition in query.effective:
        qs = qs.filter(condition)
    for condition in query.last_updated:
        qs = qs.filter(condition)
    if query.codes:
        any_code = Q()
        for system, code in query.codes:
            any_code |= Q(code=code, code_system=system) if system else Q(code=code)
        qs = qs.filter(any_code)
    if query.statuses:
        qs = qs.filter(status__in=query.statuses)
    if query.categories:
        qs = qs.filter(category__in=query.categories)
    if query.after is not None:
        when, pk = query.after
        qs = qs.filter(Q(effective__lt=when) | Q(effective=when, pk__lt=pk))
    ordered = qs.order_by("-effective", "-pk")[: query.count + 1]
    rows = [_row(r) for r in _logged_rows(log, ordered, _ROW_COLUMNS)]
    following = encode_cursor(rows[query.count - 1]) if len(rows) > query.count else None
    return rows[: query.count], following


def resource_get(*, resource_type: str, external_id: str) -> Resource | None:
    pk = parse_uuid(external_id)
    if pk is None:
        return None
    return (
        Resource.objects.select_related("patient").filter(resource_type=resource_type, external_id=pk).first()
    )


def resource_of_patient(*, patient: Patient, external_id) -> Resource | None:
    """One of the patient's resources by its FHIR id, or None."""
    pk = parse_uuid(str(external_id))
    return Resource.objects.filter(patient=patient, external_id=pk).first() if pk else None


def resource_version(*, resource: Resource, version_id: int) -> ResourceVersion | None:
    return ResourceVersion.objects.filter(resource=resource, version_id=version_id).first()


def resource_history(*, resource: Resource) -> list[ResourceVersion]:
    """Every version of the resource, newest first."""
    return list(ResourceVersion.objects.filter(resource=resource).order_by("-version_id"))


def resources_by_references(refs: set[str]) -> list[Resource]:
    """The current resources named by 'Type/id' references (for _include), one query."""
    ids = [pk for pk in (parse_uuid(r.partition("/")[2]) for r in refs) if pk]
    return list(Resource.objects.filter(external_id__in=ids)) if ids else []


def patient_record_rows(*, patient: Patient, log=None) -> list[ResourceRow]:
    """`patient_record` as `ResourceRow`s with the summary's narrative parts, in one query that
    also stores `log` (the read's access-log row)."""
    columns = _ROW_COLUMNS + _CONCEPTS

    def build(pk=_S_PATIENT) -> QuerySet:
        return Resource.objects.filter(patient_id=pk).order_by("resource_type", "-effective", "-pk")

    if connection.vendor == "postgresql":
        found = _logged_rows_built(
            log, ("record", columns), lambda: build().values_list(*columns), {_S_PATIENT: patient.pk}
        )
    else:
        found = _logged_rows(log, build(patient.pk), columns)
    return [_row(r, extra=4) for r in found]


def patient_record(*, patient: Patient) -> list[Resource]:
    """Every current resource of the patient (one range scan), oldest type first, newest date first."""
    return list(Resource.objects.filter(patient=patient).order_by("resource_type", "-effective", "-pk"))


def patient_resources_of_type(*, patient: Patient, resource_type: str) -> QuerySet[Resource]:
    return Resource.objects.filter(patient=patient, resource_type=resource_type).order_by("-effective", "-pk")


def encounter_resources(*, encounter: Resource) -> QuerySet[Resource]:
    """What was recorded during an encounter (diagnoses, prescriptions, results...)."""
    return Resource.objects.filter(patient_id=encounter.patient_id, encounter=encounter).order_by(
        "resource_type", "pk"
    )


def encounter_recorded_by(encounter: uuid.UUID, patient_pin: str, organization_id: int) -> bool:
    """Whether that organisation recorded that visit of the person with that PIN (not in error).
    Installed into sick leave (`salamat.sickleave.links`) to check the visit a certificate names."""
    return (
        Resource.objects.filter(
            external_id=encounter,
            resource_type=ResourceType.ENCOUNTER,
            organization_id=organization_id,
            patient__pin=patient_pin,
        )
        .exclude(status="entered-in-error")
        .exists()
    )


def document_get(*, external_id: str) -> Document | None:
    pk = parse_uuid(external_id)
    return Document.objects.select_related("patient").filter(external_id=pk).first() if pk else None


def sick_leaves_of_patient(*, patient: Patient) -> list[SickLeave]:
    """The patient's sick leaves (from the sick-leave module), newest first; none without a PIN."""
    if not patient.pin or getattr(patient, "has_sick_leaves", True) is False:
        return []
    return list(for_compositions(sick_leave_selectors.sick_leaves_of_person(pin=patient.pin)))


def accesses_of_patient(*, patient: Patient, limit: int = 200) -> QuerySet[RecordAccess]:
    """Who read (or tried to read) the patient's record, newest first (the patient's "who looked")."""
    return (
        RecordAccess.objects.filter(patient=patient)
        .select_related("actor_user", "actor_client", "organization")
        .order_by("-created_at", "-id")[:limit]
    )


CLINICAL_TYPES = tuple(ResourceType.values)
