"""Writing a transaction bundle's new resources in a few statements instead of three per entry.

New resources and their first versions wait here and are inserted together (`flush`), at the
end of the bundle. On PostgreSQL the bundle's primary keys are drawn from the tables' sequences
up front (one query), so an entry can point at a waiting one (its encounter) at once, and the
rows go in by COPY inside the bundle's transaction (constraints and deferred foreign keys are
checked as for any insert); elsewhere by `bulk_create`, flushed early when an entry points at
a waiting one. The business identifiers the bundle names are looked up once, up front."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from django.db import connection, models

from salamat.records.models import Resource, ResourceVersion

IdentifierKey = tuple[str, str, str]  # (resource type, system, value)


@dataclass
class Batch:
    resources: list[Resource] = field(default_factory=list)
    versions: list[ResourceVersion] = field(default_factory=list)
    # identifiers of the waiting resources (a second entry with one is a duplicate)
    waiting: dict[IdentifierKey, Resource] = field(default_factory=dict)
    # identifiers looked up up front, and what the clinic had stored under them
    looked_up: set[IdentifierKey] = field(default_factory=set)
    known: dict[IdentifierKey, Resource] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)  # references, for the bundle's audit row
    # primary keys drawn up front for the bundle's new rows (PostgreSQL), used in order
    resource_ids: list[int] = field(default_factory=list)
    version_ids: list[int] = field(default_factory=list)

    def reserve(self, n: int) -> None:
        """Draws `n` primary keys for resources and for versions, in one query (PostgreSQL)."""
        if connection.vendor != "postgresql" or n <= 0:
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')), nextval(pg_get_serial_sequence(%s, 'id')) "
                "FROM generate_series(1, %s)",
                [Resource._meta.db_table, ResourceVersion._meta.db_table, n],
            )
            rows = cursor.fetchall()
        self.resource_ids = [r[0] for r in reversed(rows)]
        self.version_ids = [r[1] for r in reversed(rows)]

    def add(self, resource: Resource, version: ResourceVersion) -> None:
        if self.resource_ids and self.version_ids:
            resource.pk = self.resource_ids.pop()
            version.pk = self.version_ids.pop()
            version.resource = resource
        self.resources.append(resource)
        self.versions.append(version)
        if resource.identifier_value:
            self.waiting[(resource.resource_type, resource.identifier_system, resource.identifier_value)] = (
                resource
            )
        self.created.append(resource.reference)

    def flush(self) -> None:
        """Inserts the waiting resources, then their versions (two statements)."""
        if not self.resources:
            return
        if all(r.pk is not None for r in self.resources) and all(v.pk is not None for v in self.versions):
            dumped: dict[int, str] = {}  # a new resource's body and its first version's: one text
            _copy(Resource, self.resources, dumped)
            _copy(ResourceVersion, self.versions, dumped)
            for row in (*self.resources, *self.versions):
                row._state.adding, row._state.db = False, connection.alias
            self.resources, self.versions = [], []
            return
        Resource.objects.bulk_create(self.resources, batch_size=500)
        for version in self.versions:
            version.resource = version.resource  # takes the primary key the insert gave
        ResourceVersion.objects.bulk_create(self.versions, batch_size=500)
        self.resources, self.versions = [], []

    def prefetch(self, *, organization, keys: set[IdentifierKey]) -> None:
        """Looks up, in one query, which of `keys` the clinic already stored."""
        keys = {k for k in keys if k[2]}
        if not keys:
            return
        rows = Resource.objects.filter(
            organization=organization,
            resource_type__in={k[0] for k in keys},
            identifier_value__in={k[2] for k in keys},
        ).exclude(identifier_value="")
        for row in rows:
            key = (row.resource_type, row.identifier_system, row.identifier_value)
            if key in keys:
                self.known[key] = row
        self.looked_up |= keys

    def lookup(self, key: IdentifierKey) -> tuple[bool, Resource | None]:
        """(answered, row): whether the up-front look-up (or this bundle) answers `key`, and with what."""
        if key in self.waiting:
            return True, self.waiting[key]
        if key in self.looked_up:
            return True, self.known.get(key)
        return False, None


_PLAIN = (models.AutoField, models.IntegerField, models.CharField, models.UUIDField, models.ForeignKey)


def _column_plan(model: type[models.Model]) -> list[tuple[models.Field, str]]:
    """How `_copy` takes each column's value: "plain" (the attribute as it is: psycopg adapts
    ints, text, UUIDs and datetimes itself), "json" (dumped once, see `_copy`), or "field" (the
    field prepares it, as an insert would: defaults set on save, auto_now...)."""
    plan = []
    for f in model._meta.concrete_fields:
        if isinstance(f, models.JSONField):
            kind = "json"
        elif isinstance(f, _PLAIN) or (
            type(f) is models.DateTimeField and not (f.auto_now or f.auto_now_add)
        ):
            kind = "plain"
        else:
            kind = "field"
        plan.append((f, kind))
    return plan


_plans: dict[type[models.Model], list[tuple[models.Field, str]]] = {}


def _copy(model: type[models.Model], rows: list[models.Model], dumped: dict[int, str] | None = None) -> None:
    """Inserts `rows` (primary keys set) with one COPY, every value as an insert would store it
    (defaults, auto_now_add, JSON); database errors come out as Django's. `dumped`: JSON text of
    bodies by object id, shared between the resources and their versions (same body, dumped once)."""
    plan = _plans.get(model) or _plans.setdefault(model, _column_plan(model))
    dumped = {} if dumped is None else dumped
    columns = ", ".join(connection.ops.quote_name(f.column) for f, _kind in plan)
    statement = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(statement) as copy,
    ):
        for row in rows:
            values = []
            for f, kind in plan:
                if kind == "plain":
                    values.append(getattr(row, f.attname))
                elif kind == "json":
                    value = getattr(row, f.attname)
                    text = dumped.get(id(value))
                    if text is None:
                        text = dumped[id(value)] = json.dumps(value, cls=f.encoder)
                    values.append(text)
                else:
                    values.append(f.get_db_prep_save(f.pre_save(row, True), connection))
            copy.write_row(values)
