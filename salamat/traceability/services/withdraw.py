"""Operations on packages the actor holds that take them out of its hands: sell, dispense,
write off, destroy, export (they leave circulation) and return (to the previous owner)."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from salamat.core.actors import Actor
from salamat.core.errors import field_error
from salamat.registry.models import Product, Site
from salamat.traceability import bulk, daily, rules
from salamat.traceability.models import ContainerState
from salamat.traceability.rules import Operation, State
from salamat.traceability.services import fast as fastpath
from salamat.traceability.services.engine import (
    CONTAINER_TABLE,
    PACKAGE_TABLE,
    Op,
    _check_packages,
    _refuse_if_errors,
    _require,
    _resolve,
    _run,
)
from salamat.traceability.services.idempotency import Idempotency
from salamat.traceability.services.recording import (
    _answer,
    _audit,
    _event_time,
    _local_day,
    _new_event,
    _site,
    _write_event_packages,
)
from salamat.traceability.stock import StockChange


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
        dates = daily.DatesChange()  # before the packages are written: it reads their days
        if units is None:
            target = rules.TRANSITIONS[operation]
            dates.packages([p.id for p in res.packages], withdrawn_on=on)
            dates.save()
            bulk.update_where(
                PACKAGE_TABLE,
                {
                    "state": int(target.target), "withdraw_reason": int(target.reason), "container_id": None,
                    "last_event_id": event.pk, "withdrawn_on": on, "updated_at": now,
                },
                [p.id for p in res.packages],
            )  # fmt: skip
        else:
            dates.packages([p.id for p, o in outcomes if o.state is State.WITHDRAWN], withdrawn_on=on)
            dates.packages([p.id for p, o in outcomes if o.state is not State.WITHDRAWN], withdrawn_on=None)
            dates.save()
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

    def fast() -> dict:  # every code a package of the actor's, whole, no box (see services.fast)
        on = _local_day(when)
        where, where_params, prev_state = fastpath.owner_rules(operation, org.pk, on)
        target = rules.TRANSITIONS[operation]
        count = len(codes)
        withdrawn = count if target.target is State.WITHDRAWN else 0
        event_uuid = uuid.uuid4()
        answer = _answer(operation, event_uuid, when, count, withdrawn_count=withdrawn)
        event = _new_event(
            operation=operation, actor=actor, org=org, site=site, when=when, count=count,
            idempotency=idempotency, response=answer, event_uuid=event_uuid, withdrawn=withdrawn, units=units,
            biz_transactions=biz_transactions, destination_id=destination_id,
        )  # fmt: skip
        fastpath.update_by_codes(
            keys,
            count,
            sets={
                "state": ("smallint", int(target.target)),
                "withdraw_reason": ("smallint", int(target.reason)),
                "container_id": ("bigint", None),
                "last_event_id": ("bigint", event.pk),
                "withdrawn_on": ("date", on),
                "updated_at": ("timestamptz", timezone.now()),
            },
            where=where, where_params=where_params, event_id=event.pk, prev_state=prev_state, owner_id=org.pk,
            withdrawing=True,
        )  # fmt: skip
        _audit(actor, operation, event, withdrawn_count=withdrawn)
        return answer

    whole = units is None and rules.TRANSITIONS[operation].target is State.WITHDRAWN
    keys = fastpath.keys_of(codes) if whole else None
    return _run(operation, actor, idempotency, body, fast if keys is not None else None)


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
