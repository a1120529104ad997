"""What an allowed operation writes: its event time (checked), site, event row and idempotency
record, its (event, package) rows, its answer and its audit entry. The checks before it are in
`engine.py`."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from operator import attrgetter
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from salamat.core.actors import Actor
from salamat.core.audit import audit_record
from salamat.core.conf import setting
from salamat.core.errors import ValidationFailed, field_error
from salamat.registry.models import Organization, Site
from salamat.traceability import bulk
from salamat.traceability.models import OPERATION_CODE, Event, IdempotencyRecord
from salamat.traceability.rules import Operation
from salamat.traceability.services.engine import EPCIS, EVENT_PACKAGE_TABLE, PackageRow
from salamat.traceability.services.idempotency import Idempotency

# The columns every (event, package) row carries; the others are sent only when filled.
_EP_COLUMNS = ("event_id", "package_id", "prev_state")
_EP_TYPES = ("bigint", "bigint", "smallint")


def _bad_event_time(message: str) -> ValidationFailed:
    return field_error("event_time", "bad_event_time", message)


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
    *, org: Organization, idempotency: Idempotency | None, response: dict[str, Any], **row: Any
) -> Event:
    """Writes the idempotency record (with the answer the caller will get) and the event row
    (`row`: the other arguments of `_event_row`)."""
    record = None
    if idempotency is not None:
        record = IdempotencyRecord.objects.create(
            organization=org, key=idempotency.key, request_hash=idempotency.request_hash, response=response
        )
    event = _event_row(org=org, **row)
    event.idempotency = record
    event.save(force_insert=True)
    return event


def _event_row(
    *,
    operation: Operation,
    actor: Actor,
    org: Organization,
    site: Site | None,
    when: datetime,
    count: int,
    event_uuid: uuid.UUID,
    biz_transactions: list[dict] | None = None,
    source_id: int | None = None,
    destination_id: int | None = None,
    withdrawn: int = 0,
    units: int | None = None,
    operation_code: int | None = None,
    containers_before: list[list] | None = None,
) -> Event:
    """The event row of an operation, not yet saved (`_new_event` saves one, `_save_events` many)."""
    event_type, action, biz_step, disposition = EPCIS[operation]
    return Event(
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
    _write_event_packages_many(
        [(event_id, packages)], owner_site=owner_site, units=units, container=container
    )


def _write_event_packages_many(
    pairs: Iterable[tuple[int, Iterable[PackageRow]]],
    *,
    owner_site: bool = False,
    units: bool = False,
    container: bool = False,
) -> None:
    """`_write_event_packages` for the events of a batch, in one statement."""
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
    rows: list[tuple] = []
    for event_id, packages in pairs:
        # p.state * 8 + p.reason is rules.encode_prev, without building enums 50,000 times.
        if not optional:  # most operations: three narrow columns
            rows += [(event_id, p.id, p.state * 8 + p.reason) for p in packages]
        else:
            values = attrgetter(*(attr for _c, _t, attr in optional))
            if len(optional) == 1:
                rows += [(event_id, p.id, p.state * 8 + p.reason, values(p)) for p in packages]
            else:
                rows += [(event_id, p.id, p.state * 8 + p.reason, *values(p)) for p in packages]
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
