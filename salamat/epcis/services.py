"""Capture of EPCIS documents: store every event, and let the events about known packages
drive the traceability core through its own services (same rules, same alerts).

Capture runs synchronously inside the request: the job record is created, the document
captured and the job finished before the 202 answer, so `GET /epcis/capture/{id}` is already
final. With `rollback` (the default) the whole document is one transaction: one refused event
and nothing is stored. With `proceed` every event has its own savepoint.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salamat.codes import parse_many
from salamat.codes.model import CodeError, CodeKind
from salamat.core.actors import Actor
from salamat.core.audit import audit_record
from salamat.core.errors import DomainError
from salamat.epcis import vocab
from salamat.epcis.eventhash import event_hash
from salamat.epcis.models import (
    ROLE_OF_FIELD,
    CaptureJob,
    CaptureStatus,
    EpcisBizTransaction,
    EpcisEvent,
    EpcisEventEpc,
    EpcisEventType,
)
from salamat.registry.models import Organization, ProductGtin, Site
from salamat.traceability import services as trace
from salamat.traceability.models import Container, Event, EventPackage, Package, Shipment, ShipmentStatus

BEHAVIOURS = ("rollback", "proceed")


class _Refused(Exception):
    """One event was refused (carries its error entry and the alerts to record)."""

    def __init__(self, entry: dict, alerts: list[dict]):
        super().__init__(entry.get("code"))
        self.entry = entry
        self.alerts = alerts


# --- shape --------------------------------------------------------------------------------


def context_prefixes(document: dict) -> dict[str, str]:
    """The prefixes the document's @context defines (besides the standard context)."""
    ctx = document.get("@context")
    out: dict[str, str] = {}
    for entry in ctx if isinstance(ctx, list) else [ctx]:
        if isinstance(entry, dict):
            out.update({k: v for k, v in entry.items() if isinstance(v, str)})
    return out


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def event_normalise(event: dict, prefixes: dict[str, str]) -> dict:
    """The stored form: compact CBV values, and an eventID (the GS1 event hash when missing)."""
    out = vocab.compact_event(event)
    out.pop("recordTime", None)  # the repository's own, set when stored
    if not out.get("eventID"):
        out = {"eventID": event_hash(out, prefixes), **out}
    return out


# --- meaning --------------------------------------------------------------------------------

# bizStep -> what it means for the traceability core (action checked where it matters).
MEANING = {
    "commissioning": "introduce",
    "packing": "aggregate",
    "unpacking": "disaggregate",
    "shipping": "ship",
    "receiving": "accept",
    "accepting": "accept",
    "retail_selling": "sell",
    "dispensing": "dispense",
    "destroying": "destroy",
    "decommissioning": "write_off",
    "returning": "return",
}


@dataclass
class _Known:
    keys: dict[str, str]  # canonical package/container key -> the EPC as written
    any_known: bool


def _known(epcs: list[str]) -> _Known:
    """Which EPCs name packages of registered products, or known boxes (one query each)."""
    parsed = parse_many(epcs)
    keys, gtins, ssccs = {}, set(), set()
    for raw, p in zip(epcs, parsed, strict=True):
        if isinstance(p, CodeError) or not p.key:
            continue
        keys[p.key] = raw
        if p.kind == CodeKind.SGTIN and p.gtin:
            gtins.add(p.gtin)
        elif p.kind == CodeKind.SSCC:
            ssccs.add(p.key)
    any_known = bool(gtins and ProductGtin.objects.filter(gtin__in=gtins).exists()) or bool(
        ssccs and Container.objects.filter(key__in=ssccs).exists()
    )
    return _Known(keys, any_known)


def _site_id(org: Organization, event: dict) -> uuid.UUID | None:
    for place in ("bizLocation", "readPoint"):
        gln = vocab.gln_of((event.get(place) or {}).get("id", ""))
        if gln:
            site = (
                Site.objects.filter(organization=org, gln=gln).values_list("external_id", flat=True).first()
            )
            if site:
                return site
    return None


def _destination(event: dict) -> Organization | None:
    """The receiver: the owning (else possessing) party, else the location, by GLN of a site."""
    wanted = {"owning_party": 0, "possessing_party": 1, "location": 2}
    for entry in sorted(
        (d for d in event.get("destinationList") or [] if d.get("type") in wanted),
        key=lambda d: wanted[d["type"]],
    ):
        gln = vocab.gln_of(entry.get("destination", ""))
        site = Site.objects.select_related("organization").filter(gln=gln).first() if gln else None
        if site is not None:
            return site.organization
    return None


def _ilmd(event: dict) -> tuple[str | None, date | None]:
    ilmd = event.get("ilmd") or {}
    batch = ilmd.get("cbvmda:lotNumber") or ilmd.get("urn:epcglobal:cbv:mda:lotNumber")
    expiry = ilmd.get("cbvmda:itemExpirationDate") or ilmd.get("urn:epcglobal:cbv:mda:itemExpirationDate")
    try:
        expiry_date = date.fromisoformat(str(expiry)[:10]) if expiry else None
    except ValueError:
        expiry_date = None
    return (str(batch) if batch else None), expiry_date


def _pending_shipment(org: Organization, keys: list[str]) -> uuid.UUID | None:
    ids = Package.objects.filter(key__in=keys).values("id")
    # A shipment's packages are its send event's (event, package) rows.
    send_events = EventPackage.objects.filter(package_id__in=ids).values("event_id")
    return (
        Shipment.objects.filter(send_event_id__in=send_events, receiver=org, status=ShipmentStatus.SENT)
        .order_by("-id")
        .values_list("external_id", flat=True)
        .first()
    )


def event_apply(*, actor: Actor, event: dict) -> dict | None:
    """Runs the traceability operation an event means, or None when it has none
    (unknown identifiers, no meaning for its kind). Raises the service's `DomainError`."""
    meaning = MEANING.get(event.get("bizStep", ""))
    kind = event.get("type")
    if meaning is None or kind not in ("ObjectEvent", "AggregationEvent"):
        return None
    parent = event.get("parentID") if kind == "AggregationEvent" else None
    children = (
        list(event.get("childEPCs") or []) if kind == "AggregationEvent" else list(event.get("epcList") or [])
    )
    if meaning == "aggregate" or kind == "ObjectEvent":
        epcs = children
    elif meaning == "disaggregate":
        epcs = [parent] if parent else children
    else:
        epcs = ([parent] if parent else []) + children
    known = _known(epcs + ([parent] if parent and meaning == "aggregate" else []))
    if not epcs or not known.any_known:
        return None
    org = actor.require_organization()
    when = _parse_time(event["eventTime"])
    site_id = _site_id(org, event)
    common = {"actor": actor, "event_time": when, "site_id": site_id}
    if meaning == "introduce":
        batch, expiry = _ilmd(event)
        return trace.packages_introduce(codes=epcs, batch=batch, expiry=expiry, **common)
    if meaning == "aggregate":
        if kind != "AggregationEvent" or not parent:
            return None
        return trace.containers_aggregate(container_code=parent, codes=epcs, **common)
    if meaning == "disaggregate":
        return trace.containers_disaggregate(codes=epcs, **common)
    if meaning == "ship":
        receiver = _destination(event)
        if receiver is None:
            raise DomainError(
                "destination_unknown",
                _("A shipping event needs a destinationList naming a participant's site by its GLN."),
            )
        invoice = next(
            (
                t.get("bizTransaction", "")
                for t in event.get("bizTransactionList") or []
                if t.get("type") in ("inv", "desadv", "po")
            ),
            "",
        )
        return trace.shipment_send(
            receiver_id=receiver.external_id, codes=epcs, invoice_number=invoice[:64], **common
        )
    if meaning == "accept":
        shipment = _pending_shipment(
            org, [k for k in known.keys if not k.startswith("00/")] or list(known.keys)
        )
        if shipment is None:
            raise DomainError("shipment_not_found", _("No shipment addressed to you holds these packages."))
        return trace.shipment_accept(shipment_id=shipment, codes=epcs, **common)
    operation = {
        "sell": trace.packages_sell,
        "dispense": trace.packages_dispense,
        "destroy": trace.packages_destroy,
        "write_off": trace.packages_write_off,
        "return": trace.packages_return,
    }[meaning]
    return operation(codes=epcs, **common)


# --- capture --------------------------------------------------------------------------------


def _store(
    *, event: dict, org: Organization, job: CaptureJob, prefixes: dict, applied: dict | None, now
) -> EpcisEvent:
    document = {**event, "recordTime": now.isoformat(timespec="milliseconds").replace("+00:00", "Z")}
    trace_event_id = None
    if applied and applied.get("event_id"):
        trace_event_id = (
            Event.objects.filter(event_id=applied["event_id"]).values_list("id", flat=True).first()
        )
    used = {k: v for k, v in prefixes.items() if any(key.startswith(k + ":") for key in _all_keys(event))}
    row = EpcisEvent.objects.create(
        event_id=event["eventID"],
        event_type=EpcisEventType[_TYPE_NAMES[event["type"]]],
        action=event.get("action", ""),
        biz_step=event.get("bizStep", "") or "",
        disposition=event.get("disposition", "") or "",
        event_time=_parse_time(event["eventTime"]),
        record_time=now,
        read_point=vocab.canonical_id((event.get("readPoint") or {}).get("id", "")),
        biz_location=vocab.canonical_id((event.get("bizLocation") or {}).get("id", "")),
        organization=org,
        capture_job=job,
        applied=applied is not None,
        trace_event_id=trace_event_id,
        document=document,
        context=used,
    )
    idents = vocab.event_identifiers(event)
    keys = {}
    parsed = parse_many([v for _r, v in idents]) if idents else []
    for (_role, value), p in zip(idents, parsed, strict=True):
        if not isinstance(p, CodeError) and p.key:
            keys[value] = p.key
    package_of = (
        dict(Package.objects.filter(key__in=set(keys.values())).values_list("key", "id")) if keys else {}
    )
    EpcisEventEpc.objects.bulk_create(
        EpcisEventEpc(
            event=row, role=ROLE_OF_FIELD[role], value=vocab.canonical_id(value)[:255],
            package_id=package_of.get(keys.get(value, "")),
        )
        for role, value in idents
    )  # fmt: skip
    EpcisBizTransaction.objects.bulk_create(
        EpcisBizTransaction(
            event=row, type=t.get("type", "")[:255], value=str(t.get("bizTransaction", ""))[:255]
        )
        for t in event.get("bizTransactionList") or []
        if isinstance(t, dict)
    )
    return row


_TYPE_NAMES = {t.label: t.name for t in EpcisEventType}


def _all_keys(obj: Any):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield k
            yield from _all_keys(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _all_keys(v)
    elif isinstance(obj, str) and ":" in obj:
        yield obj


def _refusal_entry(index: int, event: dict, exc: DomainError) -> dict:
    return {
        "event_index": index,
        "event_id": event.get("eventID"),
        "code": exc.code,
        "message": exc.message,
        "details": exc.details,
    }


def document_capture(
    *, actor: Actor, document: dict, error_behaviour: str = "rollback", document_format: str = "json"
) -> CaptureJob:
    """Captures a schema-valid EPCIS document (JSON-LD shape) for the actor's organisation."""
    org = actor.require_organization()
    events = document.get("epcisBody", {}).get("eventList") or []
    prefixes = context_prefixes(document)
    job = CaptureJob.objects.create(
        organization=org,
        error_behaviour=error_behaviour,
        document_format=document_format,
        event_count=len(events),
    )
    normalised = [event_normalise(e, prefixes) for e in events]
    errors: list[dict] = []
    alerts: list[dict] = []
    counts = {"captured": 0, "duplicate": 0, "applied": 0}

    def one(index: int, event: dict, seen: set[str], now) -> None:
        if event["eventID"] in seen or EpcisEvent.objects.filter(event_id=event["eventID"]).exists():
            counts["duplicate"] += 1  # the same event again: stored once, applied once
            return
        seen.add(event["eventID"])
        try:
            applied = event_apply(actor=actor, event=event)
        except trace.OperationRefused as refused:
            raise _Refused(_refusal_entry(index, event, refused), refused.alerts) from refused
        except DomainError as exc:
            raise _Refused(_refusal_entry(index, event, exc), []) from exc
        _store(event=event, org=org, job=job, prefixes=prefixes, applied=applied, now=now)
        counts["captured"] += 1
        counts["applied"] += applied is not None

    now = timezone.now()
    seen: set[str] = set()
    if error_behaviour == "proceed":
        with transaction.atomic():
            for i, event in enumerate(normalised):
                try:
                    with transaction.atomic():
                        one(i, event, seen, now)
                except _Refused as refused:
                    errors.append(refused.entry)
                    alerts.extend(refused.alerts)
            _record_alerts(alerts)
    else:
        try:
            with transaction.atomic():
                for i, event in enumerate(normalised):
                    one(i, event, seen, now)
        except _Refused as refused:
            errors.append(refused.entry)
            counts = {"captured": 0, "duplicate": 0, "applied": 0}
            # The refusal's alerts were rolled back with the document: record them on their own.
            with transaction.atomic():
                _record_alerts(refused.alerts)
    job.status = CaptureStatus.FAILED if errors and error_behaviour == "rollback" else CaptureStatus.SUCCESS
    if errors and error_behaviour == "proceed" and counts["captured"] == 0 and counts["duplicate"] == 0:
        job.status = CaptureStatus.FAILED
    job.errors = errors
    job.captured_count, job.duplicate_count, job.applied_count = (
        counts["captured"],
        counts["duplicate"],
        counts["applied"],
    )
    job.finished_at = timezone.now()
    job.save()
    audit_record(
        actor=actor, action="epcis.capture", object_type="epcis.capturejob", object_id=str(job.external_id),
        changes={"status": job.status, "events": job.event_count, "captured": job.captured_count, "errors": len(errors)},
    )  # fmt: skip
    return job


def _record_alerts(alerts: list[dict]) -> None:
    if alerts:
        # The core's own alert writer, so an EPCIS refusal looks exactly like a REST one.
        trace.alerts_record(alerts, details={"channel": "epcis"})
