"""Reads by key for other modules' bulk paths (the EPCIS capture above all): each answers a
whole document's worth of keys in one query, so that no other module reads the traceability
tables itself."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db.models import QuerySet

from salamat.registry.models import Organization
from salamat.traceability.models import Container, Event, EventPackage, Package, Shipment, ShipmentStatus


def package_ids_by_key(*, keys: Iterable[str]) -> dict[str, int]:
    """Package key -> the package row's id, for the keys that name a package (one query)."""
    wanted = sorted(set(keys))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), 5000):
        found.update(Package.objects.filter(key__in=wanted[start : start + 5000]).values_list("key", "id"))
    return found


def event_ids_by_uuid(*, event_ids: Iterable[str]) -> dict[str, int]:
    """A traceability event's public UUID (as text) -> its row id (one query per 5,000)."""
    wanted = sorted(set(event_ids))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), 5000):
        rows = Event.objects.filter(event_id__in=wanted[start : start + 5000]).values_list("event_id", "id")
        found.update((str(u), pk) for u, pk in rows)
    return found


def event_uuid_of(*, event_pk: int) -> uuid.UUID | None:
    """The public UUID of the traceability event with row id `event_pk`."""
    return Event.objects.filter(pk=event_pk).values_list("event_id", flat=True).first()


def containers_exist(*, keys: Iterable[str]) -> bool:
    """Whether any of the box keys (SSCC) names a known container."""
    wanted = list(set(keys))
    return bool(wanted) and Container.objects.filter(key__in=wanted).exists()


def containers_existing(*, keys: Iterable[str]) -> set[str]:
    """The box keys (SSCC) among `keys` that name a known container (one query)."""
    wanted = sorted(set(keys))
    return set(Container.objects.filter(key__in=wanted).values_list("key", flat=True)) if wanted else set()


def shipments_pending_for_many(
    *, receiver: Organization, keys: Iterable[str]
) -> dict[str, list[tuple[int, uuid.UUID]]]:
    """For each package key, the shipments sent to `receiver`, not yet accepted, that hold it, as
    (row id, external id): `shipment_pending_for` for a whole run of receiving events, in one query
    (its answer for some keys is the one of the highest row id among theirs)."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    ids = Package.objects.filter(key__in=wanted).values("id")
    shipments = {
        send_event: (pk, external_id)
        for pk, external_id, send_event in Shipment.objects.filter(
            send_event_id__in=EventPackage.objects.filter(package_id__in=ids).values("event_id"),
            receiver=receiver,
            status=ShipmentStatus.SENT,
        ).values_list("id", "external_id", "send_event_id")
    }
    rows = (
        EventPackage.objects.filter(event_id__in=list(shipments), package__key__in=wanted).values_list(
            "package__key", "event_id"
        )
        if shipments
        else []
    )
    found: dict[str, list[tuple[int, uuid.UUID]]] = {}
    for key, send_event in rows:
        found.setdefault(key, []).append(shipments[send_event])
    return found


def shipment_pending_for(*, receiver: Organization, keys: list[str]) -> uuid.UUID | None:
    """The newest shipment sent to `receiver`, not yet accepted, that holds one of the packages."""
    ids = Package.objects.filter(key__in=keys).values("id")
    # A shipment's packages are its send event's (event, package) rows.
    send_events = EventPackage.objects.filter(package_id__in=ids).values("event_id")
    return (
        Shipment.objects.filter(send_event_id__in=send_events, receiver=receiver, status=ShipmentStatus.SENT)
        .order_by("-id")
        .values_list("external_id", flat=True)
        .first()
    )


def package_ids_handled_by(*, organization: Organization) -> QuerySet:
    """The ids of the packages the organisation owns or ever handled (a traceability event of its
    own names them), as a subquery. A package it owns reached it through an event of its own
    (introduction, acceptance, or its own shipment coming back), so "handled" covers "owns"."""
    return EventPackage.objects.filter(
        event_id__in=Event.objects.filter(organization=organization).values("id")
    ).values("package_id")
