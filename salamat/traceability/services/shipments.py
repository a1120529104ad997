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
from salamat.traceability.models import ALERT_CODES_CAP, ContainerState, Shipment, ShipmentStatus
from salamat.traceability.rules import Operation, Refusal, State
from salamat.traceability.services.engine import (
    CONTAINER_TABLE,
    EVENT_PACKAGE_TABLE,
    PACKAGE_TABLE,
    Op,
    OperationRefused,
    PackageRow,
    Resolved,
    _answer,
    _audit,
    _check_packages,
    _container_tree,
    _containers_by_keys,
    _error,
    _event_time,
    _local_day,
    _new_event,
    _package_rows,
    _parse,
    _refuse_if_errors,
    _require,
    _resolve,
    _run,
    _site,
    _write_event_packages,
    alerts_record,
)
from salamat.traceability.services.idempotency import Idempotency
from salamat.traceability.stock import StockChange


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
