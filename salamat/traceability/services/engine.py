"""The machinery every traceability operation shares.

Each operation is keyword-only, atomic, audited once (with a count, never per
package) and all or nothing: the codes of a request are parsed, resolved in one
query (rows locked in id order, so concurrent requests never deadlock and never
both win), checked in memory by the pure rules, and only then written with a few
set-based statements (see `bulk`). If any code is illegal nothing is written and one
`OperationRefused` lists every bad code; refusals that look like fraud are recorded
as alerts in a transaction of their own, which commits although the operation did not.

Here: who may do what, the EPCIS shape of each operation, parsing and locking the codes,
package and container rows, the rules checks, the refusal and its alerts, `_run` (one
operation, retried on a deadlock, replayed for an idempotent retry). What an operation
writes once it is allowed (its event, its (event, package) rows, its answer and audit) is
in `recording.py`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from operator import attrgetter
from typing import Any, NamedTuple

from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from salamat.codes.fast import lean_key
from salamat.codes.model import CodeError, CodeKind, ParsedCode
from salamat.codes.parser import scheme_set
from salamat.core import context
from salamat.core.actors import Actor
from salamat.core.errors import DomainError, PermissionDenied, field_error
from salamat.core.gcpause import paused_gc
from salamat.registry.models import Organization, OrganizationStatus, OrganizationType
from salamat.traceability import bulk, rules
from salamat.traceability.codes import parse_many
from salamat.traceability.models import (
    ALERT_CODES_CAP,
    Alert,
    BizStep,
    Container,
    Disposition,
    EpcisAction,
    EpcisEventType,
    EventPackage,
    Package,
)
from salamat.traceability.rules import Operation, Refusal, Snapshot
from salamat.traceability.selectors import container_tree_sql
from salamat.traceability.services.idempotency import Idempotency, _idempotent_replay, idempotency_claim

Op = Operation
PACKAGE_TABLE = Package._meta.db_table
CONTAINER_TABLE = Container._meta.db_table
EVENT_PACKAGE_TABLE = EventPackage._meta.db_table

MAX_CODES = 50_000  # per request
_CREATED = 0  # state in Event.containers_before: the event created this box

# Who may perform each operation (an API client acts with the roles of its organisation's type).
OPERATION_ROLES: dict[Operation, tuple[str, ...]] = {
    Op.INTRODUCE: ("warehouse_operator",),
    Op.AGGREGATE: ("warehouse_operator", "pharmacist"),
    Op.DISAGGREGATE: ("warehouse_operator", "pharmacist"),
    Op.SHIP: ("warehouse_operator", "pharmacist"),
    Op.ACCEPT: ("warehouse_operator", "pharmacist", "doctor"),
    Op.REJECT: ("warehouse_operator", "pharmacist", "doctor"),
    Op.SELL: ("pharmacist",),
    Op.DISPENSE: ("doctor", "pharmacist"),
    Op.RETURN: ("warehouse_operator", "pharmacist", "doctor"),
    Op.WRITE_OFF: ("warehouse_operator", "pharmacist", "doctor"),
    Op.DESTROY: ("warehouse_operator", "pharmacist", "doctor"),
    Op.EXPORT: ("warehouse_operator",),
    Op.CANCEL: ("warehouse_operator", "pharmacist", "doctor"),
}
INTRODUCER_TYPES = (OrganizationType.MANUFACTURER, OrganizationType.IMPORTER)

# EPCIS shape of each operation: event type, action, business step, disposition.
EPCIS: dict[Operation, tuple[int, int, int, int]] = {
    Op.INTRODUCE: (EpcisEventType.OBJECT, EpcisAction.ADD, BizStep.COMMISSIONING, Disposition.ACTIVE),
    Op.AGGREGATE: (EpcisEventType.AGGREGATION, EpcisAction.ADD, BizStep.PACKING, Disposition.IN_PROGRESS),
    Op.DISAGGREGATE: (
        EpcisEventType.AGGREGATION,
        EpcisAction.DELETE,
        BizStep.UNPACKING,
        Disposition.IN_PROGRESS,
    ),
    Op.SHIP: (EpcisEventType.OBJECT, EpcisAction.OBSERVE, BizStep.SHIPPING, Disposition.IN_TRANSIT),
    Op.ACCEPT: (
        EpcisEventType.OBJECT,
        EpcisAction.OBSERVE,
        BizStep.RECEIVING,
        Disposition.SELLABLE_ACCESSIBLE,
    ),
    Op.REJECT: (EpcisEventType.OBJECT, EpcisAction.OBSERVE, BizStep.RETURNING, Disposition.RETURNED),
    Op.SELL: (EpcisEventType.OBJECT, EpcisAction.OBSERVE, BizStep.RETAIL_SELLING, Disposition.RETAIL_SOLD),
    Op.DISPENSE: (EpcisEventType.OBJECT, EpcisAction.OBSERVE, BizStep.DISPENSING, Disposition.DISPENSED),
    Op.RETURN: (EpcisEventType.OBJECT, EpcisAction.OBSERVE, BizStep.RETURNING, Disposition.RETURNED),
    Op.WRITE_OFF: (EpcisEventType.OBJECT, EpcisAction.DELETE, BizStep.DECOMMISSIONING, Disposition.INACTIVE),
    Op.DESTROY: (EpcisEventType.OBJECT, EpcisAction.DELETE, BizStep.DESTROYING, Disposition.DESTROYED),
    Op.EXPORT: (EpcisEventType.OBJECT, EpcisAction.OBSERVE, BizStep.DEPARTING, Disposition.IN_TRANSIT),
    Op.CANCEL: (EpcisEventType.OBJECT, EpcisAction.OBSERVE, BizStep.VOID_SHIPPING, Disposition.ACTIVE),
}


# --- errors -------------------------------------------------------------------------


class OperationRefused(DomainError):
    """Some codes of a request are illegal; nothing was written. `details.errors` lists each."""

    def __init__(
        self, errors: list[dict[str, Any]], *, operation: Operation, alerts: list[dict] | None = None
    ):
        super().__init__(
            "operation_refused",
            ngettext(
                "Nothing was recorded: %(count)d code cannot take part in this operation.",
                "Nothing was recorded: %(count)d codes cannot take part in this operation.",
                len(errors),
            )
            % {"count": len(errors)},
            details={"operation": str(operation), "error_count": len(errors), "errors": errors},
        )
        self.alerts = alerts or []


class Fallback(Exception):  # noqa: N818 - a signal, not an error
    """The fast path (`services.fast`) met something it does not cover: its work is rolled back
    to its savepoint and the general path runs."""


class PackageRow(NamedTuple):
    """A package as loaded for an operation: one row of the one SELECT, and its own rules
    snapshot. A tuple (built by `_make` straight from the database row, ~10x cheaper than a
    dataclass for 50,000 rows); `units_per_package` comes as a literal 1 from the SELECT and
    is replaced (`_replace`) for partial sales."""

    id: int
    key: str
    product_id: int
    batch: str
    expiry: date
    state: int
    reason: int
    owner_id: int | None
    site_id: int | None
    previous_owner_id: int | None
    container_id: int | None
    remaining_units: int | None
    flags: int
    last_event_id: int | None
    units_per_package: int = 1

    def snapshot(self, units_per_package: int = 1) -> Snapshot:
        return Snapshot(
            state=self.state,
            owner_id=self.owner_id,
            reason=self.reason,
            flags=self.flags,
            expiry=self.expiry,
            remaining_units=self.remaining_units,
            units_per_package=units_per_package,
            previous_owner_id=self.previous_owner_id,
        )


_PACKAGE_SELECT = (
    "SELECT id, key, product_id, batch, expiry, state, withdraw_reason, owner_id, site_id, "  # noqa: S608
    "previous_owner_id, container_id, remaining_units, flags, last_event_id, 1 FROM " + PACKAGE_TABLE
)


def _package_rows(where: str, params: list[Any], *, lock: bool = True) -> list[PackageRow]:
    """Packages matching `where`, locked in id order (the same order for every request)."""
    rows = bulk.fetch(
        f"{_PACKAGE_SELECT} WHERE {where} ORDER BY id{bulk.for_update() if lock else ''}", params
    )
    if bulk.is_postgres():  # dates arrive as dates: no per-row conversion
        return list(map(PackageRow._make, rows))
    out = []
    for r in rows:
        expiry = r[4] if not isinstance(r[4], str) else date.fromisoformat(r[4])
        out.append(PackageRow(*r[:4], expiry, *r[5:]))
    return out


@dataclass(slots=True)
class ContainerRow:
    id: int
    key: str
    owner_id: int
    site_id: int | None
    parent_id: int | None
    state: int


_CONTAINER_SELECT = f"SELECT id, key, owner_id, site_id, parent_id, state FROM {CONTAINER_TABLE}"  # noqa: S608


def _containers_by(column: str, values: list) -> list[ContainerRow]:
    """The boxes whose `column` is one of `values`, locked in id order."""
    if not values:
        return []
    cond, params = bulk.in_list(column, values)
    return [
        ContainerRow(*r)
        for r in bulk.fetch(f"{_CONTAINER_SELECT} WHERE {cond} ORDER BY id{bulk.for_update()}", params)
    ]


def _containers_by_keys(keys: list[str]) -> list[ContainerRow]:
    return _containers_by("key", keys)


def _container_tree(root_ids: list[int]) -> list[ContainerRow]:
    """The containers `root_ids` and every container nested in them, locked in id order."""
    if not root_ids:
        return []
    cond, params = bulk.in_list("id", root_ids)
    tail = f"{_CONTAINER_SELECT} WHERE id IN (SELECT id FROM tree) ORDER BY id{bulk.for_update()}"  # noqa: S608
    sql = container_tree_sql(cond) + tail
    return [ContainerRow(*r) for r in bulk.fetch(sql, params)]


def _container_ancestors(container_id: int) -> set[int]:
    sql = (
        f"WITH RECURSIVE up(id, parent_id) AS (SELECT id, parent_id FROM {CONTAINER_TABLE} WHERE id = %s "  # noqa: S608
        f"UNION SELECT c.id, c.parent_id FROM {CONTAINER_TABLE} c JOIN up ON c.id = up.parent_id) "
        "SELECT id FROM up"
    )
    return {r[0] for r in bulk.fetch(sql, [container_id])}


@dataclass
class Resolved:
    """The codes of a request: parsed, de-duplicated, found in the database."""

    errors: list[dict[str, Any]] = field(default_factory=list)
    packages: list[PackageRow] = field(default_factory=list)  # every package touched, id order
    source_of: dict[int, str] = field(default_factory=dict)  # package id -> raw code that reached it
    direct: set[int] = field(default_factory=set)  # package ids scanned themselves (not via a box)
    containers: list[ContainerRow] = field(default_factory=list)  # scanned boxes and all nested ones
    top_containers: list[ContainerRow] = field(default_factory=list)  # the boxes scanned
    missing: list[tuple[str, str]] = field(default_factory=list)  # (key, raw code) of unknown packages
    container_raw: dict[str, str] = field(default_factory=dict)  # scanned box key -> raw code


def _error(raw: str, reason: str, **extra: Any) -> dict[str, Any]:
    return {"code": raw, "reason": str(reason), **extra}


@dataclass
class Parsed:
    """The codes of a request, parsed and de-duplicated."""

    errors: list[dict[str, Any]]
    packages: dict[str, str]  # package key -> raw code
    containers: dict[str, str]  # container key -> raw code
    parsed: dict[str, ParsedCode]  # package key -> what the code says (batch, expiry, GTIN)


def _parse(raws: list[str], *, containers: bool) -> Parsed:
    """Every code parsed once; parse errors, SSCCs where packages are needed and duplicates reported."""
    _check_size(raws)
    parsed = Parsed([], {}, {}, {})
    _parse_into(parsed, raws, containers=containers)
    return parsed


def _check_size(raws: list[str]) -> None:
    if len(raws) > MAX_CODES:
        raise field_error(
            "codes", "too_many_codes", _("At most %(max)d codes per request.") % {"max": MAX_CODES}
        )


def _parse_into(into: Parsed, raws: list[str], *, containers: bool, keys_only: bool = False) -> list[str]:
    """Parses `raws` into `into` (duplicates are judged against everything parsed into it so
    far), in order; answers the package keys that were new. With `keys_only` (operations on
    known packages) the dominant DataMatrix form yields its key without building a ParsedCode
    (`into.parsed` is then left out for it); every other code takes the full parser."""
    errors, package_keys, container_keys, parsed_of = into.errors, into.packages, into.containers, into.parsed
    new: list[str] = []

    def take(raw: str, parsed: ParsedCode | CodeError) -> None:
        if isinstance(parsed, CodeError):
            errors.append(_error(raw, parsed.code))
            return
        if parsed.kind is CodeKind.SSCC:
            if not containers:
                errors.append(_error(raw, Refusal.NOT_A_PACKAGE))
            elif parsed.key in container_keys:
                errors.append(_error(raw, Refusal.DUPLICATE_CODE))
            else:
                container_keys[parsed.key] = raw
            return
        if parsed.kind is CodeKind.GTIN_ONLY or not parsed.key:
            errors.append(_error(raw, "needs_sticker"))
        elif parsed.key in package_keys:
            errors.append(_error(raw, Refusal.DUPLICATE_CODE))
        else:
            package_keys[parsed.key] = raw
            parsed_of[parsed.key] = parsed
            new.append(parsed.key)

    if not keys_only:
        for raw, parsed in zip(raws, parse_codes(raws), strict=True):
            take(raw, parsed)
        return new
    for raw in raws:
        key = lean_key(raw)
        if key is None:
            take(raw, parse_codes([raw])[0])
        elif key in package_keys:
            errors.append(_error(raw, Refusal.DUPLICATE_CODE))
        else:
            package_keys[key] = raw
            new.append(key)
    return new


# Codes parsed lately, by raw code (parsing is a pure function of the code): a document's
# codes come back in its next operations (commissioned, packed, shipped, received, sold), and
# the EPCIS capture sends each through several. Emptied when full.
_PARSED: dict[str, ParsedCode | CodeError] = {}
_PARSED_MAX = 200_000


_PARSED_WITH: list = [None]  # the labelling schemes `_PARSED` was parsed with


def parse_codes(raws: list[str]) -> list[ParsedCode | CodeError]:
    """`parse_many`, each code parsed once while it stays in `_PARSED` (emptied as well when
    the registry's labelling schemes change: they decide what some codes mean)."""
    cache = _PARSED
    schemes = scheme_set(None)
    if schemes is not _PARSED_WITH[0]:
        cache.clear()
        _PARSED_WITH[0] = schemes
    missing = [raw for raw in raws if raw not in cache]
    if missing:
        if len(cache) + len(missing) > _PARSED_MAX:
            cache.clear()
        cache.update(zip(missing, parse_many(missing, schemes=schemes), strict=True))
    return [cache[raw] for raw in raws]


# Parsing overlaps the lookups in this many slices (a fixed number, so the number of queries
# does not grow with the number of codes), from this many codes on (below, nothing to gain).
_PIPELINE_SLICES = 8
_PIPELINE_FROM = 4_000


def _parse_and_lock(
    raws: list[str], *, containers: bool, keys_only: bool = False
) -> tuple[Parsed, list[PackageRow]]:
    """Parses the codes and loads (locks) the packages they name, the two overlapped on
    PostgreSQL: each slice's SELECT … FOR UPDATE is sent (pipeline mode) as soon as the slice
    is parsed, so the server looks up one slice while Python parses the next (two cores, one
    request). Rows are locked slice by slice, each slice in id order; the rare deadlock with a
    concurrent request that locks the same packages in another order is retried by `_run`."""
    _check_size(raws)
    parsed = Parsed([], {}, {}, {})
    if not bulk.is_postgres() or len(raws) < _PIPELINE_FROM:
        _parse_into(parsed, raws, containers=containers, keys_only=keys_only)
        keys = list(parsed.packages)
        rows = _package_rows(*bulk.in_list("key", keys)) if keys else []
        return parsed, rows
    size = -(-len(raws) // _PIPELINE_SLICES)
    cursors = []
    sql = f"{_PACKAGE_SELECT} WHERE {{cond}} ORDER BY id FOR UPDATE"
    connection.ensure_connection()
    with connection.wrap_database_errors, connection.connection.pipeline():
        for start in range(0, len(raws), size):
            keys = _parse_into(parsed, raws[start : start + size], containers=containers, keys_only=keys_only)
            if keys:
                cond, params = bulk.in_list("key", keys)
                cursor = bulk.cursor()
                cursor.execute(sql.format(cond=cond), params)
                cursors.append(cursor)
    rows = [PackageRow._make(r) for cursor in cursors for r in cursor.fetchall()]
    for cursor in cursors:
        cursor.close()
    rows.sort(key=_row_id)
    return parsed, rows


_row_id = attrgetter("id")
_row_key = attrgetter("key")


def _resolve(raws: list[str], *, operation: Operation, actor_org: int, containers: bool = True) -> Resolved:
    """Parses and resolves every code in a constant number of queries, locking the rows."""
    res = Resolved()
    parsed, by_key = _parse_and_lock(raws, containers=containers, keys_only=True)
    res.errors, package_keys, container_keys = parsed.errors, parsed.packages, parsed.containers
    res.container_raw = container_keys
    if container_keys:
        res.top_containers = _containers_by_keys(list(container_keys))
        found = {c.key for c in res.top_containers}
        for key, raw in container_keys.items():
            if key not in found:
                res.errors.append(_error(raw, "unknown_container"))
        for c in res.top_containers:
            refusal = _container_refusal(operation, c, actor_org)
            if refusal:
                res.errors.append(_error(container_keys[c.key], refusal))
        res.containers = _container_tree([c.id for c in res.top_containers])
    res.packages = by_key
    if res.containers:
        cond, params = bulk.in_list("container_id", [c.id for c in res.containers])
        seen = {row.id for row in by_key}
        in_boxes = [row for row in _package_rows(cond, params) if row.id not in seen]
        if in_boxes:
            res.packages = sorted(by_key + in_boxes, key=_row_id)
    if not res.containers:
        # No box scanned (most requests): every package was scanned itself. Built by C-level
        # map and zip instead of a Python loop over tens of thousands of rows.
        ids = list(map(_row_id, res.packages))
        res.source_of = dict(
            zip(ids, map(package_keys.__getitem__, map(_row_key, res.packages)), strict=True)
        )
        res.direct = set(ids)
    else:
        box_raw = _box_raw_of(res, container_keys)
        for row in res.packages:
            raw = package_keys.get(row.key)
            if raw is not None:
                res.direct.add(row.id)
                res.source_of[row.id] = raw
            else:
                res.source_of[row.id] = box_raw.get(row.container_id, row.key)
    if len(res.direct) < len(package_keys):
        found_keys = {row.key for row in res.packages}
        res.missing = [(key, raw) for key, raw in package_keys.items() if key not in found_keys]
    return res


def _box_raw_of(res: Resolved, container_keys: dict[str, str]) -> dict[int, str]:
    """For every container of the tree, the raw code of the scanned box it sits in."""
    by_id = {c.id: c for c in res.containers}
    top = {c.id: container_keys[c.key] for c in res.top_containers}
    out: dict[int, str] = {}
    for c in res.containers:
        cur: ContainerRow | None = c
        while cur is not None and cur.id not in top:
            cur = by_id.get(cur.parent_id) if cur.parent_id else None
        if cur is not None:
            out[c.id] = top[cur.id]
    return out


def _container_refusal(operation: Operation, c: ContainerRow, actor_org: int) -> str | None:
    return rules.check_container(operation, state=c.state, owner_id=c.owner_id, actor_org=actor_org)


# What a package's verdict depends on (see `_check_packages`).
_facts = attrgetter(
    "state",
    "reason",
    "owner_id",
    "flags",
    "expiry",
    "remaining_units",
    "previous_owner_id",
    "units_per_package",
)


def _check_packages(
    res: Resolved,
    operation: Operation,
    actor_org: int,
    on: date,
    *,
    units: int | None = None,
    units_of: dict[int, int] | None = None,
    addressed_to: int | None = None,
) -> None:
    """Applies the rules to every resolved package; appends an error for each refusal."""
    for key, raw in res.missing:
        res.errors.append(_error(raw, Refusal.NEVER_INTRODUCED, key=key))
    check = rules.check
    # The verdict depends only on these fields, which most packages of a request share: the
    # rules run once per distinct combination, not once per package. (The previous owner
    # itself is part of the combination, a finer split than the rules need, so that one
    # C-level attrgetter call reads them all.)
    verdicts: dict[tuple, Refusal | None] = {}
    for row in res.packages:
        snap = row._replace(units_per_package=units_of.get(row.product_id, 1)) if units_of else row
        facts = _facts(snap)
        try:
            refusal = verdicts[facts]
        except KeyError:
            refusal = verdicts[facts] = check(
                operation, snap, actor_org, on=on, units=units, addressed_to=addressed_to
            )
        if refusal is not None:
            raw = res.source_of[row.id]
            extra = {"key": row.key} if row.id in res.direct else {"package": row.key}
            res.errors.append(_error(raw, refusal, **extra))


def _refuse_if_errors(errors: list[dict], operation: Operation, actor_org: int) -> None:
    if not errors:
        return
    by_reason: dict[str, list[str]] = defaultdict(list)
    for err in errors:
        if rules.is_suspicious(err["reason"]):
            by_reason[err["reason"]].append(err.get("package") or err.get("key") or err["code"])
    alerts = [
        {
            "kind": reason,
            "severity": rules.SEVERITY.get(reason, "medium"),
            "organization_id": actor_org,
            "operation": str(operation),
            "codes": codes,
        }
        for reason, codes in by_reason.items()
    ]
    raise OperationRefused(errors, operation=operation, alerts=alerts)


def alerts_record(alerts: Iterable[dict[str, Any]], *, details: dict[str, Any] | None = None) -> list[Alert]:
    """Creates one alert per (kind, organisation): a 50,000-code fraud attempt is one alert, not 50,000."""
    objs = [
        Alert(
            kind=a["kind"],
            severity=a["severity"],
            organization_id=a["organization_id"],
            operation=a.get("operation", ""),
            codes=list(a["codes"][:ALERT_CODES_CAP]),
            code_count=len(a["codes"]),
            details={**(details or {}), **a.get("details", {})},
        )
        for a in alerts
    ]
    return Alert.objects.bulk_create(objs) if objs else []


def _run(
    operation: Operation,
    actor: Actor,
    idempotency: Idempotency | None,
    body: Callable[[], dict],
    fast: Callable[[], dict] | None = None,
) -> dict:
    """Runs one operation: replays an idempotent retry, commits all or nothing, and
    records the alerts of a refusal in a transaction of their own. `fast`, when given, is
    tried first; if it raises `Fallback`, its transaction is rolled back and `body` (the
    general path) runs in a new one (no savepoint: it would cost two more round trips on
    every request, for the rare one that needs the general path)."""
    org = actor.require_organization()
    if idempotency is not None:
        replay = _idempotent_replay(org.pk, idempotency)
        if replay is not None:
            return replay
    try:
        attempt, try_fast = 0, fast is not None
        while True:
            try:
                with paused_gc(), transaction.atomic():
                    if idempotency is not None:
                        # A retry of a request still running waits here for its answer, before
                        # locking any package the first one holds (see `idempotency`).
                        replay = idempotency_claim(org.pk, idempotency)
                        if replay is not None:
                            return replay
                    if try_fast:
                        bulk.plan_by_key_only()
                        return fast()
                    bulk.plan_for_keyed_lookups()
                    return body()
            except Fallback:
                try_fast = False
            except (IntegrityError, OperationalError) as exc:
                # Two requests introduced the same code (or used the same key) at once, or locked
                # the same packages in a different order (PostgreSQL broke the deadlock): the
                # second one runs again against the first one's committed rows.
                if attempt == 1 or (isinstance(exc, OperationalError) and not _is_deadlock(exc)):
                    raise
                attempt += 1
                if idempotency is not None:
                    replay = _idempotent_replay(org.pk, idempotency)
                    if replay is not None:
                        return replay
    except OperationRefused as refused:
        if refused.alerts:
            with transaction.atomic():
                alerts_record(refused.alerts, details={"request_id": _request_id()})
        raise


def _is_deadlock(exc: OperationalError) -> bool:
    return getattr(exc.__cause__, "sqlstate", None) == "40P01"


def _request_id() -> str:
    return context.current().request_id


def _require(actor: Actor, operation: Operation) -> Organization:
    org = actor.require_organization()
    if org.status != OrganizationStatus.ACTIVE:
        raise PermissionDenied(
            "organization_not_active", _("Your organisation is not active on the platform.")
        )
    if not (actor.user is not None and actor.user.is_superuser):
        actor.require_role(*OPERATION_ROLES[operation])
    return org
