"""Packing packages and boxes into boxes and pallets (SSCCs), and unpacking them."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from salamat.codes.model import CodeError, CodeKind
from salamat.core.actors import Actor
from salamat.core.errors import DomainError, field_error
from salamat.traceability import bulk
from salamat.traceability.codes import parse_many
from salamat.traceability.models import Container, ContainerState
from salamat.traceability.rules import Refusal
from salamat.traceability.services.batch import (
    DEFERRED,
    _audit_many,
    _batch_start,
    _refusal,
    _request_keys,
    _resolve_many,
    _save_events,
)
from salamat.traceability.services.engine import (
    _CREATED,
    CONTAINER_TABLE,
    PACKAGE_TABLE,
    ContainerRow,
    Op,
    Resolved,
    _check_packages,
    _container_ancestors,
    _container_refusal,
    _containers_by,
    _containers_by_keys,
    _error,
    _package_rows,
    _parse,
    _refuse_if_errors,
    _require,
    _resolve,
    _run,
)
from salamat.traceability.services.idempotency import Idempotency
from salamat.traceability.services.recording import (
    _answer,
    _audit,
    _event_row,
    _event_time,
    _local_day,
    _new_event,
    _site,
    _write_event_packages,
    _write_event_packages_many,
)


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
        res = _resolve(codes, operation=Op.AGGREGATE, actor_org=org.pk)
        _aggregate_check(res, container_code, parsed.key, parent, org.pk, on)
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


def _aggregate_check(
    res: Resolved, container_code: str, key: str, parent: ContainerRow | None, org_id: int, on: date
) -> None:
    """The rules of packing `res` into the box `key` (None: a new box): appends to `res.errors`."""
    errors: list[dict] = []
    if parent is not None:
        refusal = _container_refusal(Op.AGGREGATE, parent, org_id)
        if refusal:
            errors.append(_error(container_code, refusal))
    # Only the children themselves move into the new box; what is inside them stays put.
    res.packages = [p for p in res.packages if p.id in res.direct]
    res.errors = errors + res.errors
    _check_packages(res, Op.AGGREGATE, org_id, on)
    for p in res.packages:
        if p.container_id is not None and (parent is None or p.container_id != parent.id):
            res.errors.append(_error(res.source_of[p.id], Refusal.IN_CONTAINER))
    ancestors = _container_ancestors(parent.id) if parent is not None else set()
    for c in res.top_containers:
        if c.key == key or c.id in ancestors:
            res.errors.append(_error(res.container_raw[c.key], "container_cycle"))
        elif c.parent_id is not None:
            res.errors.append(_error(res.container_raw[c.key], Refusal.IN_CONTAINER))


def containers_aggregate_many(*, actor: Actor, requests: list[dict]) -> list[dict | DomainError | None]:
    """`containers_aggregate` for many boxes at once (see engine, batches): each request is
    `{"container_code", "codes", "event_time", "site_id"}`; each result is the answer that
    request alone would get, its refusal, or `DEFERRED` (it depends on an earlier request)."""

    def prepare(request: dict, org, sites) -> tuple[tuple, set[str]]:  # -> (when, site, box key)
        when = _event_time(request.get("event_time"))
        site = sites(request.get("site_id"))
        parsed = parse_many([request["container_code"]])[0]
        if isinstance(parsed, CodeError) or parsed.kind is not CodeKind.SSCC:
            raise field_error("container", Refusal.NOT_A_CONTAINER, _("The container code must be an SSCC."))
        return (when, site, parsed.key), {parsed.key, *_request_keys(request["codes"])}

    org, results, ready, deferred = _batch_start(actor, Op.AGGREGATE, requests, prepare)
    if org is None:
        return results

    def body() -> list:
        for i in ready:  # a deadlock's retry starts again
            results[i] = DEFERRED
        existing = {c.key: c for c in _containers_by_keys(sorted({key for _w, _s, key in ready.values()}))}
        parts = _resolve_many(
            {i: requests[i]["codes"] for i in ready},
            operation=Op.AGGREGATE,
            actor_org=org.pk,
            deferred=deferred,
        )
        made = []  # (request, when, site, key, parent, res)
        for i, res in parts.items():
            when, site, key = ready[i]
            parent = existing.get(key)
            _aggregate_check(res, requests[i]["container_code"], key, parent, org.pk, _local_day(when))
            refused = _refusal(res.errors, Op.AGGREGATE, org.pk)
            if refused is not None:
                results[i] = refused
            else:
                made.append((i, when, site, key, parent, res))
        if not made:
            return results
        new_boxes = Container.objects.bulk_create(
            [
                Container(key=key, owner=org, site=site)
                for _i, _w, site, key, parent, _r in made
                if parent is None
            ]
        )
        box_ids = iter(b.pk for b in new_boxes)
        events, box_of = [], []
        for i, when, site, key, parent, res in made:
            box_id = next(box_ids) if parent is None else parent.id
            box_of.append(box_id)
            before = [[c.id, c.parent_id, c.state, box_id, c.state] for c in res.top_containers]
            if parent is None:
                before.append([box_id, None, _CREATED, None, int(ContainerState.ACTIVE)])
            event_uuid = uuid.uuid4()
            results[i] = _answer(Op.AGGREGATE, event_uuid, when, len(res.packages), container=key)
            events.append(
                _event_row(
                    operation=Op.AGGREGATE,
                    actor=actor,
                    org=org,
                    site=site,
                    when=when,
                    count=len(res.packages),
                    event_uuid=event_uuid,
                    biz_transactions=[{"type": "sscc", "id": key}],
                    containers_before=before,
                )  # fmt: skip
            )
        events = _save_events(events)
        _write_event_packages_many(
            [(e.pk, m[5].packages) for e, m in zip(events, made, strict=True)], container=True
        )
        now = timezone.now()
        bulk.update_rows(
            PACKAGE_TABLE, ["container_id", "last_event_id", "updated_at"], ["bigint", "bigint", "timestamptz"],
            [(p.id, box, e.pk, now) for e, box, m in zip(events, box_of, made, strict=True) for p in m[5].packages],
        )  # fmt: skip
        bulk.update_rows(
            CONTAINER_TABLE, ["parent_id", "updated_at"], ["bigint", "timestamptz"],
            [(c.id, box, now) for box, m in zip(box_of, made, strict=True) for c in m[5].top_containers],
        )  # fmt: skip
        _audit_many(
            actor, Op.AGGREGATE,
            [(e, {"container": m[3], "containers": len(m[5].top_containers)}) for e, m in zip(events, made, strict=True)],
        )  # fmt: skip
        return results

    if not ready:
        return results
    return _run(Op.AGGREGATE, actor, None, body)


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
