"""Shipments between participants: send, accept (whole or as scanned), reject."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from salamat.core.actors import Actor
from salamat.core.errors import Conflict, DomainError, NotFound, field_error
from salamat.registry.models import Organization, OrganizationStatus
from salamat.traceability import bulk, rules
from salamat.traceability.models import ALERT_CODES_CAP, ContainerState, Event, Shipment, ShipmentStatus
from salamat.traceability.rules import Operation, Refusal, State
from salamat.traceability.services import fast as fastpath
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
    CONTAINER_TABLE,
    EVENT_PACKAGE_TABLE,
    PACKAGE_TABLE,
    Fallback,
    Op,
    OperationRefused,
    PackageRow,
    Resolved,
    _check_packages,
    _container_tree,
    _containers_by_keys,
    _error,
    _package_rows,
    _parse,
    _refuse_if_errors,
    _require,
    _resolve,
    _run,
    alerts_record,
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
from salamat.traceability.stock import StockChange

SHIPMENT_TABLE = Shipment._meta.db_table


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
    receiver = _receiver(org, receiver_id)

    def record(count: int) -> tuple[dict, Event, uuid.UUID]:
        """The send event and its shipment, for `count` packages; the answer, the event, the
        shipment's id (both paths below)."""
        event_uuid, shipment_uuid = uuid.uuid4(), uuid.uuid4()
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
        return answer, event, shipment_uuid

    def body() -> dict:
        on = _local_day(when)
        res = _resolve(codes, operation=Op.SHIP, actor_org=org.pk)
        _check_packages(res, Op.SHIP, org.pk, on)
        _refuse_if_errors(res.errors, Op.SHIP, org.pk)

        answer, event, shipment_uuid = record(len(res.packages))
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

    def fast() -> dict:  # every code a package the sender may ship, no box (see services.fast)
        on = _local_day(when)
        where, where_params, prev_state = fastpath.owner_rules(Op.SHIP, org.pk, on)
        count = len(codes)
        answer, event, shipment_uuid = record(count)
        fastpath.update_by_codes(
            keys,
            count,
            sets={
                "state": ("smallint", int(State.IN_TRANSIT)),
                "last_event_id": ("bigint", event.pk),
                "updated_at": ("timestamptz", timezone.now()),
                "container_id": ("bigint", None),  # a package taken out of a box leaves it
            },
            where=where, where_params=where_params, event_id=event.pk, prev_state=prev_state, owner_id=org.pk,
        )  # fmt: skip
        _audit(actor, Op.SHIP, event, shipment=str(shipment_uuid), receiver=str(receiver.external_id))
        return answer

    keys = fastpath.keys_of(codes)
    return _run(Op.SHIP, actor, idempotency, body, fast if keys is not None else None)


def _receiver(org: Organization, receiver_id: uuid.UUID) -> Organization:
    receiver = Organization.objects.filter(external_id=receiver_id).first()
    if receiver is None:
        raise NotFound("receiver_not_found", _("No such participant."))
    if receiver.pk == org.pk:
        raise field_error("receiver", "receiver_is_sender", _("A shipment goes to another participant."))
    if receiver.status != OrganizationStatus.ACTIVE:
        raise DomainError("receiver_not_active", _("The receiver is not an active participant."))
    return receiver


def shipments_send_many(*, actor: Actor, requests: list[dict]) -> list[dict | DomainError | None]:
    """`shipment_send` for many shipments at once (see engine, batches): each request is
    `{"receiver_id", "codes", "invoice_number", "event_time", "site_id"}`; each result is the
    answer that request alone would get, its refusal, or `DEFERRED`."""
    receivers: dict[uuid.UUID, Organization | DomainError] = {}

    def prepare(
        request: dict, org: Organization, sites
    ) -> tuple[tuple, set[str]]:  # -> (when, site, receiver)
        when = _event_time(request.get("event_time"))
        site = sites(request.get("site_id"))
        receiver_id = request["receiver_id"]
        if receiver_id not in receivers:
            try:
                receivers[receiver_id] = _receiver(org, receiver_id)
            except DomainError as exc:
                receivers[receiver_id] = exc
        receiver = receivers[receiver_id]
        if isinstance(receiver, DomainError):
            raise receiver
        return (when, site, receiver), _request_keys(request["codes"])

    org, results, ready, deferred = _batch_start(actor, Op.SHIP, requests, prepare)
    if org is None:
        return results

    def body() -> list:
        for i in ready:  # a deadlock's retry starts again
            results[i] = DEFERRED
        parts = _resolve_many(
            {i: requests[i]["codes"] for i in ready}, operation=Op.SHIP, actor_org=org.pk, deferred=deferred
        )
        made = []  # (request, res)
        for i, res in parts.items():
            _check_packages(res, Op.SHIP, org.pk, _local_day(ready[i][0]))
            refused = _refusal(res.errors, Op.SHIP, org.pk)
            if refused is not None:
                results[i] = refused
            else:
                made.append((i, res))
        if not made:
            return results
        events, shipments = [], []
        for i, res in made:
            when, site, receiver = ready[i]
            invoice_number = (requests[i].get("invoice_number") or "")[:64]
            event_uuid, shipment_uuid = uuid.uuid4(), uuid.uuid4()
            count = len(res.packages)
            results[i] = _answer(Op.SHIP, event_uuid, when, count, shipment_id=str(shipment_uuid))
            txn = [{"type": "inv", "id": invoice_number, "date": None}]
            events.append(
                _event_row(
                    operation=Op.SHIP,
                    actor=actor,
                    org=org,
                    site=site,
                    when=when,
                    count=count,
                    event_uuid=event_uuid,
                    biz_transactions=txn if invoice_number else None,
                    source_id=org.pk,
                    destination_id=receiver.pk,
                )  # fmt: skip
            )
            shipments.append(
                Shipment(
                    external_id=shipment_uuid,
                    sender=org,
                    sender_site=site,
                    receiver=receiver,
                    invoice_number=invoice_number,
                    package_count=count,
                )  # fmt: skip
            )
        events = _save_events(events)
        for shipment, event in zip(shipments, events, strict=True):
            shipment.send_event = event
        Shipment.objects.bulk_create(shipments)
        _write_event_packages_many([(e.pk, res.packages) for e, (_i, res) in zip(events, made, strict=True)])
        now = timezone.now()
        packages = [p for _i, res in made for p in res.packages]
        bulk.update_rows(
            PACKAGE_TABLE, ["state", "last_event_id", "updated_at"], ["smallint", "bigint", "timestamptz"],
            [(p.id, int(State.IN_TRANSIT), e.pk, now) for e, (_i, res) in zip(events, made, strict=True) for p in res.packages],
        )  # fmt: skip
        stock = StockChange()
        stock.leave(packages)
        stock.save()
        shipped_boxes = {c.id for _i, res in made for c in res.containers}
        # A package taken out of a box that stays behind leaves the box.
        bulk.update_where(
            PACKAGE_TABLE,
            {"container_id": None},
            [p.id for p in packages if p.container_id is not None and p.container_id not in shipped_boxes],
        )
        bulk.update_where(
            CONTAINER_TABLE,
            {"state": int(ContainerState.IN_TRANSIT), "updated_at": now},
            sorted(shipped_boxes),
        )
        bulk.update_where(
            CONTAINER_TABLE,
            {"parent_id": None},
            [
                c.id
                for _i, res in made
                for c in res.top_containers
                if c.parent_id is not None and c.parent_id not in shipped_boxes
            ],
        )
        _audit_many(
            actor, Op.SHIP,
            [
                (e, {"shipment": results[i]["shipment_id"], "receiver": str(ready[i][2].external_id)})
                for e, (i, _res) in zip(events, made, strict=True)
            ],
        )  # fmt: skip
        return results

    if not ready:
        return results
    return _run(Op.SHIP, actor, None, body)


def _shipment_for_receiver(
    actor: Actor, org: Organization, shipment_id: uuid.UUID, operation: Operation
) -> Shipment:
    shipment = (
        Shipment.objects.select_for_update(of=("self",))
        .select_related("send_event")
        .filter(external_id=shipment_id)
        .first()
    )
    _shipment_check(shipment, org, shipment_id, operation)
    return shipment


def _shipment_check(
    shipment: Shipment | None, org: Organization, shipment_id: uuid.UUID, operation: Operation
) -> None:
    """Refuses a shipment that is not there, not addressed to `org`, or no longer pending."""
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

    def fast() -> dict:  # the whole shipment, every package as the send left it (see services.fast)
        try:
            shipment = _shipment_for_receiver(actor, org, shipment_id, Op.ACCEPT)
        except DomainError:
            raise Fallback from None  # the general path refuses it, with its alerts
        count = shipment.package_count
        status = ShipmentStatus.ACCEPTED
        event_uuid = uuid.uuid4()
        answer = _answer(
            Op.ACCEPT, event_uuid, when, count, shipment_id=str(shipment.external_id), status=status,
            missing=[], missing_count=0, extra=[], extra_count=0,
        )  # fmt: skip
        event = _new_event(
            operation=Op.ACCEPT, actor=actor, org=org, site=site, when=when, count=count,
            idempotency=idempotency, response=answer, event_uuid=event_uuid,
            biz_transactions=shipment.send_event.biz_transactions,
            source_id=shipment.sender_id, destination_id=org.pk,
        )  # fmt: skip
        now = timezone.now()
        groups = fastpath.accept_shipment(
            send_event_id=shipment.send_event_id, sender_id=shipment.sender_id,
            sender_site_id=shipment.sender_site_id, owner_id=org.pk,
            site_id=site.pk, event_id=event.pk, now=now, total=count,
        )  # fmt: skip
        _boxes_arrive({g[3] for g in groups if g[3] is not None}, owner_id=org.pk, site_id=site.pk, now=now)
        Shipment.objects.filter(pk=shipment.pk).update(status=status, close_event=event, receiver_site=site)
        _audit(actor, Op.ACCEPT, event, shipment=str(shipment.external_id), status=status, missing=0, extra=0)
        return answer

    return _run(Op.ACCEPT, actor, idempotency, body, fast if bulk.is_postgres() and codes is None else None)


def shipments_accept_many(*, actor: Actor, requests: list[dict]) -> list[dict | DomainError | None]:
    """`shipment_accept` for many shipments at once (see engine, batches): each request is
    `{"shipment_id", "codes", "event_time", "site_id"}`; each result is the answer that
    request alone would get, its refusal, or `DEFERRED` (the shipment is an earlier one's)."""

    def prepare(request: dict, _org, sites) -> tuple[tuple, set[str]]:  # -> (when, site)
        when = _event_time(request.get("event_time"))
        return (when, sites(request.get("site_id"))), {str(request["shipment_id"])}

    org, results, ready, _deferred = _batch_start(actor, Op.ACCEPT, requests, prepare)
    if org is None:
        return results

    def body() -> list:
        for i in ready:  # a deadlock's retry starts again
            results[i] = DEFERRED
        wanted = sorted({str(requests[i]["shipment_id"]) for i in ready})
        found = {
            str(s.external_id): s
            for s in Shipment.objects.select_for_update(of=("self",))
            .select_related("send_event")
            .filter(external_id__in=wanted)
            .order_by("id")
        }
        send_events = sorted({s.send_event_id for s in found.values()})
        packages_of: dict[int, list[PackageRow]] = {e: [] for e in send_events}
        if send_events:
            cond, params = bulk.in_list("event_id", send_events)
            sql = f"SELECT event_id, package_id FROM {EVENT_PACKAGE_TABLE} WHERE {cond}"  # noqa: S608
            event_of = {package: event for event, package in bulk.fetch(sql, params)}
            if event_of:
                for row in _package_rows(*bulk.in_list("id", sorted(event_of))):
                    packages_of[event_of[row.id]].append(row)
        made = []  # (request, shipment, res, accepted, missing, extra, status)
        alerts: list[dict] = []
        for i in ready:
            when, site = ready[i]
            shipment_id = requests[i]["shipment_id"]
            shipment = found.get(str(shipment_id))
            try:
                _shipment_check(shipment, org, shipment_id, Op.ACCEPT)
            except DomainError as exc:
                results[i] = exc
                continue
            res = Resolved(packages=packages_of[shipment.send_event_id])
            res.source_of = {p.id: p.key for p in res.packages}
            res.direct = set(res.source_of)
            _check_packages(res, Op.ACCEPT, org.pk, _local_day(when), addressed_to=shipment.receiver_id)
            refused = {e["code"] for e in res.errors}
            for p in res.packages:
                if p.last_event_id != shipment.send_event_id and p.key not in refused:
                    res.errors.append(_error(p.key, Refusal.CHANGED_SINCE))
            refusal = _refusal(res.errors, Op.ACCEPT, org.pk)
            if refusal is not None:
                results[i] = refusal
                continue
            codes = requests[i].get("codes")
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
            made.append((i, shipment, res, accepted, missing, extra, status))
        if not made:
            return results
        events = []
        for i, shipment, _res, accepted, missing, extra, status in made:
            when, site = ready[i]
            event_uuid = uuid.uuid4()
            results[i] = _answer(
                Op.ACCEPT, event_uuid, when, len(accepted), shipment_id=str(shipment.external_id), status=status,
                missing=[p.key for p in missing][:ALERT_CODES_CAP], missing_count=len(missing),
                extra=extra[:ALERT_CODES_CAP], extra_count=len(extra),
            )  # fmt: skip
            events.append(
                _event_row(
                    operation=Op.ACCEPT,
                    actor=actor,
                    org=org,
                    site=site,
                    when=when,
                    count=len(accepted),
                    event_uuid=event_uuid,
                    biz_transactions=shipment.send_event.biz_transactions,
                    source_id=shipment.sender_id,
                    destination_id=org.pk,
                )  # fmt: skip
            )
        events = _save_events(events)
        _write_event_packages_many(
            [(e.pk, m[2].packages) for e, m in zip(events, made, strict=True)], owner_site=True
        )
        now = timezone.now()
        in_circulation = int(State.IN_CIRCULATION)
        bulk.update_rows(
            PACKAGE_TABLE,
            ["state", "owner_id", "site_id", "previous_owner_id", "last_event_id", "updated_at"],
            ["smallint", "bigint", "bigint", "bigint", "bigint", "timestamptz"],
            [
                (p.id, in_circulation, org.pk, ready[m[0]][1].pk, m[1].sender_id, e.pk, now)
                for e, m in zip(events, made, strict=True)
                for p in m[3]
            ],
        )
        bulk.update_rows(
            PACKAGE_TABLE, ["state", "container_id", "last_event_id", "updated_at"],
            ["smallint", "bigint", "bigint", "timestamptz"],
            [(p.id, in_circulation, None, e.pk, now) for e, m in zip(events, made, strict=True) for p in m[4]],
        )  # fmt: skip
        stock = StockChange()
        arriving: dict[int, tuple[list, list]] = {}  # site -> (accepted, missing) of its shipments
        for i, _shipment, _res, accepted, missing, _extra, _status in made:
            site = ready[i][1]
            stock.enter(accepted, owner_id=org.pk, site_id=site.pk)
            stock.enter(missing)  # back in the sender's circulation
            boxes = {p.container_id for p in accepted if p.container_id is not None}
            boxes -= {p.container_id for p in missing}
            arriving.setdefault(site.pk, ([], []))[0].extend(p for p in accepted if p.container_id in boxes)
        stock.save()
        for site_pk, (accepted, missing) in arriving.items():
            _containers_arrive(accepted, missing, owner_id=org.pk, site_id=site_pk, now=now)
        bulk.update_rows(
            SHIPMENT_TABLE, ["status", "close_event_id", "receiver_site_id"], ["varchar", "bigint", "bigint"],
            [(m[1].pk, str(m[6]), e.pk, ready[m[0]][1].pk) for e, m in zip(events, made, strict=True)],
        )  # fmt: skip
        for _i, shipment, _res, _accepted, missing, extra, _status in made:
            if missing:
                alerts.append(_discrepancy("shipment_missing", org.pk, [p.key for p in missing], shipment))
            if extra:
                alerts.append(_discrepancy("shipment_extra", org.pk, extra, shipment))
        alerts_record(alerts)
        _audit_many(
            actor, Op.ACCEPT,
            [
                (e, {"shipment": str(m[1].external_id), "status": m[6], "missing": len(m[4]), "extra": len(m[5])})
                for e, m in zip(events, made, strict=True)
            ],
        )  # fmt: skip
        return results

    if not ready:
        return results
    return _run(Op.ACCEPT, actor, None, body)


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
    _boxes_arrive(box_ids, owner_id=owner_id, site_id=site_id, now=now)


def _boxes_arrive(box_ids: set[int], *, owner_id: int, site_id: int, now: datetime) -> None:
    """These boxes (and any box above them) change hands."""
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
