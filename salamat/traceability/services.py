"""Every write of the traceability module.

Each operation is keyword-only, atomic, audited once (with a count, never per
package) and all or nothing: the codes of a request are parsed, resolved in one
query (rows locked in id order, so concurrent requests never deadlock and never
both win), checked in memory by the pure rules, and only then written with a few
set-based statements (see `bulk`). If any code is illegal nothing is written and one
`OperationRefused` lists every bad code; refusals that look like fraud are recorded
as alerts in a transaction of their own, which commits although the operation did not.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from operator import attrgetter
from typing import Any, NamedTuple

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from salamat.codes.fast import lean_key
from salamat.codes.model import CodeError, CodeKind, ParsedCode
from salamat.core.actors import Actor
from salamat.core.audit import audit_record
from salamat.core.conf import setting
from salamat.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
    field_error,
)
from salamat.core.gcpause import paused_gc
from salamat.registry.models import Organization, OrganizationStatus, OrganizationType, Product, Site
from salamat.traceability import bulk, rules
from salamat.traceability.codes import parse_many
from salamat.traceability.models import (
    ALERT_CODES_CAP,
    OPERATION_CODE,
    OPERATION_OF_CODE,
    Alert,
    AlertStatus,
    BizStep,
    Container,
    ContainerState,
    Disposition,
    EpcisAction,
    EpcisEventType,
    Event,
    EventPackage,
    IdempotencyRecord,
    OperationType,
    Package,
    Recall,
    RecallKind,
    RecallStatus,
    Shipment,
    ShipmentStatus,
)
from salamat.traceability.rules import Operation, Reason, Refusal, Snapshot, State
from salamat.traceability.selectors import RecallFlags, container_tree_sql
from salamat.traceability.stock import StockChange, recount_products

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

# The columns every (event, package) row carries; the others are sent only when filled.
_EP_COLUMNS = ("event_id", "package_id", "prev_state")
_EP_TYPES = ("bigint", "bigint", "smallint")


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


def _bad_event_time(message: str) -> ValidationFailed:
    return field_error("event_time", "bad_event_time", message)


# --- small value objects --------------------------------------------------------------


@dataclass(frozen=True)
class Idempotency:
    """An `Idempotency-Key` and the hash of the request it came with."""

    key: str
    request_hash: str


def request_hash(method: str, path: str, body: Any) -> str:
    """SHA-256 of the method, path and canonical JSON body: same request, same hash."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


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
        for raw, parsed in zip(raws, parse_many(raws), strict=True):
            take(raw, parsed)
        return new
    for raw in raws:
        key = lean_key(raw)
        if key is None:
            take(raw, parse_many([raw])[0])
        elif key in package_keys:
            errors.append(_error(raw, Refusal.DUPLICATE_CODE))
        else:
            package_keys[key] = raw
            new.append(key)
    return new


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


def _row_id(row: PackageRow) -> int:
    return row.id


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
    # rules run once per distinct combination, not once per package.
    verdicts: dict[tuple, Refusal | None] = {}
    for row in res.packages:
        snap = row._replace(units_per_package=units_of.get(row.product_id, 1)) if units_of else row
        facts = (
            snap.state, snap.reason, snap.owner_id, snap.flags, snap.expiry, snap.remaining_units,
            snap.previous_owner_id is None, snap.units_per_package,
        )  # fmt: skip
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
    operation: Operation, actor: Actor, idempotency: Idempotency | None, body: Callable[[], dict]
) -> dict:
    """Runs one operation: replays an idempotent retry, commits all or nothing, and
    records the alerts of a refusal in a transaction of their own."""
    org = actor.require_organization()
    if idempotency is not None:
        replay = _idempotent_replay(org.pk, idempotency)
        if replay is not None:
            return replay
    try:
        for attempt in range(2):
            try:
                with paused_gc(), transaction.atomic():
                    bulk.plan_for_keyed_lookups()
                    return body()
            except (IntegrityError, OperationalError) as exc:
                # Two requests introduced the same code (or used the same key) at once, or locked
                # the same packages in a different order (PostgreSQL broke the deadlock): the
                # second one runs again against the first one's committed rows.
                if attempt == 1 or (isinstance(exc, OperationalError) and not _is_deadlock(exc)):
                    raise
                if idempotency is not None:
                    replay = _idempotent_replay(org.pk, idempotency)
                    if replay is not None:
                        return replay
        raise AssertionError("unreachable")
    except OperationRefused as refused:
        if refused.alerts:
            with transaction.atomic():
                alerts_record(refused.alerts, details={"request_id": _request_id()})
        raise


def _is_deadlock(exc: OperationalError) -> bool:
    return getattr(exc.__cause__, "sqlstate", None) == "40P01"


def idempotent_call(*, actor: Actor, idempotency: Idempotency | None, run: Callable[[], dict]) -> dict:
    """Runs `run` (a write answering a JSON-ready dict) at most once per `Idempotency-Key`:
    a retry with the same request gets the stored answer, a different request a 409."""
    if idempotency is None:
        return run()
    org = actor.require_organization()
    replay = _idempotent_replay(org.pk, idempotency)
    if replay is not None:
        return replay
    with transaction.atomic():
        answer = run()
        IdempotencyRecord.objects.create(
            organization=org, key=idempotency.key, request_hash=idempotency.request_hash, response=answer
        )
    return answer


def _request_id() -> str:
    from salamat.core import context

    return context.current().request_id


def _idempotent_replay(org_id: int, idem: Idempotency) -> dict | None:
    record = IdempotencyRecord.objects.filter(organization_id=org_id, key=idem.key).first()
    if record is None:
        return None
    if record.request_hash != idem.request_hash:
        raise Conflict(
            "idempotency_key_reused",
            _("This Idempotency-Key was already used for a different request."),
            details={"idempotency_key": idem.key},
        )
    return {**record.response, "replayed": True}


def _require(actor: Actor, operation: Operation) -> Organization:
    org = actor.require_organization()
    if org.status != OrganizationStatus.ACTIVE:
        raise PermissionDenied(
            "organization_not_active", _("Your organisation is not active on the platform.")
        )
    if not (actor.user is not None and actor.user.is_superuser):
        actor.require_role(*OPERATION_ROLES[operation])
    return org


def _event_time(value: datetime | None) -> datetime:
    """The client's event time, checked: not in the future beyond the skew, not too old."""
    now = timezone.now()
    if value is None:
        # No time from the client: now, in the platform's zone, so the event records the zone offset
        # of where it happened (EPCIS eventTimeZoneOffset), not UTC's.
        return timezone.localtime(now)
    if timezone.is_naive(value):
        raise _bad_event_time(_("The event time must carry a time zone offset."))
    if value > now + timedelta(seconds=setting("EVENT_TIME_SKEW_SECONDS")):
        raise _bad_event_time(_("The event time is in the future."))
    if value < now - timedelta(days=setting("EVENT_TIME_MAX_AGE_DAYS")):
        raise _bad_event_time(_("The event time is too far in the past to be recorded."))
    return value


def _zone_offset(value: datetime) -> str:
    offset = value.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _local_day(value: datetime) -> date:
    return timezone.localtime(value).date()


def _site(org: Organization, site_id: uuid.UUID | str | None) -> Site:
    """The site the actor works at: the given one (it must be the organisation's), or its first."""
    sites = Site.objects.filter(organization=org, is_active=True)
    site = sites.filter(external_id=site_id).first() if site_id else sites.order_by("id").first()
    if site is None:
        raise field_error("site", "unknown_site", _("No such active site in your organisation."))
    return site


def _new_event(
    *,
    operation: Operation,
    actor: Actor,
    org: Organization,
    site: Site | None,
    when: datetime,
    count: int,
    idempotency: Idempotency | None,
    response: dict[str, Any],
    event_uuid: uuid.UUID,
    biz_transactions: list[dict] | None = None,
    source_id: int | None = None,
    destination_id: int | None = None,
    withdrawn: int = 0,
    units: int | None = None,
    operation_code: int | None = None,
    containers_before: list[list] | None = None,
) -> Event:
    """Writes the idempotency record (with the answer the caller will get) and the event row."""
    record = None
    if idempotency is not None:
        record = IdempotencyRecord.objects.create(
            organization=org, key=idempotency.key, request_hash=idempotency.request_hash, response=response
        )
    event_type, action, biz_step, disposition = EPCIS[operation]
    return Event.objects.create(
        event_id=event_uuid,
        operation=operation_code or OPERATION_CODE[operation],
        event_type=event_type,
        action=action,
        biz_step=biz_step,
        disposition=disposition,
        event_time=when,
        event_time_zone_offset=_zone_offset(when),
        organization=org,
        site=site,
        user=actor.user,
        biz_transactions=biz_transactions or [],
        source_id=source_id,
        destination_id=destination_id,
        idempotency=record,
        package_count=count,
        withdrawn_count=withdrawn,
        units=units,
        containers_before=containers_before or [],
    )


def _write_event_packages(
    event_id: int,
    packages: Iterable[PackageRow],
    *,
    owner_site: bool = False,
    units: bool = False,
    container: bool = False,
) -> None:
    """The (event, package) rows of an event: each package's state before it, plus its units,
    owner and site when the operation changes them. Only the columns that carry a value are
    sent (the others stay NULL), so most operations write three narrow columns."""
    optional = [
        (column, pg_type, attr)
        for wanted, column, pg_type, attr in (
            (units, "prev_units", "integer", "remaining_units"),
            (owner_site, "prev_owner_id", "bigint", "owner_id"),
            (owner_site, "prev_site_id", "bigint", "site_id"),
            (container, "prev_container_id", "bigint", "container_id"),  # packing and unpacking
        )
        if wanted
    ]
    columns = [*_EP_COLUMNS, *(c for c, _t, _f in optional)]
    types = [*_EP_TYPES, *(t for _c, t, _f in optional)]
    # p.state * 8 + p.reason is rules.encode_prev, without building enums 50,000 times.
    if not optional:  # most operations: three narrow columns
        rows = [(event_id, p.id, p.state * 8 + p.reason) for p in packages]
    else:
        values = attrgetter(*(attr for _c, _t, attr in optional))
        if len(optional) == 1:
            rows = [(event_id, p.id, p.state * 8 + p.reason, values(p)) for p in packages]
        else:
            rows = [(event_id, p.id, p.state * 8 + p.reason, *values(p)) for p in packages]
    bulk.insert_rows(EVENT_PACKAGE_TABLE, columns, types, rows)


def _answer(operation: Operation, event_uuid: uuid.UUID, when: datetime, count: int, **extra: Any) -> dict:
    return {
        "event_id": str(event_uuid),
        "operation": str(operation),
        "event_time": when.isoformat(),
        "package_count": count,
        **extra,
    }


def _audit(actor: Actor, operation: Operation, event: Event, **changes: Any) -> None:
    audit_record(
        actor=actor,
        action=f"package.{operation}",
        object_type="traceability.event",
        object_id=str(event.event_id),
        changes={"package_count": event.package_count, **changes},
    )


# --- introduce ------------------------------------------------------------------------


def packages_introduce(
    *,
    actor: Actor,
    codes: list[str],
    batch: str | None = None,
    expiry: date | None = None,
    product_id: uuid.UUID | None = None,
    event_time: datetime | None = None,
    site_id: uuid.UUID | None = None,
    idempotency: Idempotency | None = None,
) -> dict:
    """Introduces packages into circulation (import or local production) at the actor's site."""
    org = _require(actor, Op.INTRODUCE)
    if org.org_type not in INTRODUCER_TYPES:
        raise PermissionDenied(
            "not_an_introducer", _("Only an active manufacturer or importer may introduce packages.")
        )
    when = _event_time(event_time)
    site = _site(org, site_id)
    fallback_product = None
    if product_id is not None:
        fallback_product = Product.objects.filter(external_id=product_id).first()
        if fallback_product is None:
            raise field_error("product", "product_not_registered", _("No such product in the registry."))

    def body() -> dict:
        on = _local_day(when)
        request, known = _parse_and_lock(codes, containers=False)
        errors, keys, parsed_of = request.errors, request.packages, request.parsed
        products = _products_for(parsed_of.values())
        existing = {row.key: row for row in known}
        sticker_products = Product.objects.in_bulk(
            {r.product_id for r in existing.values() if r.state == State.REGISTERED}
        )
        recalls = RecallFlags({p.id for p in products.values() if p is not None})
        registered_today: dict[int, bool] = {}  # product id -> registered on the day
        # The verdict depends only on these facts, which most codes of a request share: the rules
        # run once per distinct combination, not once per code.
        verdicts: dict[tuple, Refusal | None] = {}
        new, known_rows = [], []  # codes never seen; rows with a sticker or a cancelled introduction
        for key, raw in keys.items():
            parsed = parsed_of[key]
            product = products.get(parsed.gtin) if parsed.gtin else fallback_product
            row = existing.get(key)
            # A code never seen, or one whose introduction was cancelled (its row stays, state NONE,
            # with the events that name it): introduced afresh from what the code says.
            fresh = row is None or row.state == State.NONE
            if not fresh and row.state == State.REGISTERED:
                product = sticker_products.get(row.product_id)
            the_batch = parsed.batch or batch or (None if fresh else row.batch)
            the_expiry = parsed.expiry or expiry or (None if fresh else row.expiry)
            flags = recalls(product, the_batch, key) if recalls.active else 0
            if row is not None:
                flags |= row.flags  # a recall or block on the package itself stays
            if row is None and parsed.kind is CodeKind.STICKER:
                errors.append(
                    _error(raw, "sticker_not_issued", key=key)
                )  # only serials the stickers service issued
                continue
            registered = False
            if product is not None:
                registered = registered_today.get(product.id)
                if registered is None:
                    registered = registered_today[product.id] = product.is_registered_on(on)
            facts = (
                State.NONE if fresh else row.state, None if fresh else row.owner_id, flags, registered,
                bool(the_batch), the_expiry,
            )  # fmt: skip
            try:
                refusal = verdicts[facts]
            except KeyError:
                refusal = verdicts[facts] = rules.check_introduction(
                    org.pk, on=on, state=facts[0], owner_id=facts[1], flags=flags, product_registered=registered,
                    batch=the_batch, expiry=the_expiry,
                )  # fmt: skip
            if refusal is not None:
                errors.append(_error(raw, refusal, key=key))
            elif row is None:
                new.append((key, product.id, the_batch[:20], the_expiry, flags))
            else:
                known_rows.append((row, product.id, the_batch[:20], the_expiry, flags))
        _refuse_if_errors(errors, Op.INTRODUCE, org.pk)

        event_uuid = uuid.uuid4()
        count = len(new) + len(known_rows)
        answer = _answer(Op.INTRODUCE, event_uuid, when, count)
        event = _new_event(
            operation=Op.INTRODUCE, actor=actor, org=org, site=site, when=when, count=count,
            idempotency=idempotency, response=answer, event_uuid=event_uuid,
        )  # fmt: skip
        now = timezone.now()
        ids = bulk.allocate_ids(PACKAGE_TABLE, len(new))
        # Per-request constants hoisted: `.pk` is a property and the enums are not plain ints.
        event_pk, org_pk, site_pk = event.pk, org.pk, site.pk
        in_circulation, no_reason = int(State.IN_CIRCULATION), int(Reason.NONE)
        bulk.insert_rows(
            PACKAGE_TABLE,
            ("id", "key", "product_id", "batch", "expiry", "state", "withdraw_reason", "owner_id", "site_id",
             "flags", "last_event_id", "introduced_on", "updated_at"),
            ("bigint", "text", "bigint", "text", "date", "smallint", "smallint", "bigint", "bigint",
             "smallint", "bigint", "date", "timestamptz"),
            [
                (pid, key, product_pk, b, e, in_circulation, no_reason, org_pk, site_pk, flags, event_pk, on, now)
                for pid, (key, product_pk, b, e, flags) in zip(ids, new, strict=True)
            ],
        )  # fmt: skip
        bulk.update_rows(
            PACKAGE_TABLE,
            ("product_id", "batch", "expiry", "state", "withdraw_reason", "owner_id", "site_id",
             "previous_owner_id", "container_id", "remaining_units", "flags", "last_event_id", "introduced_on",
             "withdrawn_on", "updated_at"),
            ("bigint", "text", "date", "smallint", "smallint", "bigint", "bigint", "bigint", "bigint", "integer",
             "smallint", "bigint", "date", "date", "timestamptz"),
            [
                (r.id, product_pk, b, e, in_circulation, no_reason, org_pk, site_pk, None, None, None, flags,
                 event_pk, on, None, now)
                for r, product_pk, b, e, flags in known_rows
            ],
        )  # fmt: skip
        prev_none = rules.encode_prev(State.NONE, Reason.NONE)
        bulk.insert_rows(
            EVENT_PACKAGE_TABLE, _EP_COLUMNS, _EP_TYPES,
            [(event_pk, pid, prev_none) for pid in ids]
            + [(event_pk, r.id, r.state * 8 + r.reason) for r, *_rest in known_rows],
        )  # fmt: skip
        stock = StockChange()
        stock.add((org_pk, site_pk, product_pk, b, e, flags) for _key, product_pk, b, e, flags in new)
        stock.add((org_pk, site_pk, product_pk, b, e, flags) for _r, product_pk, b, e, flags in known_rows)
        stock.save()
        _audit(actor, Op.INTRODUCE, event)
        return answer

    return _run(Op.INTRODUCE, actor, idempotency, body)


def _products_for(parsed: Iterable[ParsedCode]) -> dict[str, Product | None]:
    """GTIN-14 → product, in one query for the whole request."""
    from salamat.registry.models import ProductGtin

    gtins = {p.gtin for p in parsed if p.gtin}
    found = {g.gtin: g.product for g in ProductGtin.objects.filter(gtin__in=gtins).select_related("product")}
    return {g: found.get(g) for g in gtins}


# --- operations on packages the actor holds -----------------------------------------------


def _withdrawing(
    operation: Operation,
    *,
    actor: Actor,
    codes: list[str],
    event_time: datetime | None,
    site_id: uuid.UUID | None,
    idempotency: Idempotency | None,
    units: int | None = None,
    biz_transactions: list[dict] | None = None,
    destination_id: int | None = None,
) -> dict:
    """Sell, dispense, write off, destroy, export: packages (or whole boxes) leave circulation."""
    org = _require(actor, operation)
    when = _event_time(event_time)
    site = _site(org, site_id)
    if units is not None and units < 1:
        raise field_error("units", "bad_units", _("Units must be a positive number."))

    def body() -> dict:
        on = _local_day(when)
        res = _resolve(codes, operation=operation, actor_org=org.pk)
        units_of = None
        if units is not None:
            units_of = dict(
                Product.objects.filter(id__in={p.product_id for p in res.packages}).values_list(
                    "id", "units_per_package"
                )
            )
        _check_packages(res, operation, org.pk, on, units=units, units_of=units_of)
        _refuse_if_errors(res.errors, operation, org.pk)

        if units is None:  # every package ends in the same state: no per-package outcome needed
            outcomes = []
            withdrawn = len(res.packages) if rules.TRANSITIONS[operation].target is State.WITHDRAWN else 0
        else:
            outcomes = [
                (p, rules.apply(operation, p.snapshot(units_of.get(p.product_id, 1)), units=units))
                for p in res.packages
            ]
            withdrawn = sum(1 for _p, o in outcomes if o.state is State.WITHDRAWN)
        event_uuid = uuid.uuid4()
        answer = _answer(operation, event_uuid, when, len(res.packages), withdrawn_count=withdrawn)
        event = _new_event(
            operation=operation, actor=actor, org=org, site=site, when=when, count=len(res.packages),
            idempotency=idempotency, response=answer, event_uuid=event_uuid, withdrawn=withdrawn, units=units,
            biz_transactions=biz_transactions, destination_id=destination_id,
        )  # fmt: skip
        _write_event_packages(event.pk, res.packages, units=units is not None)
        now = timezone.now()
        if units is None:
            target = rules.TRANSITIONS[operation]
            bulk.update_where(
                PACKAGE_TABLE,
                {
                    "state": int(target.target), "withdraw_reason": int(target.reason), "container_id": None,
                    "last_event_id": event.pk, "withdrawn_on": on, "updated_at": now,
                },
                [p.id for p in res.packages],
            )  # fmt: skip
        else:
            bulk.update_rows(
                PACKAGE_TABLE,
                ("state", "withdraw_reason", "remaining_units", "container_id", "last_event_id", "withdrawn_on",
                 "updated_at"),
                ("smallint", "smallint", "integer", "bigint", "bigint", "date", "timestamptz"),
                [
                    (p.id, int(o.state), int(o.reason), o.remaining_units,
                     None if o.state is State.WITHDRAWN else p.container_id, event.pk,
                     on if o.state is State.WITHDRAWN else None, now)
                    for p, o in outcomes
                ],
            )  # fmt: skip
        stock = StockChange()
        if units is None:
            if rules.TRANSITIONS[operation].target is not State.IN_CIRCULATION:
                stock.leave(res.packages)
        else:
            stock.leave(p for p, o in outcomes if o.state is not State.IN_CIRCULATION)
        stock.save()
        if res.containers:
            bulk.update_where(
                CONTAINER_TABLE,
                {"state": int(ContainerState.DISSOLVED), "parent_id": None, "updated_at": now},
                [c.id for c in res.containers],
            )
        _audit(actor, operation, event, withdrawn_count=withdrawn)
        return answer

    return _run(operation, actor, idempotency, body)


def packages_sell(
    *,
    actor: Actor,
    codes: list[str],
    units: int | None = None,
    event_time: datetime | None = None,
    site_id: uuid.UUID | None = None,
    receipt_number: str = "",
    idempotency: Idempotency | None = None,
) -> dict:
    """Sells packages (or `units` of each); a package leaves circulation with its last unit."""
    txn = [{"type": "receipt", "id": receipt_number}] if receipt_number else None
    return _withdrawing(
        Op.SELL, actor=actor, codes=codes, event_time=event_time, site_id=site_id,
        idempotency=idempotency, units=units, biz_transactions=txn,
    )  # fmt: skip


def packages_dispense(
    *, actor: Actor, codes: list[str], event_time: datetime | None = None, site_id: uuid.UUID | None = None,
    idempotency: Idempotency | None = None,
) -> dict:  # fmt: skip
    """Dispenses packages for patients in a clinic (they leave circulation)."""
    return _withdrawing(
        Op.DISPENSE, actor=actor, codes=codes, event_time=event_time, site_id=site_id, idempotency=idempotency
    )


def packages_write_off(
    *, actor: Actor, codes: list[str], event_time: datetime | None = None, site_id: uuid.UUID | None = None,
    idempotency: Idempotency | None = None,
) -> dict:  # fmt: skip
    """Writes packages off (lost, stolen, damaged)."""
    return _withdrawing(
        Op.WRITE_OFF,
        actor=actor,
        codes=codes,
        event_time=event_time,
        site_id=site_id,
        idempotency=idempotency,
    )


def packages_destroy(
    *, actor: Actor, codes: list[str], event_time: datetime | None = None, site_id: uuid.UUID | None = None,
    idempotency: Idempotency | None = None,
) -> dict:  # fmt: skip
    """Records the destruction of packages."""
    return _withdrawing(
        Op.DESTROY, actor=actor, codes=codes, event_time=event_time, site_id=site_id, idempotency=idempotency
    )


def packages_export(
    *, actor: Actor, codes: list[str], event_time: datetime | None = None, site_id: uuid.UUID | None = None,
    country: str = "", idempotency: Idempotency | None = None,
) -> dict:  # fmt: skip
    """Records that packages left the country."""
    txn = [{"type": "export", "country": country.upper()[:2]}] if country else None
    return _withdrawing(
        Op.EXPORT, actor=actor, codes=codes, event_time=event_time, site_id=site_id,
        idempotency=idempotency, biz_transactions=txn,
    )  # fmt: skip


def packages_return(
    *, actor: Actor, codes: list[str], event_time: datetime | None = None, site_id: uuid.UUID | None = None,
    idempotency: Idempotency | None = None,
) -> dict:  # fmt: skip
    """Returns packages to their previous owner, who holds them again at once."""
    org = _require(actor, Op.RETURN)
    when = _event_time(event_time)
    site = _site(org, site_id)

    def body() -> dict:
        on = _local_day(when)
        res = _resolve(codes, operation=Op.RETURN, actor_org=org.pk, containers=False)
        _check_packages(res, Op.RETURN, org.pk, on)
        _refuse_if_errors(res.errors, Op.RETURN, org.pk)
        owners = {p.previous_owner_id for p in res.packages}
        home_site = dict(
            Site.objects.filter(organization_id__in=owners, is_active=True)
            .order_by("organization_id", "-id")
            .values_list("organization_id", "id")
        )  # the last one per organisation wins; ordered descending so it is the first site
        event_uuid = uuid.uuid4()
        answer = _answer(Op.RETURN, event_uuid, when, len(res.packages))
        event = _new_event(
            operation=Op.RETURN, actor=actor, org=org, site=site, when=when, count=len(res.packages),
            idempotency=idempotency, response=answer, event_uuid=event_uuid,
            source_id=org.pk, destination_id=next(iter(owners)) if len(owners) == 1 else None,
        )  # fmt: skip
        _write_event_packages(event.pk, res.packages, owner_site=True)
        now = timezone.now()
        bulk.update_rows(
            PACKAGE_TABLE,
            ("owner_id", "site_id", "previous_owner_id", "container_id", "last_event_id", "updated_at"),
            ("bigint", "bigint", "bigint", "bigint", "bigint", "timestamptz"),
            [
                (p.id, p.previous_owner_id, home_site.get(p.previous_owner_id), org.pk, None, event.pk, now)
                for p in res.packages
            ],
        )
        stock = StockChange()
        stock.leave(res.packages)
        stock.add(
            (
                p.previous_owner_id,
                home_site.get(p.previous_owner_id),
                p.product_id,
                p.batch,
                p.expiry,
                p.flags,
            )
            for p in res.packages
        )
        stock.save()
        _audit(actor, Op.RETURN, event)
        return answer

    return _run(Op.RETURN, actor, idempotency, body)


# --- containers -----------------------------------------------------------------------------


def containers_aggregate(
    *,
    actor: Actor,
    container_code: str,
    codes: list[str],
    event_time: datetime | None = None,
    site_id: uuid.UUID | None = None,
    idempotency: Idempotency | None = None,
) -> dict:
    """Packs packages and boxes into the box or pallet `container_code` (an SSCC), creating it if new."""
    org = _require(actor, Op.AGGREGATE)
    when = _event_time(event_time)
    site = _site(org, site_id)
    parsed = parse_many([container_code])[0]
    if isinstance(parsed, CodeError) or parsed.kind is not CodeKind.SSCC:
        raise field_error("container", Refusal.NOT_A_CONTAINER, _("The container code must be an SSCC."))

    def body() -> dict:
        on = _local_day(when)
        existing = _containers_by_keys([parsed.key])
        parent = existing[0] if existing else None
        errors: list[dict] = []
        if parent is not None:
            refusal = _container_refusal(Op.AGGREGATE, parent, org.pk)
            if refusal:
                errors.append(_error(container_code, refusal))
        res = _resolve(codes, operation=Op.AGGREGATE, actor_org=org.pk)
        # Only the children themselves move into the new box; what is inside them stays put.
        res.packages = [p for p in res.packages if p.id in res.direct]
        res.errors = errors + res.errors
        _check_packages(res, Op.AGGREGATE, org.pk, on)
        for p in res.packages:
            if p.container_id is not None and (parent is None or p.container_id != parent.id):
                res.errors.append(_error(res.source_of[p.id], Refusal.IN_CONTAINER))
        ancestors = _container_ancestors(parent.id) if parent is not None else set()
        for c in res.top_containers:
            if c.key == parsed.key or c.id in ancestors:
                res.errors.append(_error(res.container_raw[c.key], "container_cycle"))
            elif c.parent_id is not None:
                res.errors.append(_error(res.container_raw[c.key], Refusal.IN_CONTAINER))
        _refuse_if_errors(res.errors, Op.AGGREGATE, org.pk)

        if parent is None:
            box = Container.objects.create(key=parsed.key, owner=org, site=site)
        else:
            box = Container.objects.get(pk=parent.id)
        # [id, parent, state] before and after, for the cancellation (see Event.containers_before).
        before = [[c.id, c.parent_id, c.state, box.pk, c.state] for c in res.top_containers]
        if parent is None:
            before.append([box.pk, None, _CREATED, None, int(ContainerState.ACTIVE)])
        event_uuid = uuid.uuid4()
        answer = _answer(Op.AGGREGATE, event_uuid, when, len(res.packages), container=parsed.key)
        event = _new_event(
            operation=Op.AGGREGATE, actor=actor, org=org, site=site, when=when, count=len(res.packages),
            idempotency=idempotency, response=answer, event_uuid=event_uuid,
            biz_transactions=[{"type": "sscc", "id": parsed.key}], containers_before=before,
        )  # fmt: skip
        _write_event_packages(event.pk, res.packages, container=True)
        now = timezone.now()
        bulk.update_where(
            PACKAGE_TABLE,
            {"container_id": box.pk, "last_event_id": event.pk, "updated_at": now},
            [p.id for p in res.packages],
        )
        bulk.update_where(
            CONTAINER_TABLE, {"parent_id": box.pk, "updated_at": now}, [c.id for c in res.top_containers]
        )
        _audit(actor, Op.AGGREGATE, event, container=parsed.key, containers=len(res.top_containers))
        return answer

    return _run(Op.AGGREGATE, actor, idempotency, body)


def containers_disaggregate(
    *,
    actor: Actor,
    codes: list[str],
    event_time: datetime | None = None,
    site_id: uuid.UUID | None = None,
    idempotency: Idempotency | None = None,
) -> dict:
    """Unpacks boxes or pallets (SSCCs): what was directly inside them becomes loose."""
    org = _require(actor, Op.DISAGGREGATE)
    when = _event_time(event_time)
    site = _site(org, site_id)

    def body() -> dict:
        on = _local_day(when)
        request = _parse(codes, containers=True)
        errors, package_keys, container_keys = request.errors, request.packages, request.containers
        for raw in package_keys.values():
            errors.append(_error(raw, Refusal.NOT_A_CONTAINER))
        boxes = _containers_by_keys(list(container_keys))
        found = {c.key for c in boxes}
        errors += [
            _error(raw, "unknown_container") for key, raw in container_keys.items() if key not in found
        ]
        for c in boxes:
            refusal = _container_refusal(Op.DISAGGREGATE, c, org.pk)
            if refusal:
                errors.append(_error(container_keys[c.key], refusal))
        box_ids = [c.id for c in boxes]
        res = Resolved(errors=errors)
        if box_ids:
            cond, params = bulk.in_list("container_id", box_ids)
            res.packages = _package_rows(cond, params)
            raw_of = {c.id: container_keys[c.key] for c in boxes}
            res.source_of = {p.id: raw_of[p.container_id] for p in res.packages}
        _check_packages(res, Op.DISAGGREGATE, org.pk, on)
        _refuse_if_errors(res.errors, Op.DISAGGREGATE, org.pk)

        # [id, parent, state] before and after, for the cancellation (see Event.containers_before).
        dissolved = int(ContainerState.DISSOLVED)
        before = [[c.id, c.parent_id, c.state, None, dissolved] for c in boxes]
        unpacked = set(box_ids)
        before += [
            [c.id, c.parent_id, c.state, None, c.state]
            for c in _containers_by("parent_id", box_ids)
            if c.id not in unpacked
        ]
        event_uuid = uuid.uuid4()
        answer = _answer(Op.DISAGGREGATE, event_uuid, when, len(res.packages), containers=len(boxes))
        event = _new_event(
            operation=Op.DISAGGREGATE, actor=actor, org=org, site=site, when=when, count=len(res.packages),
            idempotency=idempotency, response=answer, event_uuid=event_uuid,
            biz_transactions=[{"type": "sscc", "id": c.key} for c in boxes[:100]], containers_before=before,
        )  # fmt: skip
        _write_event_packages(event.pk, res.packages, container=True)
        now = timezone.now()
        bulk.update_where(
            PACKAGE_TABLE,
            {"container_id": None, "last_event_id": event.pk, "updated_at": now},
            [p.id for p in res.packages],
        )
        if box_ids:
            cond, params = bulk.in_list("parent_id", box_ids)
            bulk.execute(f"UPDATE {CONTAINER_TABLE} SET parent_id = NULL WHERE {cond}", params)  # noqa: S608
        bulk.update_where(
            CONTAINER_TABLE,
            {"state": int(ContainerState.DISSOLVED), "parent_id": None, "updated_at": now},
            box_ids,
        )
        _audit(actor, Op.DISAGGREGATE, event, containers=len(boxes))
        return answer

    return _run(Op.DISAGGREGATE, actor, idempotency, body)


# --- shipments ------------------------------------------------------------------------------


def shipment_send(
    *,
    actor: Actor,
    receiver_id: uuid.UUID,
    codes: list[str],
    invoice_number: str = "",
    invoice_date: date | None = None,
    event_time: datetime | None = None,
    site_id: uuid.UUID | None = None,
    idempotency: Idempotency | None = None,
) -> dict:
    """Ships packages and boxes to another active participant; they travel until accepted."""
    org = _require(actor, Op.SHIP)
    when = _event_time(event_time)
    site = _site(org, site_id)
    receiver = Organization.objects.filter(external_id=receiver_id).first()
    if receiver is None:
        raise NotFound("receiver_not_found", _("No such participant."))
    if receiver.pk == org.pk:
        raise field_error("receiver", "receiver_is_sender", _("A shipment goes to another participant."))
    if receiver.status != OrganizationStatus.ACTIVE:
        raise DomainError("receiver_not_active", _("The receiver is not an active participant."))

    def body() -> dict:
        on = _local_day(when)
        res = _resolve(codes, operation=Op.SHIP, actor_org=org.pk)
        _check_packages(res, Op.SHIP, org.pk, on)
        _refuse_if_errors(res.errors, Op.SHIP, org.pk)

        event_uuid, shipment_uuid = uuid.uuid4(), uuid.uuid4()
        count = len(res.packages)
        answer = _answer(Op.SHIP, event_uuid, when, count, shipment_id=str(shipment_uuid))
        txn = [
            {"type": "inv", "id": invoice_number, "date": invoice_date.isoformat() if invoice_date else None}
        ]
        event = _new_event(
            operation=Op.SHIP, actor=actor, org=org, site=site, when=when, count=count,
            idempotency=idempotency, response=answer, event_uuid=event_uuid,
            biz_transactions=txn if invoice_number else None, source_id=org.pk, destination_id=receiver.pk,
        )  # fmt: skip
        Shipment.objects.create(
            external_id=shipment_uuid, sender=org, sender_site=site, receiver=receiver,
            invoice_number=invoice_number[:64], invoice_date=invoice_date, package_count=count, send_event=event,
        )  # fmt: skip
        _write_event_packages(event.pk, res.packages)
        now = timezone.now()
        shipped_boxes = {c.id for c in res.containers}
        bulk.update_where(
            PACKAGE_TABLE,
            {"state": int(State.IN_TRANSIT), "last_event_id": event.pk, "updated_at": now},
            [p.id for p in res.packages],
        )
        stock = StockChange()
        stock.leave(res.packages)
        stock.save()
        # A package taken out of a box that stays behind leaves the box.
        bulk.update_where(
            PACKAGE_TABLE,
            {"container_id": None},
            [
                p.id
                for p in res.packages
                if p.container_id is not None and p.container_id not in shipped_boxes
            ],
        )
        bulk.update_where(
            CONTAINER_TABLE, {"state": int(ContainerState.IN_TRANSIT), "updated_at": now}, list(shipped_boxes)
        )
        bulk.update_where(
            CONTAINER_TABLE,
            {"parent_id": None},
            [
                c.id
                for c in res.top_containers
                if c.parent_id is not None and c.parent_id not in shipped_boxes
            ],
        )
        _audit(actor, Op.SHIP, event, shipment=str(shipment_uuid), receiver=str(receiver.external_id))
        return answer

    return _run(Op.SHIP, actor, idempotency, body)


def _shipment_for_receiver(
    actor: Actor, org: Organization, shipment_id: uuid.UUID, operation: Operation
) -> Shipment:
    shipment = Shipment.objects.select_for_update().filter(external_id=shipment_id).first()
    if shipment is None:
        raise NotFound("shipment_not_found", _("No such shipment."))
    if shipment.receiver_id != org.pk:
        # Someone trying to take in goods addressed to another participant: the regulator should know.
        raise OperationRefused(
            [_error(str(shipment_id), Refusal.NOT_ADDRESSED_TO_YOU)],
            operation=operation,
            alerts=[
                {
                    "kind": Refusal.NOT_ADDRESSED_TO_YOU,
                    "severity": rules.SEVERITY[Refusal.NOT_ADDRESSED_TO_YOU],
                    "organization_id": org.pk,
                    "operation": str(operation),
                    "codes": [],
                    "details": {"shipment": str(shipment_id)},
                }
            ],
        )
    if shipment.status != ShipmentStatus.SENT:
        raise Conflict(
            "shipment_not_pending",
            _("This shipment is no longer waiting for acceptance."),
            details={"status": shipment.status},
        )
    return shipment


def _shipment_packages(shipment: Shipment) -> list[PackageRow]:
    """The packages of a shipment: those of its send event (one index range of the event rows)."""
    return _package_rows(
        f"id IN (SELECT package_id FROM {EVENT_PACKAGE_TABLE} WHERE event_id = %s)",  # noqa: S608
        [shipment.send_event_id],
    )


def shipment_accept(
    *,
    actor: Actor,
    shipment_id: uuid.UUID,
    codes: list[str] | None = None,
    event_time: datetime | None = None,
    site_id: uuid.UUID | None = None,
    idempotency: Idempotency | None = None,
) -> dict:
    """Accepts a shipment whole, or only the `codes` actually received: missing packages
    stay with the sender, codes that were not in the shipment are reported; both raise alerts."""
    org = _require(actor, Op.ACCEPT)
    when = _event_time(event_time)
    site = _site(org, site_id)

    def body() -> dict:
        on = _local_day(when)
        shipment = _shipment_for_receiver(actor, org, shipment_id, Op.ACCEPT)
        res = Resolved(packages=_shipment_packages(shipment))
        res.source_of = {p.id: p.key for p in res.packages}
        res.direct = set(res.source_of)
        _check_packages(res, Op.ACCEPT, org.pk, on, addressed_to=shipment.receiver_id)
        refused = {e["code"] for e in res.errors}
        for p in res.packages:
            if p.last_event_id != shipment.send_event_id and p.key not in refused:
                res.errors.append(_error(p.key, Refusal.CHANGED_SINCE))
        _refuse_if_errors(res.errors, Op.ACCEPT, org.pk)

        received_ids, extra = (
            _received(codes, res.packages) if codes is not None else (set(res.source_of), [])
        )
        accepted = [p for p in res.packages if p.id in received_ids]
        missing = [p for p in res.packages if p.id not in received_ids]
        status = (
            ShipmentStatus.ACCEPTED
            if not missing and not extra
            else ShipmentStatus.ACCEPTED_WITH_DISCREPANCIES
        )
        event_uuid = uuid.uuid4()
        answer = _answer(
            Op.ACCEPT, event_uuid, when, len(accepted), shipment_id=str(shipment.external_id), status=status,
            missing=[p.key for p in missing][:ALERT_CODES_CAP], missing_count=len(missing),
            extra=extra[:ALERT_CODES_CAP], extra_count=len(extra),
        )  # fmt: skip
        event = _new_event(
            operation=Op.ACCEPT, actor=actor, org=org, site=site, when=when, count=len(accepted),
            idempotency=idempotency, response=answer, event_uuid=event_uuid,
            biz_transactions=shipment.send_event.biz_transactions,
            source_id=shipment.sender_id, destination_id=org.pk,
        )  # fmt: skip
        _write_event_packages(event.pk, res.packages, owner_site=True)
        now = timezone.now()
        bulk.update_where(
            PACKAGE_TABLE,
            {"state": int(State.IN_CIRCULATION), "owner_id": org.pk, "site_id": site.pk,
             "previous_owner_id": shipment.sender_id, "last_event_id": event.pk, "updated_at": now},
            [p.id for p in accepted],
        )  # fmt: skip
        bulk.update_where(
            PACKAGE_TABLE,
            {"state": int(State.IN_CIRCULATION), "container_id": None, "last_event_id": event.pk, "updated_at": now},
            [p.id for p in missing],
        )  # fmt: skip
        stock = StockChange()
        stock.enter(accepted, owner_id=org.pk, site_id=site.pk)
        stock.enter(missing)  # back in the sender's circulation
        stock.save()
        _containers_arrive(accepted, missing, owner_id=org.pk, site_id=site.pk, now=now)
        Shipment.objects.filter(pk=shipment.pk).update(status=status, close_event=event, receiver_site=site)
        alerts = []
        if missing:
            alerts.append(_discrepancy("shipment_missing", org.pk, [p.key for p in missing], shipment))
        if extra:
            alerts.append(_discrepancy("shipment_extra", org.pk, extra, shipment))
        alerts_record(alerts)
        _audit(actor, Op.ACCEPT, event, shipment=str(shipment.external_id), status=status,
               missing=len(missing), extra=len(extra))  # fmt: skip
        return answer

    return _run(Op.ACCEPT, actor, idempotency, body)


def _discrepancy(kind: str, org_id: int, codes: list[str], shipment: Shipment) -> dict:
    return {
        "kind": kind,
        "severity": "medium",
        "organization_id": org_id,
        "operation": str(Op.ACCEPT),
        "codes": codes,
        "details": {"shipment": str(shipment.external_id), "sender": shipment.sender_id},
    }


def _received(codes: list[str], packages: list[PackageRow]) -> tuple[set[int], list[str]]:
    """The shipment's package ids among the scanned codes, and the scanned codes that are not
    in it: by their canonical key (as the missing ones are named), or as scanned when unreadable."""
    by_key = {p.key: p.id for p in packages}
    request = _parse(codes, containers=True)
    package_keys, container_keys = request.packages, request.containers
    extra = [e["code"] for e in request.errors]
    received = set()
    for key in package_keys:
        if key in by_key:
            received.add(by_key[key])
        else:
            extra.append(key)
    if container_keys:
        boxes = _containers_by_keys(list(container_keys))
        scanned = {c.id: c.key for c in boxes}
        found = set(scanned.values())
        parent_of = {c.id: c.parent_id for c in _container_tree(list(scanned))}
        arrived: set[int] = set()  # scanned boxes holding (at any depth) a package of the shipment
        for p in packages:
            box = p.container_id
            while box in parent_of:
                if box in scanned:
                    arrived.add(box)
                    received.add(p.id)
                box = parent_of[box]
        extra += [key for key in container_keys if key not in found]
        extra += [
            key for box_id, key in scanned.items() if box_id not in arrived
        ]  # a box of another shipment
    return received, extra


def _containers_arrive(
    accepted: list[PackageRow], missing: list[PackageRow], *, owner_id: int, site_id: int, now: datetime
) -> None:
    """The boxes of a shipment change hands with their packages (and any box above them)."""
    box_ids = {p.container_id for p in accepted if p.container_id is not None}
    box_ids -= {p.container_id for p in missing}
    if not box_ids:
        return
    cond, params = bulk.in_list("id", sorted(box_ids))
    up = bulk.fetch(
        f"WITH RECURSIVE up(id, parent_id) AS (SELECT id, parent_id FROM {CONTAINER_TABLE} WHERE {cond} "  # noqa: S608
        f"UNION SELECT c.id, c.parent_id FROM {CONTAINER_TABLE} c JOIN up ON c.id = up.parent_id) SELECT id FROM up",
        params,
    )
    bulk.update_where(
        CONTAINER_TABLE,
        {"state": int(ContainerState.ACTIVE), "owner_id": owner_id, "site_id": site_id, "updated_at": now},
        sorted(r[0] for r in up),
    )


def shipment_reject(
    *,
    actor: Actor,
    shipment_id: uuid.UUID,
    reason: str = "",
    event_time: datetime | None = None,
    idempotency: Idempotency | None = None,
) -> dict:
    """Refuses a whole shipment: its packages go back into the sender's circulation."""
    org = _require(actor, Op.REJECT)
    when = _event_time(event_time)

    def body() -> dict:
        on = _local_day(when)
        shipment = _shipment_for_receiver(actor, org, shipment_id, Op.REJECT)
        res = Resolved(packages=_shipment_packages(shipment))
        res.source_of = {p.id: p.key for p in res.packages}
        res.direct = set(res.source_of)
        _check_packages(res, Op.REJECT, org.pk, on, addressed_to=shipment.receiver_id)
        _refuse_if_errors(res.errors, Op.REJECT, org.pk)
        event_uuid = uuid.uuid4()
        answer = _answer(
            Op.REJECT, event_uuid, when, len(res.packages), shipment_id=str(shipment.external_id),
            status=ShipmentStatus.REJECTED,
        )  # fmt: skip
        event = _new_event(
            operation=Op.REJECT, actor=actor, org=org, site=None, when=when, count=len(res.packages),
            idempotency=idempotency, response=answer, event_uuid=event_uuid,
            biz_transactions=[*shipment.send_event.biz_transactions, *([{"type": "reason", "id": reason[:200]}] if reason else [])],
            source_id=org.pk, destination_id=shipment.sender_id,
        )  # fmt: skip
        _write_event_packages(event.pk, res.packages)
        now = timezone.now()
        bulk.update_where(
            PACKAGE_TABLE,
            {"state": int(State.IN_CIRCULATION), "last_event_id": event.pk, "updated_at": now},
            [p.id for p in res.packages],
        )
        stock = StockChange()
        stock.enter(res.packages)
        stock.save()
        box_ids = sorted({p.container_id for p in res.packages if p.container_id is not None})
        if box_ids:
            cond, params = bulk.in_list("id", box_ids)
            bulk.execute(
                f"UPDATE {CONTAINER_TABLE} SET state = %s WHERE state = %s AND ({cond} OR owner_id = %s AND "  # noqa: S608
                f"id IN (SELECT parent_id FROM {CONTAINER_TABLE} WHERE {cond}))",
                [
                    int(ContainerState.ACTIVE),
                    int(ContainerState.IN_TRANSIT),
                    *params,
                    shipment.sender_id,
                    *params,
                ],
            )
        Shipment.objects.filter(pk=shipment.pk).update(status=ShipmentStatus.REJECTED, close_event=event)
        _audit(actor, Op.REJECT, event, shipment=str(shipment.external_id))
        return answer

    return _run(Op.REJECT, actor, idempotency, body)


# --- cancellation ----------------------------------------------------------------------------


def operation_cancel(*, actor: Actor, event_id: uuid.UUID, idempotency: Idempotency | None = None) -> dict:
    """Cancels the actor's own operation within the window, when nothing happened to its
    packages since; the cancellation is an event of its own and restores the previous states."""
    org = _require(actor, Op.CANCEL)

    def body() -> dict:
        original = Event.objects.select_for_update().filter(event_id=event_id).first()
        if original is None or (original.organization_id != org.pk and not actor.has_role("regulator")):
            raise NotFound("event_not_found", _("No such operation of your organisation."))
        operation = OPERATION_OF_CODE.get(original.operation, Op.CANCEL)
        age = (timezone.now() - original.record_time).total_seconds() / 86400
        refusal = rules.cancel_refusal(
            operation=operation,
            event_org=original.organization_id,
            actor_org=org.pk,
            already_cancelled=original.cancelled_by_id is not None,
            age_days=age,
            window_days=setting("CANCEL_WINDOW_DAYS"),
        )
        if refusal is not None:
            raise Conflict(
                refusal, str(_CANCEL_MESSAGES.get(refusal, refusal)), details={"event_id": str(event_id)}
            )
        prev = {
            r[0]: r[1:]
            for r in bulk.fetch(
                f"SELECT package_id, prev_state, prev_units, prev_owner_id, prev_site_id, prev_container_id "  # noqa: S608
                f"FROM {EVENT_PACKAGE_TABLE} WHERE event_id = %s",
                [original.pk],
            )
        }
        cond, params = bulk.in_list("id", sorted(prev))
        packages = _package_rows(cond, params) if prev else []
        errors = [_error(p.key, Refusal.CHANGED_SINCE) for p in packages if p.last_event_id != original.pk]
        boxes = _packing_undo(operation, original, set(prev), errors)
        _refuse_if_errors(errors, Op.CANCEL, org.pk)

        when = timezone.now()
        event_uuid = uuid.uuid4()
        answer = _answer(
            Op.CANCEL, event_uuid, when, len(packages), cancelled_event_id=str(original.event_id)
        )
        event = _new_event(
            operation=Op.CANCEL, actor=actor, org=org, site=original.site, when=when, count=len(packages),
            idempotency=idempotency, response=answer, event_uuid=event_uuid,
            biz_transactions=[{"type": "cancels", "id": str(original.event_id)}],
            withdrawn=-original.withdrawn_count,
        )  # fmt: skip
        _write_event_packages(event.pk, packages, owner_site=True, units=True)
        now = timezone.now()
        restore, never_introduced, back_in_circulation = [], [], []
        stock = StockChange()
        stock.leave(packages)
        for p in packages:
            prev_state, prev_units, prev_owner, prev_site, _prev_box = prev[p.id]
            state, reason = rules.decode_prev(prev_state)
            if state is State.NONE:
                # A cancelled introduction: the row stays, out of circulation and held by no one, so
                # the events that name the package keep naming it (history, EPCIS queries) and the
                # code may be introduced again.
                never_introduced.append(p.id)
                restore.append((p.id, int(State.NONE), 0, None, None, None, None, None, event.pk, now))
                continue
            restore.append(
                (
                    p.id, int(state), int(reason),
                    prev_units if original.units is not None else p.remaining_units,
                    prev_owner or p.owner_id, prev_site or p.site_id,
                    p.owner_id if prev_owner else p.previous_owner_id,
                    None,
                    event.pk, now,
                )
            )  # fmt: skip
            if state == State.IN_CIRCULATION:
                owner_id, site_id = restore[-1][4], restore[-1][5]
                back_in_circulation.append((owner_id, site_id, p.product_id, p.batch, p.expiry, p.flags))
        stock.add(back_in_circulation)
        bulk.update_rows(
            PACKAGE_TABLE,
            ("state", "withdraw_reason", "remaining_units", "owner_id", "site_id", "previous_owner_id",
             "withdrawn_on", "last_event_id", "updated_at"),
            ("smallint", "smallint", "integer", "bigint", "bigint", "bigint", "date", "bigint", "timestamptz"),
            restore,
        )  # fmt: skip
        if boxes is not None:
            bulk.update_rows(
                PACKAGE_TABLE, ("container_id",), ("bigint",), [(p.id, prev[p.id][4]) for p in packages]
            )
            boxes.restore(now)
        bulk.update_where(PACKAGE_TABLE, {"introduced_on": None}, never_introduced)
        stock.save()
        Event.objects.filter(pk=original.pk).update(cancelled_by=event)
        _cancel_shipment(operation, original, event)
        audit_record(
            actor=actor,
            action="package.cancel",
            object_type="traceability.event",
            object_id=str(original.event_id),
            changes={
                "operation": str(operation),
                "package_count": len(packages),
                "cancel_event": str(event_uuid),
            },
        )
        return answer

    return _run(Op.CANCEL, actor, idempotency, body)


class _BoxesBefore:
    """The boxes and pallets a packing or unpacking event changed, to be put back."""

    def __init__(self, before: list[list], created_box: int | None) -> None:
        self.before, self.created_box = before, created_box

    def restore(self, now: datetime) -> None:
        bulk.update_rows(
            CONTAINER_TABLE, ("parent_id", "state", "updated_at"), ("bigint", "smallint", "timestamptz"),
            [(cid, parent, state, now) for cid, parent, state, _p, _s in self.before if state != _CREATED],
        )  # fmt: skip
        if self.created_box is not None:  # made by the cancelled packing, empty again: never existed
            Container.objects.filter(pk=self.created_box).delete()


def _packing_undo(
    operation: Operation, original: Event, package_ids: set[int], errors: list[dict]
) -> _BoxesBefore | None:
    """For a packing or unpacking being cancelled: checks that each box it changed is still as
    the event left it (else `changed_since` naming the box) and answers how to put them back."""
    if operation not in (Op.AGGREGATE, Op.DISAGGREGATE):
        return None
    before = [list(entry) for entry in original.containers_before]
    current = {c.id: c for c in _containers_by("id", sorted(entry[0] for entry in before))}
    for cid, _parent, _state, parent_after, state_after in before:
        c = current.get(cid)
        if c is None or c.parent_id != parent_after or c.state != state_after:
            errors.append(_error(c.key if c else str(cid), Refusal.CHANGED_SINCE))
    created_box = next((entry[0] for entry in before if entry[2] == _CREATED), None)
    if created_box in current:
        # Nothing else may have gone into the new box since: cancelling empties it.
        nested = [entry[0] for entry in before if entry[2] != _CREATED]
        if Package.objects.filter(container_id=created_box).exclude(id__in=package_ids).exists() or (
            Container.objects.filter(parent_id=created_box).exclude(id__in=nested).exists()
        ):
            errors.append(_error(current[created_box].key, Refusal.CHANGED_SINCE))
    return _BoxesBefore(before, created_box)


_CANCEL_MESSAGES = {  # translated when the error is raised, in the request's language
    "not_your_operation": gettext_lazy("Only the participant who performed an operation may cancel it."),
    "already_cancelled": gettext_lazy("This operation was already cancelled."),
    "not_cancellable": gettext_lazy(
        "This operation cannot be cancelled; perform the inverse operation instead."
    ),
    "cancel_window_passed": gettext_lazy("The time allowed to cancel this operation has passed."),
}


def _cancel_shipment(operation: Operation, original: Event, cancel: Event) -> None:
    if operation is Op.SHIP:
        shipment = Shipment.objects.filter(send_event=original).first()
        if shipment is not None:
            Shipment.objects.filter(pk=shipment.pk).update(
                status=ShipmentStatus.CANCELLED, close_event=cancel
            )
            box_ids = [r[0] for r in bulk.fetch(
                f"SELECT DISTINCT container_id FROM {PACKAGE_TABLE} p JOIN {EVENT_PACKAGE_TABLE} s "  # noqa: S608
                "ON s.package_id = p.id WHERE s.event_id = %s AND p.container_id IS NOT NULL", [original.pk],
            )]  # fmt: skip
            bulk.update_where(CONTAINER_TABLE, {"state": int(ContainerState.ACTIVE)}, box_ids)
    elif operation in (Op.ACCEPT, Op.REJECT):
        Shipment.objects.filter(close_event=original).update(status=ShipmentStatus.SENT, close_event=None)


# --- regulator ----------------------------------------------------------------------------------


@transaction.atomic
def recall_create(
    *,
    actor: Actor,
    reason: str,
    kind: str = RecallKind.RECALL,
    product_id: uuid.UUID | None = None,
    batch: str = "",
    package_codes: list[str] | None = None,
) -> Recall:
    """Recalls or blocks a product, one batch of it, or a list of packages; flags them at once."""
    actor.require_role("regulator")
    org = actor.require_organization()
    if not (reason or "").strip():
        raise field_error("reason", "required", _("Give the reason for the recall."))
    product = None
    if product_id is not None:
        product = Product.objects.filter(external_id=product_id).first()
        if product is None:
            raise field_error("product", "product_not_found", _("No such product in the registry."))
    keys: list[str] = []
    if package_codes:
        request = _parse(package_codes, containers=False)
        if request.errors:
            raise ValidationFailed(
                "bad_codes", _("Some codes are not valid."), details={"errors": request.errors}
            )
        keys = list(request.packages)
    if product is None and not keys:
        raise field_error(
            "product", "recall_scope_required", _("Name a product, a batch of it, or packages.")
        )
    if batch and product is None:
        raise field_error("batch", "product_required", _("A batch is recalled together with its product."))
    recall = Recall.objects.create(
        kind=kind, product=product, batch=(batch or "")[:20], package_keys=keys, reason=reason.strip(),
        created_by=actor.user, organization=org,
    )  # fmt: skip
    recall.package_count = _recall_scope(recall).update(flags=F("flags").bitor(_flag_of(recall)))
    recall.save(update_fields=["package_count"])
    recount_products(_recall_scope(recall).values_list("product_id", flat=True).distinct())
    audit_record(
        actor=actor, action="recall.create", obj=recall,
        changes={"kind": kind, "batch": recall.batch, "packages": recall.package_count},
    )  # fmt: skip
    return recall


def _flag_of(recall: Recall) -> int:
    return int(rules.Flag.RECALLED if recall.kind == RecallKind.RECALL else rules.Flag.BLOCKED)


def _recall_scope(recall: Recall):
    qs = Package.objects.all()
    if recall.product_id is not None:
        qs = qs.filter(product_id=recall.product_id)
        if recall.batch:
            qs = qs.filter(batch=recall.batch)
    if recall.package_keys:
        cond, params = bulk.in_list("key", recall.package_keys)
        qs = qs.extra(where=[cond], params=params)  # noqa: S610 - one array/JSON parameter, no user SQL
    return qs


@transaction.atomic
def recall_lift(*, actor: Actor, recall_id: uuid.UUID, reason: str = "") -> Recall:
    """Lifts a recall; packages stay flagged only where another active recall still covers them."""
    actor.require_role("regulator")
    recall = Recall.objects.select_for_update().filter(external_id=recall_id).first()
    if recall is None:
        raise NotFound("recall_not_found", _("No such recall."))
    if recall.status != RecallStatus.ACTIVE:
        raise Conflict("recall_not_active", _("This recall was already lifted."))
    recall.status = RecallStatus.LIFTED
    recall.lifted_at = timezone.now()
    recall.lifted_by = actor.user
    recall.lift_reason = reason
    recall.save(update_fields=["status", "lifted_at", "lifted_by", "lift_reason"])
    bit = _flag_of(recall)
    _recall_scope(recall).update(flags=F("flags").bitand(~bit & 0x7FFF))
    for other in Recall.objects.filter(status=RecallStatus.ACTIVE, kind=recall.kind):
        _recall_scope(other).update(flags=F("flags").bitor(bit))
    recount_products(_recall_scope(recall).values_list("product_id", flat=True).distinct())
    audit_record(actor=actor, action="recall.lift", obj=recall, changes={"reason": reason})
    return recall


@transaction.atomic
def alert_resolve(*, actor: Actor, alert_id: uuid.UUID, note: str) -> Alert:
    """Closes an alert with the regulator's note."""
    actor.require_role("regulator")
    alert = Alert.objects.select_for_update().filter(external_id=alert_id).first()
    if alert is None:
        raise NotFound("alert_not_found", _("No such alert."))
    if alert.status != AlertStatus.OPEN:
        raise Conflict("alert_not_open", _("This alert is already resolved."))
    if not (note or "").strip():
        raise field_error("note", "required", _("Say how the alert was resolved."))
    alert.status = AlertStatus.RESOLVED
    alert.resolution_note = note.strip()
    alert.resolved_by = actor.user
    alert.resolved_at = timezone.now()
    alert.save(update_fields=["status", "resolution_note", "resolved_by", "resolved_at"])
    audit_record(actor=actor, action="alert.resolve", obj=alert, changes={"status": "resolved"})
    return alert


__all__ = [
    "Idempotency",
    "OperationRefused",
    "OperationType",
    "alert_resolve",
    "containers_aggregate",
    "containers_disaggregate",
    "idempotent_call",
    "operation_cancel",
    "packages_destroy",
    "packages_dispense",
    "packages_export",
    "packages_introduce",
    "packages_return",
    "packages_sell",
    "packages_write_off",
    "recall_create",
    "recall_lift",
    "request_hash",
    "shipment_accept",
    "shipment_reject",
    "shipment_send",
]
