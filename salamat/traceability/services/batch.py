"""Batches: many requests of one operation by one actor in one transaction (see below).

Shared by the `_many` services of containers.py and shipments.py; the single-request machinery
they build on is in engine.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from salamat.core import context
from salamat.core.actors import Actor
from salamat.core.errors import DomainError
from salamat.registry.models import Organization, Site
from salamat.traceability.models import Event
from salamat.traceability.rules import Operation
from salamat.traceability.services.engine import (
    OperationRefused,
    Parsed,
    Resolved,
    _box_raw_of,
    _parse_into,
    _refuse_if_errors,
    _require,
    _resolve,
)
from salamat.traceability.services.recording import (
    _site,
)

# --- batches ----------------------------------------------------------------------------
#
# A batch is many requests of one operation by one actor (an EPCIS document's run of packing,
# shipping or receiving events), applied in one transaction with a few set-based statements
# for all of them. Each request keeps its own verdict, event, audit row and answer, exactly
# as if it had been made alone, in order: the codes of all requests are resolved together,
# split back per request, and checked by the same rules. A request that shares a package, a
# box or a shipment with an earlier one of the batch depends on it: it is left out (`DEFERRED`)
# for the caller to make on its own afterwards, so requests of one batch never interact.

DEFERRED = None  # a batch result: not made, depends on an earlier request of the batch


class _Sites:
    """`_site` once per site id of a batch (its refusal too)."""

    def __init__(self, org: Organization):
        self.org = org
        self.found: dict[Any, Site | DomainError] = {}

    def __call__(self, site_id: uuid.UUID | str | None) -> Site:
        if site_id not in self.found:
            try:
                self.found[site_id] = _site(self.org, site_id)
            except DomainError as exc:
                self.found[site_id] = exc
        found = self.found[site_id]
        if isinstance(found, DomainError):
            raise found
        return found


# What one request of a batch needs, and the keys (codes, boxes, shipments) it touches.
Prepare = Callable[[dict, Organization, _Sites], tuple[Any, Iterable]]


def _batch_start(
    actor: Actor, operation: Operation, requests: list[dict], prepare: Prepare
) -> tuple[Organization | None, list, dict[int, Any], set[int]]:
    """The first pass of every batch: who acts (refused: every request is, `org` None), then
    each request's own checks, `prepare(request, org, sites)`, which returns what the request
    needs or raises its refusal. A request touching a key of an earlier one is deferred.
    Returns (org, results so far, {request: what it needs}, deferred requests)."""
    try:
        org = _require(actor, operation)
    except DomainError as exc:
        return None, [exc] * len(requests), {}, set()
    results: list = [DEFERRED] * len(requests)
    sites = _Sites(org)
    ready: dict[int, Any] = {}
    claimed: set = set()
    deferred: set[int] = set()
    for i, request in enumerate(requests):
        try:
            needs, keys = prepare(request, org, sites)
        except DomainError as exc:
            results[i] = exc
            continue
        if not _claim(claimed, keys):
            deferred.add(i)
            continue
        ready[i] = needs
    return org, results, ready, deferred


def _claim(claimed: set, keys: Iterable) -> bool:
    """Claims `keys` for a request of a batch; False (nothing claimed) when one is taken."""
    keys = set(keys)
    if not claimed.isdisjoint(keys):
        claimed.update(keys)  # what depends on this request depends on it too
        return False
    claimed.update(keys)
    return True


def _request_keys(raws: list[str]) -> set[str]:
    """The package and box keys a request names (unreadable codes name nothing)."""
    parsed = Parsed([], {}, {}, {})
    _parse_into(parsed, raws, containers=True, keys_only=True)
    return {*parsed.packages, *parsed.containers}


def _resolve_many(
    requests: dict[int, list[str]], *, operation: Operation, actor_org: int, deferred: set[int]
) -> dict[int, Resolved]:
    """`_resolve` for the requests of a batch at once (their codes name disjoint packages and
    boxes), split back per request. A request that reaches, through boxes, a package or a box
    another request of the batch names is added to `deferred` (the later of the two), and the
    rest are resolved again without it."""
    while True:
        live = {i: codes for i, codes in requests.items() if i not in deferred}
        if not live:
            return {}
        owner: dict[str, int] = {}
        raws: list[str] = []
        for i, codes in live.items():
            for raw in codes:
                owner.setdefault(raw, i)
            raws += codes
        res = _resolve(raws, operation=operation, actor_org=actor_org)
        box_raw = _box_raw_of(res, res.container_raw)
        box_owner = {cid: owner[raw] for cid, raw in box_raw.items()}
        clashes = set()
        for row in res.packages:
            if row.id in res.direct and row.container_id in box_owner:
                i, j = owner[res.source_of[row.id]], box_owner[row.container_id]
                if i != j:
                    clashes.add(max(i, j))
        for c in res.top_containers:
            if c.parent_id in box_owner:
                i, j = owner[res.container_raw[c.key]], box_owner[c.parent_id]
                if i != j:
                    clashes.add(max(i, j))
        if clashes:
            deferred |= clashes
            continue
        out = {i: Resolved() for i in live}
        for err in res.errors:
            out[owner[err["code"]]].errors.append(err)
        for row in res.packages:
            part = out[owner[res.source_of[row.id]]]
            part.packages.append(row)
            part.source_of[row.id] = res.source_of[row.id]
            if row.id in res.direct:
                part.direct.add(row.id)
        for c in res.containers:
            if c.id in box_owner:
                out[box_owner[c.id]].containers.append(c)
        for c in res.top_containers:
            part = out[owner[res.container_raw[c.key]]]
            part.top_containers.append(c)
        for key, raw in res.container_raw.items():
            out[owner[raw]].container_raw[key] = raw
        for key, raw in res.missing:
            out[owner[raw]].missing.append((key, raw))
        return out


def _refusal(errors: list[dict], operation: Operation, actor_org: int) -> OperationRefused | None:
    """The refusal `_refuse_if_errors` would raise, as a value (a batch goes on without it)."""
    try:
        _refuse_if_errors(errors, operation, actor_org)
    except OperationRefused as refused:
        return refused
    return None


def _save_events(events: list[Event]) -> list[Event]:
    """Inserts the event rows of a batch in one statement (their ids come back, in order)."""
    return Event.objects.bulk_create(events) if events else []


def _audit_many(actor: Actor, operation: Operation, entries: list[tuple[Event, dict[str, Any]]]) -> None:
    """`_audit` for the events of a batch: one row per event, as alone, in one statement."""
    from salamat.core.audit import _scrub
    from salamat.core.models import AuditLog

    ctx = context.current()
    AuditLog.objects.bulk_create(
        [
            AuditLog(
                actor_user=actor.user,
                actor_client=actor.api_client,
                organization=actor.organization,
                action=f"package.{operation}",
                object_type="traceability.event",
                object_id=str(event.event_id),
                changes=_scrub({"package_count": event.package_count, **changes}),
                ip=ctx.ip,
                request_id=ctx.request_id,
            )  # fmt: skip
            for event, changes in entries
        ]
    )
