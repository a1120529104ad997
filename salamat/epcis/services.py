"""Capture of EPCIS documents: store every event, and let the events about known packages
drive the traceability core through its own services (same rules, same alerts).

`capture_submit` receives a schema-valid document as a capture job. A small document
(at most `EPCIS_SYNC_CAPTURE_MAX_EVENTS` events) is applied at once, so the job is final when the
202 answer leaves; a larger one waits, with its document, for the platform's job runner
(`salamat.core.jobs`), whose worker runs `capture_job_run`. A job is applied in one transaction
that also finishes it: a worker killed half-way leaves it `running`, with nothing applied and its
document kept, and `capture_jobs_resume` queues it again. A job that fails for any other reason is
`failed` with the reason, never left running.

With `rollback` (the default) the whole document is one transaction: one refused event and
nothing is stored. With `proceed` every refused event is reported and the others stored.

An event whose eventID is already stored is a duplicate (stored and applied once) when the same
organisation captured it, and refused as a conflict (`event_id_conflict`, 409) when another one
did: no participant can swallow another's event. The same event sent again with an
`errorDeclaration` is a correction: stored as a row of its own beside the original, and when the
original drove the core, its operation is cancelled by the core's `operation_cancel` (the same
rules as any cancellation), or the declaration is refused with the core's reason.

A document is handled as a whole, not event by event (see `apply.Capture`): its identifiers are
parsed once, the duplicate check, the registry lookups and the inserts of the EPCIS rows are one
query each for the document.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salamat.accounts.selectors import actor_for_api_client
from salamat.codes.model import CodeError
from salamat.core import jobs
from salamat.core.actors import Actor
from salamat.core.audit import audit_record
from salamat.core.conf import setting
from salamat.core.errors import Conflict
from salamat.epcis import vocab
from salamat.epcis.apply import Capture, Stop, parse_time
from salamat.epcis.eventhash import EventHasher
from salamat.epcis.models import (
    ROLE_OF_FIELD,
    CaptureJob,
    CaptureStatus,
    EpcisBizTransaction,
    EpcisCorrectiveEvent,
    EpcisEvent,
    EpcisEventEpc,
    EpcisEventType,
)
from salamat.epcis.xmlconv import context_prefixes
from salamat.registry.models import Organization
from salamat.traceability import bulk, lookups
from salamat.traceability import services as trace

logger = logging.getLogger(__name__)

BEHAVIOURS = ("rollback", "proceed")


# --- shape --------------------------------------------------------------------------------


def event_normalise(event: dict, prefixes: dict[str, str], hasher: EventHasher | None = None) -> dict:
    """The stored form: compact CBV values, and an eventID (the GS1 event hash when missing).
    `hasher`: the document's (made for `prefixes`), which remembers what its events repeat."""
    out = vocab.compact_event(event)
    out.pop("recordTime", None)  # the repository's own, set when stored
    if not out.get("eventID"):
        out = {"eventID": (hasher or EventHasher(prefixes)).event_hash(out), **out}
    return out


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


# --- what is already stored: duplicates, conflicts, corrections ------------------------------


@dataclass(frozen=True)
class _Stored:
    """An event row already stored under an eventID."""

    pk: int
    organization_id: int
    applied: bool
    trace_event_id: int | None
    corrects_id: int | None
    declared: bool  # it carries an errorDeclaration itself


def _stored_events(event_ids: list[str]) -> dict[str, list[_Stored]]:
    """The rows already stored under these eventIDs, in one query whatever their number."""
    if not event_ids:
        return {}
    cond, params = bulk.in_list("event_id", list(dict.fromkeys(event_ids)))
    table = EpcisEvent._meta.db_table
    rows = bulk.fetch(
        f"SELECT event_id, id, organization_id, applied, trace_event_id, corrects_id, error_reason IS NOT NULL "  # noqa: S608
        f"FROM {table} WHERE {cond}",
        params,
    )
    found: dict[str, list[_Stored]] = {}
    for event_id, *rest in rows:
        found.setdefault(event_id, []).append(_Stored(*rest))
    return found


def _entry(index: int, event: dict, code: str, message: str, status: int = 400, **details: Any) -> dict:
    return {
        "event_index": index, "event_id": event.get("eventID"), "code": code, "message": message,
        "details": details, "status": status,
    }  # fmt: skip


@dataclass
class _Triage:
    """The events of a document sorted by what is stored already."""

    new: list[tuple[int, dict]] = field(default_factory=list)
    duplicates: int = 0
    refused: list[dict] = field(default_factory=list)  # error entries (conflicts)
    corrections: dict[int, _Stored] = field(default_factory=dict)  # index -> the event declared wrong


def _triage(events: list[dict], org_id: int) -> _Triage:
    out = _Triage()
    stored = _stored_events([e["eventID"] for e in events])
    seen: set[tuple[str, bool]] = set()  # (eventID, is a correction) earlier in this document
    for i, event in enumerate(events):
        event_id = event["eventID"]
        rows = stored.get(event_id, [])
        original = next((r for r in rows if r.corrects_id is None), None)
        if original is not None and original.organization_id != org_id:
            out.refused.append(_entry(
                i, event, "event_id_conflict",
                _("Another organisation already captured an event with this eventID; send your event with an eventID of its own."),
                status=409,
            ))  # fmt: skip
            continue
        if "errorDeclaration" in event and original is not None:
            if original.declared or any(r.corrects_id is not None for r in rows) or (event_id, True) in seen:
                out.duplicates += 1  # the same declaration again
                continue
            seen.add((event_id, True))
            out.corrections[i] = original
            out.new.append((i, event))
            continue
        if "errorDeclaration" in event and (event_id, False) in seen:
            out.refused.append(_entry(
                i, event, "correction_in_same_document",
                _("An error declaration must come in a later document than the event it declares wrong."),
            ))  # fmt: skip
            continue
        if original is not None or (event_id, False) in seen:
            out.duplicates += 1
            continue
        seen.add((event_id, False))
        out.new.append((i, event))
    return out


def _correction(actor: Actor, original: _Stored) -> Callable[[], dict | None]:
    """Undoes what a declared-wrong event did in the core: cancels its operation by the core's
    own cancellation (same window, same checks that nothing changed since), or refuses."""

    def run() -> dict | None:
        if not original.applied or original.trace_event_id is None:
            return None  # it changed nothing: the declaration is only stored
        sharing = (
            EpcisEvent.objects.filter(trace_event_id=original.trace_event_id, corrects__isnull=True)
            .exclude(pk=original.pk)
            .count()
        )
        if sharing:
            raise Conflict(
                "correction_shares_operation",
                _("The event was applied together with %(count)d other events as one operation; "
                  "it cannot be undone alone.") % {"count": sharing},
                details={"other_events": sharing},
            )  # fmt: skip
        event_uuid = lookups.event_uuid_of(event_pk=original.trace_event_id)
        try:
            return trace.operation_cancel(actor=actor, event_id=event_uuid)
        except Conflict as exc:
            if exc.code == "already_cancelled":
                return None  # undone already (through /api/v1/): the declaration is only stored
            raise

    return run


# --- storage --------------------------------------------------------------------------------


_EVENT_COLUMNS = (
    ("id", "bigint"), ("event_id", "text"), ("event_type", "smallint"), ("action", "text"), ("biz_step", "text"),
    ("disposition", "text"), ("event_time", "timestamptz"), ("record_time", "timestamptz"),
    ("read_point", "text"), ("biz_location", "text"), ("organization_id", "bigint"),
    ("capture_job_id", "bigint"), ("applied", "boolean"), ("trace_event_id", "bigint"),
    ("document", "jsonb"), ("context", "jsonb"), ("corrects_id", "bigint"), ("error_reason", "text"),
)  # fmt: skip
_EPC_COLUMNS = (("event_id", "bigint"), ("role", "smallint"), ("value", "text"), ("package_id", "bigint"))
_BTX_COLUMNS = (("event_id", "bigint"), ("type", "text"), ("value", "text"))
_CORRECTIVE_COLUMNS = (("event_id", "bigint"), ("corrective_event_id", "text"))
_TYPE_CODES = {t.label: int(t) for t in EpcisEventType}


def _insert(model, columns: tuple[tuple[str, str], ...], rows: list[tuple]) -> None:
    """One COPY (PostgreSQL) or one INSERT … SELECT (SQLite) for all `rows`."""
    names, types = zip(*columns, strict=True)
    bulk.insert_rows(model._meta.db_table, names, types, rows)


def _store_all(
    *, stored: list[tuple[int, dict]], capture: Capture, before: dict[str, int], org: Organization,
    job: CaptureJob, prefixes: dict, now: datetime, corrections: dict[int, _Stored],
) -> None:  # fmt: skip
    """Inserts the stored events, their identifiers and business transactions: one
    statement per table for the whole document (and one for the events' ids)."""
    if not stored:
        return
    record_time = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    trace_ids = lookups.event_ids_by_uuid(
        event_ids=[a["event_id"] for a in capture.applied.values() if a and a.get("event_id")]
    )
    ids = bulk.allocate_ids(EpcisEvent._meta.db_table, len(stored))
    # Packages introduced by this document: an event names them from the event that introduced them on.
    introduced = lookups.package_ids_by_key(keys=set(capture.introduced_at) - set(before))
    parse, introduced_at, identifiers = capture.lookups.parse, capture.introduced_at, capture.identifiers
    canonical_id = vocab.canonical_id
    events, epcs, transactions, corrective = [], [], [], []
    for pk, (index, event) in zip(ids, stored, strict=True):
        applied = capture.applied.get(index)
        declaration = event.get("errorDeclaration")
        reason = (declaration.get("reason") or "")[:255] if isinstance(declaration, dict) else None
        original = corrections.get(index)
        events.append((
            pk, event["eventID"], _TYPE_CODES[event["type"]], event.get("action", ""),
            event.get("bizStep", "") or "", event.get("disposition", "") or "", parse_time(event["eventTime"]),
            now, canonical_id((event.get("readPoint") or {}).get("id", "")),
            canonical_id((event.get("bizLocation") or {}).get("id", "")), org.pk, job.pk,
            applied is not None, trace_ids.get(applied.get("event_id")) if applied else None,
            {**event, "recordTime": record_time}, _used_prefixes(event, prefixes),
            original.pk if original else None, reason,
        ))  # fmt: skip
        if isinstance(declaration, dict):
            corrective += [(pk, str(c)[:255]) for c in declaration.get("correctiveEventIDs") or []]
        for role, value in identifiers[index]:
            p = parse(value)
            key = p.key if not isinstance(p, CodeError) else None
            package_id = None
            if key:
                package_id = before.get(key)
                if package_id is None and introduced_at.get(key, index + 1) <= index:
                    package_id = introduced.get(key)
            epcs.append((pk, ROLE_OF_FIELD[role], canonical_id(value)[:255], package_id))
        transactions += [
            (pk, t.get("type", "")[:255], str(t.get("bizTransaction", ""))[:255])
            for t in event.get("bizTransactionList") or []
            if isinstance(t, dict)
        ]
    _insert(EpcisEvent, _EVENT_COLUMNS, events)
    _insert(EpcisEventEpc, _EPC_COLUMNS, epcs)
    _insert(EpcisBizTransaction, _BTX_COLUMNS, transactions)
    _insert(EpcisCorrectiveEvent, _CORRECTIVE_COLUMNS, corrective)


# --- capture jobs ---------------------------------------------------------------------------


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector stays off while a document is read and captured, and is
    switched back on after (nested uses: by the outermost). A 10,000-event document is hundreds
    of thousands of live objects: each full collection walked all of them and the whole
    application's heap besides, twice per document (about 0.3 s each, a fifth of the capture on
    a quiet machine), to free nothing: the document and its rows live until the capture ends.
    The capture is bounded (`EPCIS_CAPTURE_LIMIT` events); what reference counting cannot free
    meanwhile waits for the next collection after it."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def capture_submit(
    *, actor: Actor, document: dict, error_behaviour: str = "rollback", document_format: str = "json"
) -> CaptureJob:
    """Receives a schema-valid EPCIS document (JSON-LD shape) for the actor's organisation as a
    capture job: applied at once when it is small, else queued for the worker with its document."""
    org = actor.require_organization()
    count = len(document.get("epcisBody", {}).get("eventList") or [])
    at_once = count <= setting("EPCIS_SYNC_CAPTURE_MAX_EVENTS")
    with transaction.atomic():
        job = CaptureJob.objects.create(
            organization=org, error_behaviour=error_behaviour, document_format=document_format,
            event_count=count, api_client=actor.api_client, document=None if at_once else document,
        )  # fmt: skip
        if not at_once:
            # In the same transaction: the worker sees the task only once the job is committed.
            # A worker in this process (the immediate backend) takes the document from memory.
            _IN_HAND[job.pk] = document
            try:
                jobs.enqueue(capture_job_task, job_id=job.pk)
            finally:
                _IN_HAND.pop(job.pk, None)
    if at_once:
        job = capture_job_run(job_id=job.pk, actor=actor, document=document)
    return job


# job id -> its document, while `capture_submit` queues it: a worker that runs in the same process
# and at once (the immediate job backend) does not read back and decode what it was just given.
_IN_HAND: dict[int, dict] = {}


@jobs.task()
def capture_job_task(job_id: int) -> str:
    """The worker's part of an asynchronous capture (see `capture_job_run`)."""
    return capture_job_run(job_id=job_id, document=_IN_HAND.get(job_id)).status


def capture_job_run(*, job_id: int, actor: Actor | None = None, document: dict | None = None) -> CaptureJob:
    """Applies a running capture job and finishes it, in one transaction (the job row locked, so
    two workers never apply one job). A job already final is left as it is. Whatever goes wrong,
    the job does not stay running: it is `failed` with the reason."""
    try:
        with collector_paused(), transaction.atomic():
            job = (
                CaptureJob.objects.select_for_update(of=("self",))
                .select_related("api_client__organization")
                .defer("document")  # read below, only when the caller does not hold it
                .get(pk=job_id)
            )
            if job.status != CaptureStatus.RUNNING:
                return job
            if actor is None:
                actor = actor_for_api_client(job.api_client)
            _capture(job=job, actor=actor, document=job.document if document is None else document)
            return job
    except Exception as exc:  # noqa: BLE001 - any failure ends the job; the traceback goes to the log
        logger.exception("EPCIS capture job %s failed", job_id)
        CaptureJob.objects.filter(pk=job_id, status=CaptureStatus.RUNNING).update(
            status=CaptureStatus.FAILED, finished_at=timezone.now(), document=None,
            errors=[{"code": "capture_failed", "message": _("The capture could not be completed; nothing was stored."),
                     "details": {"error": type(exc).__name__}}],
        )  # fmt: skip
        return CaptureJob.objects.get(pk=job_id)


def capture_jobs_resume() -> list[int]:
    """Queues again the running jobs no worker holds: a worker was killed (nothing of the job was
    applied, its document is kept) or the queue was lost. A job queued twice is applied once
    (`capture_job_run` locks it and leaves a final job alone). `make run` calls it before it
    starts the worker (`manage.py epcis_capture_resume`)."""
    with transaction.atomic():
        waiting = list(
            CaptureJob.objects.select_for_update(skip_locked=True)
            .filter(status=CaptureStatus.RUNNING, document__isnull=False)
            .values_list("pk", flat=True)
        )
        for job_id in waiting:
            jobs.enqueue(capture_job_task, job_id=job_id)
    return waiting


def _capture(*, job: CaptureJob, actor: Actor, document: dict) -> None:
    """Captures the document into `job` (locked by the caller) and finishes the job."""
    org = actor.require_organization()
    events = document.get("epcisBody", {}).get("eventList") or []
    prefixes = context_prefixes(document)
    hasher = EventHasher(prefixes)
    normalised = [event_normalise(e, prefixes, hasher) for e in events]
    now = timezone.now()
    counts = {"captured": 0, "duplicate": 0, "applied": 0}
    triage = _triage(normalised, org.pk)
    behaviour = job.error_behaviour
    capture = Capture(
        actor, triage.new, behaviour,
        corrections={i: _correction(actor, original) for i, original in triage.corrections.items()},
    )  # fmt: skip
    try:
        if triage.refused and behaviour == "rollback":
            raise Stop
        with transaction.atomic():
            bulk.plan_for_keyed_lookups()
            # Packages known before the capture (one query): an event names them whatever its place.
            before = lookups.package_ids_by_key(keys=capture.lookups.keys())
            capture.run()
            stored = [(i, e) for i, e in triage.new if i in capture.applied]
            _store_all(
                stored=stored, capture=capture, before=before, org=org, job=job, prefixes=prefixes, now=now,
                corrections=triage.corrections,
            )  # fmt: skip
            counts = {
                "captured": len(stored), "duplicate": triage.duplicates,
                "applied": sum(1 for i, _e in stored if capture.applied[i] is not None),
            }  # fmt: skip
            _record_alerts(capture.alerts)
    except Stop:
        counts = {"captured": 0, "duplicate": 0, "applied": 0}
        # The refusal's alerts were rolled back with the document: record them on their own.
        _record_alerts(capture.alerts)
    errors = sorted(triage.refused + capture.errors, key=lambda e: e["event_index"])
    job.status = CaptureStatus.FAILED if errors and behaviour == "rollback" else CaptureStatus.SUCCESS
    if errors and behaviour == "proceed" and counts["captured"] == 0 and counts["duplicate"] == 0:
        job.status = CaptureStatus.FAILED
    job.errors = errors
    job.captured_count, job.duplicate_count, job.applied_count = (
        counts["captured"], counts["duplicate"], counts["applied"],
    )  # fmt: skip
    job.finished_at = timezone.now()
    job.document = None
    job.save()
    audit_record(
        actor=actor, action="epcis.capture", object_type="epcis.capturejob", object_id=str(job.external_id),
        changes={"status": job.status, "events": job.event_count, "captured": job.captured_count, "errors": len(errors)},
    )  # fmt: skip


def _record_alerts(alerts: list[dict]) -> None:
    if alerts:
        # The core's own alert writer, so an EPCIS refusal looks exactly like a REST one.
        trace.alerts_record(alerts, details={"channel": "epcis"})
