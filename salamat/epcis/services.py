"""Capture of EPCIS documents: store every event, and let the events about known packages
drive the traceability core through its own services (same rules, same alerts).

Capture runs synchronously inside the request: the job record is created, the document
captured and the job finished before the 202 answer, so `GET /epcis/capture/{id}` is already
final. With `rollback` (the default) the whole document is one transaction: one refused event
and nothing is stored. With `proceed` every refused event is reported and the others stored.

A document is handled as a whole, not event by event: its identifiers are parsed once, the
duplicate check, the site and product lookups and the inserts of the EPCIS rows are one query
each for the document. Consecutive events that would call the same traceability operation
with the same arguments (identical but for their `epcList`: same time, business step, place,
transactions, ILMD, …) become one call of the operation with all their codes; see `_Capture`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salamat.codes import parse_many
from salamat.codes.model import CodeError, CodeKind, ParsedCode
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
from salamat.epcis.xmlconv import context_prefixes
from salamat.registry.models import Organization, ProductGtin, Site
from salamat.traceability import bulk
from salamat.traceability import services as trace
from salamat.traceability.models import Container, Event, EventPackage, Package, Shipment, ShipmentStatus

BEHAVIOURS = ("rollback", "proceed")


# --- shape --------------------------------------------------------------------------------


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

# Operations where one call with the codes of several events does exactly what one call per
# event does, provided the events name disjoint packages by package codes (no boxes): every
# code is checked and changed on its own, and the arguments besides the codes are the same.
# Not shipping/receiving (one shipment per event), returning (the event's destination is the
# previous owner when there is one), packing/unpacking (container state carries over).
GROUPABLE = frozenset({"introduce", "sell", "dispense", "destroy", "write_off"})
# Fields that may differ between events merged into one call (the codes, and the event's id).
_GROUP_FREE = frozenset({"eventID", "epcList"})


def _withdrawing_operation(meaning: str) -> Callable[..., dict]:
    return {
        "sell": trace.packages_sell,
        "dispense": trace.packages_dispense,
        "destroy": trace.packages_destroy,
        "write_off": trace.packages_write_off,
        "return": trace.packages_return,
    }[meaning]


def _ilmd(event: dict) -> tuple[str | None, date | None]:
    ilmd = event.get("ilmd") or {}
    batch = ilmd.get("cbvmda:lotNumber") or ilmd.get("urn:epcglobal:cbv:mda:lotNumber")
    expiry = ilmd.get("cbvmda:itemExpirationDate") or ilmd.get("urn:epcglobal:cbv:mda:itemExpirationDate")
    try:
        expiry_date = date.fromisoformat(str(expiry)[:10]) if expiry else None
    except ValueError:
        expiry_date = None
    return (str(batch) if batch else None), expiry_date


def _operands(event: dict) -> tuple[str | None, str | None, list[str], list[str]]:
    """(meaning, parent, the codes the operation gets, the codes that make it known)."""
    meaning = MEANING.get(event.get("bizStep", ""))
    kind = event.get("type")
    if meaning is None or kind not in ("ObjectEvent", "AggregationEvent"):
        return None, None, [], []
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
    return meaning, parent, epcs, epcs + ([parent] if parent and meaning == "aggregate" else [])


@dataclass
class _Call:
    """One call of a traceability operation: `run(codes)` with the event's other arguments."""

    meaning: str
    codes: list[str]
    run: Callable[[list[str]], dict]


class _Lookups:
    """What the events of one document need from the registry, each looked up once: the
    parsed identifiers, the registered GTINs, the actor's sites and the receivers by GLN."""

    def __init__(self, actor: Actor, raws: list[str]):
        self.actor = actor
        self.org = actor.require_organization()
        unique = list(dict.fromkeys(r for r in raws if isinstance(r, str)))
        self.parsed: dict[str, ParsedCode | CodeError] = dict(zip(unique, parse_many(unique), strict=True))
        gtins = {p.gtin for p in self.parsed.values() if _is_sgtin(p)}
        self.registered = (
            set(ProductGtin.objects.filter(gtin__in=gtins).values_list("gtin", flat=True)) if gtins else set()
        )
        self._sites: dict[str, uuid.UUID | None] = {}
        self._receivers: dict[str, Organization | None] = {}

    def keys(self) -> set[str]:
        return {p.key for p in self.parsed.values() if not isinstance(p, CodeError) and p.key}

    def parse(self, raw: str) -> ParsedCode | CodeError:
        found = self.parsed.get(raw)
        if found is None:
            found = self.parsed[raw] = parse_many([raw])[0]
        return found

    def any_known(self, epcs: list[str]) -> bool:
        """An EPC names a package of a registered product, or a known box (its state now)."""
        ssccs = set()
        for raw in epcs:
            p = self.parse(raw)
            if _is_sgtin(p) and p.gtin in self.registered:
                return True
            if not isinstance(p, CodeError) and p.key and p.kind == CodeKind.SSCC:
                ssccs.add(p.key)
        # Boxes are made by packing events, possibly earlier in this document: ask now.
        return bool(ssccs) and Container.objects.filter(key__in=ssccs).exists()

    def site_id(self, event: dict) -> uuid.UUID | None:
        for place in ("bizLocation", "readPoint"):
            gln = vocab.gln_of((event.get(place) or {}).get("id", ""))
            if gln:
                if gln not in self._sites:
                    self._sites[gln] = (
                        Site.objects.filter(organization=self.org, gln=gln)
                        .values_list("external_id", flat=True)
                        .first()
                    )
                if self._sites[gln]:
                    return self._sites[gln]
        return None

    def receiver(self, event: dict) -> Organization | None:
        """The owning (else possessing) party, else the location, by the GLN of a site."""
        wanted = {"owning_party": 0, "possessing_party": 1, "location": 2}
        for entry in sorted(
            (d for d in event.get("destinationList") or [] if d.get("type") in wanted),
            key=lambda d: wanted[d["type"]],
        ):
            gln = vocab.gln_of(entry.get("destination", ""))
            if not gln:
                continue
            if gln not in self._receivers:
                site = Site.objects.select_related("organization").filter(gln=gln).first()
                self._receivers[gln] = site.organization if site is not None else None
            if self._receivers[gln] is not None:
                return self._receivers[gln]
        return None

    def package_keys(self, epcs: list[str]) -> list[str] | None:
        """The distinct package keys of `epcs` when every one is a package code, else None."""
        keys = []
        for raw in epcs:
            p = self.parse(raw)
            if isinstance(p, CodeError) or not p.key or p.kind in (CodeKind.SSCC, CodeKind.GTIN_ONLY):
                return None
            keys.append(p.key)
        return keys if len(set(keys)) == len(keys) else None


def _is_sgtin(p: ParsedCode | CodeError) -> bool:
    return not isinstance(p, CodeError) and bool(p.key) and p.kind == CodeKind.SGTIN and bool(p.gtin)


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


def _call(lookups: _Lookups, event: dict) -> _Call | None:
    """The traceability operation an event means, or None when it has none (unknown
    identifiers, no meaning for its kind). Raises `DomainError` when it cannot be built
    (no receiver for a shipment, no pending shipment to receive)."""
    meaning, parent, epcs, known_by = _operands(event)
    if meaning is None or not epcs or not lookups.any_known(known_by):
        return None
    actor, org = lookups.actor, lookups.org
    common = {
        "actor": actor,
        "event_time": _parse_time(event["eventTime"]),
        "site_id": lookups.site_id(event),
    }
    if meaning == "introduce":
        batch, expiry = _ilmd(event)
        return _Call(
            meaning,
            epcs,
            lambda codes: trace.packages_introduce(codes=codes, batch=batch, expiry=expiry, **common),
        )
    if meaning == "aggregate":
        if event.get("type") != "AggregationEvent" or not parent:
            return None
        return _Call(
            meaning,
            epcs,
            lambda codes: trace.containers_aggregate(container_code=parent, codes=codes, **common),
        )
    if meaning == "disaggregate":
        return _Call(meaning, epcs, lambda codes: trace.containers_disaggregate(codes=codes, **common))
    if meaning == "ship":
        receiver = lookups.receiver(event)
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
        return _Call(
            meaning,
            epcs,
            lambda codes: trace.shipment_send(
                receiver_id=receiver.external_id, codes=codes, invoice_number=invoice[:64], **common
            ),
        )
    if meaning == "accept":
        keys = {}
        for raw in epcs:
            p = lookups.parse(raw)
            if not isinstance(p, CodeError) and p.key:
                keys[p.key] = raw
        shipment = _pending_shipment(org, [k for k in keys if not k.startswith("00/")] or list(keys))
        if shipment is None:
            raise DomainError("shipment_not_found", _("No shipment addressed to you holds these packages."))
        return _Call(
            meaning, epcs, lambda codes: trace.shipment_accept(shipment_id=shipment, codes=codes, **common)
        )
    operation = _withdrawing_operation(meaning)
    return _Call(meaning, epcs, lambda codes: operation(codes=codes, **common))  # fmt: skip


# --- capture --------------------------------------------------------------------------------


class _Stop(Exception):
    """`rollback`: an event was refused, so the whole document is undone."""


def _refusal_entry(index: int, event: dict, exc: DomainError) -> dict:
    return {
        "event_index": index,
        "event_id": event.get("eventID"),
        "code": exc.code,
        "message": exc.message,
        "details": exc.details,
    }


@dataclass
class _Member:
    """One event waiting in a group: its place in the document and its codes."""

    index: int
    event: dict
    call: _Call
    keys: list[str] = field(default_factory=list)


class _Capture:
    """Applies the new events of one document in order, merging runs of events that mean
    the same operation with the same arguments into one call (see `GROUPABLE`).

    Grouping never changes an outcome: a refused call is taken apart — the events whose
    codes were refused are run again on their own (their own reasons, their own alerts),
    the others together — and with `rollback` the first refused event ends the capture."""

    def __init__(self, actor: Actor, events: list[tuple[int, dict]], behaviour: str):
        self.behaviour = behaviour
        self.lookups = _Lookups(actor, [raw for _i, e in events for _role, raw in vocab.event_identifiers(e)])
        self.events = events
        self.applied: dict[int, dict | None] = {}  # document index -> the core's answer (None: not applied)
        self.errors: list[dict] = []
        self.alerts: list[dict] = []
        self.introduced_at: dict[str, int] = {}  # package key -> index of the event that introduced it

    def run(self) -> None:
        pending: list[_Member] = []
        pending_key: str | None = None
        pending_keys: set[str] = set()
        for index, event in self.events:
            meaning, _parent, epcs, known_by = _operands(event)
            if meaning is None or not epcs:
                self.applied[index] = None
                continue
            keys = self.lookups.package_keys(known_by) if meaning in GROUPABLE else None
            if keys is not None and event.get("type") == "ObjectEvent":
                # Package codes only: whether the event applies is known without asking the database.
                if not self.lookups.any_known(known_by):
                    self.applied[index] = None
                    continue
                key = meaning + json.dumps(
                    {k: v for k, v in event.items() if k not in _GROUP_FREE}, sort_keys=True
                )
                if not (key == pending_key and pending_keys.isdisjoint(keys)
                        and len(pending_keys) + len(keys) <= trace.MAX_CODES):  # fmt: skip
                    self._flush(pending)
                    pending, pending_key, pending_keys = [], key, set()
                if pending:  # the same arguments as the group's first event: only the codes differ
                    call = _Call(meaning, epcs, pending[0].call.run)
                else:
                    call = _call(self.lookups, event)
                    assert call is not None  # known, and a groupable meaning always has an operation
                pending.append(_Member(index, event, call, keys))
                pending_keys.update(keys)
                continue
            self._flush(pending)
            pending, pending_key, pending_keys = [], None, set()
            try:
                call = _call(self.lookups, event)
            except DomainError as exc:
                self._refuse(index, event, exc)
                continue
            if call is None:
                self.applied[index] = None
                continue
            self._apply([_Member(index, event, call)])
        self._flush(pending)

    def _flush(self, members: list[_Member]) -> None:
        if members:
            self._apply(members)

    def _apply(self, members: list[_Member]) -> None:
        """One call for all `members` (one event, or a group that may be merged)."""
        first = members[0].call
        codes = first.codes if len(members) == 1 else [c for m in members for c in m.call.codes]
        try:
            # A savepoint: the core records a refusal's alerts itself; they are recorded once,
            # by the capture, with the event's own reasons (see `_refuse`).
            with transaction.atomic():
                answer = first.run(codes)
        except DomainError as exc:
            if len(members) == 1:
                self._refuse(members[0].index, members[0].event, exc)
                return
            suspects = self._suspects(members, exc)
            suspect_indexes = {m.index for m in suspects}
            others = [m for m in members if m.index not in suspect_indexes]
            if others:
                self._apply(others)
            for member in suspects:
                self._apply([member])
            return
        for m in members:
            self.applied[m.index] = answer
            if first.meaning == "introduce":
                for raw in m.call.codes:
                    p = self.lookups.parse(raw)
                    if not isinstance(p, CodeError) and p.key:
                        self.introduced_at.setdefault(p.key, m.index)

    @staticmethod
    def _suspects(members: list[_Member], exc: DomainError) -> list[_Member]:
        """The members whose codes the refusal names; all of them when it names none."""
        if not isinstance(exc, trace.OperationRefused):
            return members
        owner: dict[str, _Member] = {}
        for m in members:
            for raw, key in zip(m.call.codes, m.keys, strict=True):
                owner[raw] = owner[key] = m
        found: dict[int, _Member] = {}
        for err in exc.details.get("errors") or []:
            m = owner.get(err.get("code")) or owner.get(err.get("key")) or owner.get(err.get("package"))
            if m is None:
                return members
            found[m.index] = m
        return sorted(found.values(), key=lambda m: m.index) or members

    def _refuse(self, index: int, event: dict, exc: DomainError) -> None:
        alerts = exc.alerts if isinstance(exc, trace.OperationRefused) else []
        self.errors.append(_refusal_entry(index, event, exc))
        self.alerts.extend(alerts)
        if self.behaviour == "rollback":
            raise _Stop


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


def _used_prefixes(event: dict, prefixes: dict[str, str]) -> dict[str, str]:
    if not prefixes:
        return {}
    keys = list(_all_keys(event))
    return {k: v for k, v in prefixes.items() if any(key.startswith(k + ":") for key in keys)}


def _stored_event_ids(event_ids: list[str]) -> set[str]:
    """The eventIDs already stored, in one query whatever their number."""
    if not event_ids:
        return set()
    cond, params = bulk.in_list("event_id", list(dict.fromkeys(event_ids)))
    table = EpcisEvent._meta.db_table
    return {row[0] for row in bulk.fetch(f"SELECT event_id FROM {table} WHERE {cond}", params)}  # noqa: S608


def _package_ids(keys: set[str]) -> dict[str, int]:
    if not keys:
        return {}
    cond, params = bulk.in_list("key", sorted(keys))
    return dict(bulk.fetch(f"SELECT key, id FROM {Package._meta.db_table} WHERE {cond}", params))  # noqa: S608


def _trace_event_ids(answers: list[dict]) -> dict[str, int]:
    uuids = list({a["event_id"] for a in answers if a.get("event_id")})
    found: dict[str, int] = {}
    for start in range(0, len(uuids), 5000):
        rows = Event.objects.filter(event_id__in=uuids[start : start + 5000]).values_list("event_id", "id")
        found.update((str(u), pk) for u, pk in rows)
    return found


_EVENT_COLUMNS = (
    ("id", "bigint"), ("event_id", "text"), ("event_type", "smallint"), ("action", "text"), ("biz_step", "text"),
    ("disposition", "text"), ("event_time", "timestamptz"), ("record_time", "timestamptz"),
    ("read_point", "text"), ("biz_location", "text"), ("organization_id", "bigint"),
    ("capture_job_id", "bigint"), ("applied", "boolean"), ("trace_event_id", "bigint"),
    ("document", "jsonb"), ("context", "jsonb"),
)  # fmt: skip
_EPC_COLUMNS = (("event_id", "bigint"), ("role", "smallint"), ("value", "text"), ("package_id", "bigint"))
_BTX_COLUMNS = (("event_id", "bigint"), ("type", "text"), ("value", "text"))
_TYPE_CODES = {t.label: int(t) for t in EpcisEventType}


def _insert(model, columns: tuple[tuple[str, str], ...], rows: list[tuple]) -> None:
    """One COPY (PostgreSQL) or one INSERT … SELECT (SQLite) for all `rows`."""
    names, types = zip(*columns, strict=True)
    bulk.insert_rows(model._meta.db_table, names, types, rows)


def _store_all(
    *, stored: list[tuple[int, dict]], capture: _Capture, before: dict[str, int], org: Organization,
    job: CaptureJob, prefixes: dict, now: datetime,
) -> None:  # fmt: skip
    """Inserts the stored events, their identifiers and business transactions: one
    statement per table for the whole document (and one for the events' ids)."""
    if not stored:
        return
    record_time = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    trace_ids = _trace_event_ids([a for a in capture.applied.values() if a])
    ids = bulk.allocate_ids(EpcisEvent._meta.db_table, len(stored))
    # Packages introduced by this document: an event names them from the event that introduced them on.
    introduced = _package_ids(set(capture.introduced_at) - set(before))
    parse, introduced_at = capture.lookups.parse, capture.introduced_at
    events, epcs, transactions = [], [], []
    for pk, (index, event) in zip(ids, stored, strict=True):
        applied = capture.applied.get(index)
        events.append((
            pk, event["eventID"], _TYPE_CODES[event["type"]], event.get("action", ""),
            event.get("bizStep", "") or "", event.get("disposition", "") or "", _parse_time(event["eventTime"]),
            now, vocab.canonical_id((event.get("readPoint") or {}).get("id", "")),
            vocab.canonical_id((event.get("bizLocation") or {}).get("id", "")), org.pk, job.pk,
            applied is not None, trace_ids.get(applied.get("event_id")) if applied else None,
            {**event, "recordTime": record_time}, _used_prefixes(event, prefixes),
        ))  # fmt: skip
        for role, value in vocab.event_identifiers(event):
            p = parse(value)
            key = p.key if not isinstance(p, CodeError) else ""
            package_id = before.get(key) if key else None
            if package_id is None and key and introduced_at.get(key, index + 1) <= index:
                package_id = introduced.get(key)
            epcs.append((pk, ROLE_OF_FIELD[role], vocab.canonical_id(value)[:255], package_id))
        transactions += [
            (pk, t.get("type", "")[:255], str(t.get("bizTransaction", ""))[:255])
            for t in event.get("bizTransactionList") or []
            if isinstance(t, dict)
        ]
    _insert(EpcisEvent, _EVENT_COLUMNS, events)
    _insert(EpcisEventEpc, _EPC_COLUMNS, epcs)
    _insert(EpcisBizTransaction, _BTX_COLUMNS, transactions)


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
    now = timezone.now()
    counts = {"captured": 0, "duplicate": 0, "applied": 0}
    capture: _Capture | None = None
    try:
        with transaction.atomic():
            bulk.plan_for_keyed_lookups()
            # The same event again (stored before, or earlier in this document): stored once, applied once.
            stored_before = _stored_event_ids([e["eventID"] for e in normalised])
            seen: set[str] = set()
            new: list[tuple[int, dict]] = []
            for i, event in enumerate(normalised):
                if event["eventID"] in stored_before or event["eventID"] in seen:
                    counts["duplicate"] += 1
                else:
                    seen.add(event["eventID"])
                    new.append((i, event))
            capture = _Capture(actor, new, error_behaviour)
            # Packages known before the capture (one query): an event names them whatever its place.
            before = _package_ids(capture.lookups.keys())
            capture.run()
            stored = [(i, e) for i, e in new if i in capture.applied]
            _store_all(
                stored=stored, capture=capture, before=before, org=org, job=job, prefixes=prefixes, now=now
            )
            counts["captured"] = len(stored)
            counts["applied"] = sum(1 for i, _e in stored if capture.applied[i] is not None)
            _record_alerts(capture.alerts)
    except _Stop:
        counts = {"captured": 0, "duplicate": 0, "applied": 0}
        # The refusal's alerts were rolled back with the document: record them on their own.
        with transaction.atomic():
            _record_alerts(capture.alerts)
    errors = capture.errors
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
