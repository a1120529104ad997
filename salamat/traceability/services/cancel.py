"""Cancelling one's own recent operation, whole or some of its packages: a cancellation event
that restores the previous states."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salamat.core.actors import Actor
from salamat.core.audit import audit_record
from salamat.core.conf import setting
from salamat.core.errors import Conflict, NotFound, field_error
from salamat.traceability import bulk, daily, rules
from salamat.traceability.models import (
    OPERATION_CODE,
    OPERATION_OF_CODE,
    Container,
    ContainerState,
    Event,
    Package,
    Shipment,
    ShipmentStatus,
)
from salamat.traceability.rules import Operation, Refusal, State
from salamat.traceability.services.engine import (
    _CREATED,
    CONTAINER_TABLE,
    EVENT_PACKAGE_TABLE,
    PACKAGE_TABLE,
    Op,
    _containers_by,
    _error,
    _package_rows,
    _parse,
    _refuse_if_errors,
    _require,
    _run,
)
from salamat.traceability.services.idempotency import Idempotency
from salamat.traceability.services.recording import (
    _answer,
    _new_event,
    _write_event_packages,
)
from salamat.traceability.stock import StockChange

# Operations whose packages may be cancelled one by one (a customer brings one pack back): each
# package's undoing stands alone. Shipping, receiving and packing move shipments and boxes whose
# bookkeeping is whole; they are cancelled whole.
PER_PACKAGE_CANCELLABLE = frozenset(
    {Op.INTRODUCE, Op.SELL, Op.DISPENSE, Op.WRITE_OFF, Op.DESTROY, Op.EXPORT, Op.RETURN}
)

# The states an introduction starts from (no state, or registered for a sticker): a package put
# back in one of them by a cancellation has no introduction day.
_BEFORE_INTRODUCTION = rules.TRANSITIONS[Op.INTRODUCE].sources


def _original_for_cancel(org, actor: Actor, event_id: uuid.UUID) -> tuple[Event, Operation]:
    """The operation to cancel, locked, after the rules for cancelling it (owner, window, kind)."""
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
    return original, operation


def _previous_states(original: Event, package_ids: list[int] | None = None) -> dict[int, tuple]:
    """Package id -> (prev_state, prev_units, prev_owner, prev_site, prev_box) as the operation found them."""
    sql = (
        f"SELECT package_id, prev_state, prev_units, prev_owner_id, prev_site_id, prev_container_id "  # noqa: S608
        f"FROM {EVENT_PACKAGE_TABLE} WHERE event_id = %s"
    )
    params: list = [original.pk]
    if package_ids is not None:
        cond, more = bulk.in_list("package_id", package_ids)
        sql, params = f"{sql} AND {cond}", params + more
    return {r[0]: r[1:] for r in bulk.fetch(sql, params)}


def _undone_one_by_one(original: Event, packages: list) -> set[int]:
    """The packages whose last event is a per-package cancellation of `original` (already put back)."""
    later = {p.last_event_id for p in packages if p.last_event_id not in (None, original.pk)}
    if not later:
        return set()
    cancels = {
        e.pk
        for e in Event.objects.filter(pk__in=later, operation=OPERATION_CODE[Op.CANCEL]).only(
            "pk", "biz_transactions"
        )
        if {"type": "cancels", "id": str(original.event_id)} in e.biz_transactions
    }
    return {p.id for p in packages if p.last_event_id in cancels}


def operation_cancel(*, actor: Actor, event_id: uuid.UUID, idempotency: Idempotency | None = None) -> dict:
    """Cancels the actor's own operation within the window, when nothing happened to its
    packages since; the cancellation is an event of its own and restores the previous states.
    Packages already cancelled one by one stay as they are."""
    org = _require(actor, Op.CANCEL)

    def body() -> dict:
        original, operation = _original_for_cancel(org, actor, event_id)
        prev = _previous_states(original)
        cond, params = bulk.in_list("id", sorted(prev))
        packages = _package_rows(cond, params) if prev else []
        undone = _undone_one_by_one(original, packages) if operation in PER_PACKAGE_CANCELLABLE else set()
        if undone and len(undone) == len(packages):
            raise Conflict(
                "already_cancelled",
                str(_CANCEL_MESSAGES["already_cancelled"]),
                details={"event_id": str(event_id)},
            )
        packages = [p for p in packages if p.id not in undone]
        errors = [_error(p.key, Refusal.CHANGED_SINCE) for p in packages if p.last_event_id != original.pk]
        boxes = _packing_undo(operation, original, set(prev), errors)
        _refuse_if_errors(errors, Op.CANCEL, org.pk)
        # Packages cancelled one by one already gave back what they had withdrawn.
        answer, event = _cancel_event(actor, org, original, packages, idempotency, whole=not undone)
        _restore(original, event, packages, prev, boxes)
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
                "cancel_event": answer["event_id"],
            },
        )
        return answer

    return _run(Op.CANCEL, actor, idempotency, body)


def operation_cancel_packages(
    *, actor: Actor, event_id: uuid.UUID, codes: list[str], idempotency: Idempotency | None = None
) -> dict:
    """Cancels some packages of the actor's own operation (a customer returns one pack of a
    sale), by the same rules as a whole cancellation: the window, the owner, the kind of
    operation, nothing happened to those packages since. The operation stays, for the others."""
    org = _require(actor, Op.CANCEL)
    if not [c for c in codes if c.strip()]:
        raise field_error(
            "codes", "codes_required", _("Give the code of at least one package of the operation.")
        )

    def body() -> dict:
        original, operation = _original_for_cancel(org, actor, event_id)
        if operation not in PER_PACKAGE_CANCELLABLE:
            raise Conflict(
                "not_cancellable_per_package",
                _("This operation is cancelled whole only (shipments, receiving and packing)."),
                details={"event_id": str(event_id)},
            )
        parsed = _parse(codes, containers=False)
        errors = list(parsed.errors)
        keys = list(parsed.packages)
        by_key = {}
        if keys:
            cond, params = bulk.in_list("key", keys)
            by_key = {p.key: p for p in _package_rows(cond, params)}
        prev = _previous_states(original, sorted(p.id for p in by_key.values())) if by_key else {}
        chosen = [by_key[k] for k in keys if k in by_key and by_key[k].id in prev]
        undone = _undone_one_by_one(original, chosen)
        for key, raw in parsed.packages.items():
            package = by_key.get(key)
            if package is None or package.id not in prev:
                errors.append(_error(raw, "not_in_operation"))
            elif package.id in undone:
                errors.append(_error(raw, "package_already_cancelled"))
            elif package.last_event_id != original.pk:
                errors.append(_error(raw, Refusal.CHANGED_SINCE))
        _refuse_if_errors(errors, Op.CANCEL, org.pk)
        chosen.sort(key=lambda p: p.id)
        answer, event = _cancel_event(actor, org, original, chosen, idempotency, whole=False)
        _restore(original, event, chosen, prev, None)
        audit_record(
            actor=actor,
            action="package.cancel_packages",
            object_type="traceability.event",
            object_id=str(original.event_id),
            changes={
                "operation": str(operation),
                "package_count": len(chosen),
                "packages": [p.key for p in chosen],
                "cancel_event": answer["event_id"],
            },
        )
        return answer

    return _run(Op.CANCEL, actor, idempotency, body)


def _cancel_event(
    actor, org, original: Event, packages: list, idempotency, *, whole: bool
) -> tuple[dict, Event]:
    """The cancellation event (and its event-package rows); answers the answer and the event."""
    when = timezone.now()
    event_uuid = uuid.uuid4()
    answer = _answer(Op.CANCEL, event_uuid, when, len(packages), cancelled_event_id=str(original.event_id))
    if whole:
        withdrawn = -original.withdrawn_count
    else:  # what the operation took out of circulation of these packages (all of it is theirs)
        withdrawn = -sum(1 for p in packages if p.state == State.WITHDRAWN)
    event = _new_event(
        operation=Op.CANCEL, actor=actor, org=org, site=original.site, when=when, count=len(packages),
        idempotency=idempotency, response=answer, event_uuid=event_uuid,
        biz_transactions=[{"type": "cancels", "id": str(original.event_id)}],
        withdrawn=withdrawn,
    )  # fmt: skip
    _write_event_packages(event.pk, packages, owner_site=True, units=True)
    return answer, event


def _restore(original: Event, event: Event, packages: list, prev: dict, boxes: _BoxesBefore | None) -> None:
    """Puts `packages` back as `original` found them (states, units, owners, boxes, stock)."""
    now = timezone.now()
    restore, not_introduced, back_in_circulation = [], [], []
    stock = StockChange()
    stock.leave(packages)
    for p in packages:
        prev_state, prev_units, prev_owner, prev_site, _prev_box = prev[p.id]
        state, reason = rules.decode_prev(prev_state)
        if state in _BEFORE_INTRODUCTION:
            # A cancelled introduction: back in a state an introduction starts from, with no
            # introduction day (so removing a sticker's package later, when the sticker is voided,
            # leaves the daily counters as a recount would).
            not_introduced.append(p.id)
        if state is State.NONE:
            # The row stays, out of circulation and held by no one, so the events that name the
            # package keep naming it (history, EPCIS queries) and the code may be introduced again.
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
    # Every package loses its withdrawal day; a cancelled introduction its introduction day too.
    # Recorded before the packages are written: it reads their days.
    dates = daily.DatesChange()
    cleared = set(not_introduced)
    dates.packages([p.id for p in packages if p.id not in cleared], withdrawn_on=None)
    dates.packages(not_introduced, introduced_on=None, withdrawn_on=None)
    dates.save()
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
    bulk.update_where(PACKAGE_TABLE, {"introduced_on": None}, not_introduced)
    stock.save()


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
