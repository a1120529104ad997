"""What captured EPCIS events mean for the traceability core, and applying them in order.

An event about packages of registered products (or known boxes) with a business step in
`MEANING` becomes a call of the core's own service (same rules, same refusals, same alerts).
`Capture` applies the new events of one document in document order, merging runs of events that
mean the same operation with the same arguments into one call; a refused merged call is taken
apart so that every event gets its own verdict.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salamat.codes.model import CodeError, CodeKind, ParsedCode
from salamat.core.actors import Actor
from salamat.core.conf import setting
from salamat.core.errors import DomainError
from salamat.epcis import vocab
from salamat.registry.models import Organization, ProductGtin, Site
from salamat.traceability import lookups as trace_lookups
from salamat.traceability import services as trace


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


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
_GROUP_FREE = frozenset({"eventID", "epcList", "eventTime"})
# Events with different times merge when they lie within EPCIS_MERGE_WINDOW_SECONDS of the run's
# first one, on the same local day (the core's rules look at the day: registration, expiry) and
# well inside the window the core accepts event times in (so that no event is let in by a
# neighbour's time); the operation takes the latest time of the run, each event keeps its own.
_TIME_MARGIN = timedelta(hours=1)


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
    batch = vocab.plain(ilmd.get("cbvmda:lotNumber") or ilmd.get("urn:epcglobal:cbv:mda:lotNumber"))
    expiry = vocab.plain(
        ilmd.get("cbvmda:itemExpirationDate") or ilmd.get("urn:epcglobal:cbv:mda:itemExpirationDate")
    )
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
        # The core's parser and its cache: the core's operations then find these codes parsed.
        self.parsed: dict[str, ParsedCode | CodeError] = dict(
            zip(unique, trace.parse_codes(unique), strict=True)
        )
        gtins = {p.gtin for p in self.parsed.values() if _is_sgtin(p)}
        self.registered = (
            set(ProductGtin.objects.filter(gtin__in=gtins).values_list("gtin", flat=True)) if gtins else set()
        )
        self._sites: dict[str, uuid.UUID | None] = {}
        self._receivers: dict[str, Organization | None] = {}
        self._boxes: set[str] | None = None  # during a batch: the known boxes among its codes
        self._pending: dict | None = None  # during a batch of receiving: see `prefetch`

    def keys(self) -> set[str]:
        return {p.key for p in self.parsed.values() if not isinstance(p, CodeError) and p.key}

    def parse(self, raw: str) -> ParsedCode | CodeError:
        found = self.parsed.get(raw)
        if found is None:
            found = self.parsed[raw] = trace.parse_codes([raw])[0]
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
        if ssccs and self._boxes is not None:
            return not ssccs.isdisjoint(self._boxes)
        return bool(ssccs) and trace_lookups.containers_exist(keys=ssccs)

    def prefetch(self, meaning: str, epcs: list[str]) -> None:
        """Looks up at once what the events of a batch (`epcs`: all their codes) need: which
        boxes exist, and for receiving, the pending shipments holding the packages. Valid until
        `forget`: the events of a batch name disjoint codes, so none changes another's answer."""
        keys = {p.key: p for p in map(self.parse, epcs) if not isinstance(p, CodeError) and p.key}
        self._boxes = trace_lookups.containers_existing(
            keys=[k for k, p in keys.items() if p.kind == CodeKind.SSCC]
        )
        if meaning == "accept":
            self._pending = trace_lookups.shipments_pending_for_many(receiver=self.org, keys=keys)

    def forget(self) -> None:
        self._boxes, self._pending = None, None

    def shipment_pending_for(self, keys: list[str]) -> uuid.UUID | None:
        """The newest shipment sent to the actor, not yet accepted, that holds one of the packages."""
        if self._pending is None:
            return trace_lookups.shipment_pending_for(receiver=self.org, keys=keys)
        found = [s for k in keys for s in self._pending.get(k, ())]
        return max(found)[1] if found else None

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

    def names(self, epcs: list[str]) -> set[str]:
        """What the codes name: their keys, else the codes as written."""
        out = set()
        for raw in epcs:
            p = self.parse(raw)
            out.add(p.key if not isinstance(p, CodeError) and p.key else raw)
        return out

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


# The core's operation for each meaning: called with the actor, the codes and `_request`'s arguments.
_OPERATIONS: dict[str, Callable[..., dict]] = {
    "introduce": trace.packages_introduce,
    "aggregate": trace.containers_aggregate,
    "disaggregate": trace.containers_disaggregate,
    "ship": trace.shipment_send,
    "accept": trace.shipment_accept,
}
# Meanings whose runs of events go to the core as one batch (see `Capture._apply_batch`).
BATCHED: dict[str, Callable[..., list]] = {
    "aggregate": trace.containers_aggregate_many,
    "ship": trace.shipments_send_many,
    "accept": trace.shipments_accept_many,
}


def _request(lookups: _Lookups, event: dict) -> tuple[str, list[str], dict] | None:
    """The traceability operation an event means, as (meaning, codes, the operation's other
    arguments but the actor), or None when it has none (unknown identifiers, no meaning for
    its kind). Raises `DomainError` when it cannot be built (no receiver for a shipment, no
    pending shipment to receive)."""
    meaning, parent, epcs, known_by = _operands(event)
    if meaning is None or not epcs or not lookups.any_known(known_by):
        return None
    common = {"event_time": parse_time(event["eventTime"]), "site_id": lookups.site_id(event)}
    if meaning == "introduce":
        batch, expiry = _ilmd(event)
        return meaning, epcs, {"batch": batch, "expiry": expiry, **common}
    if meaning == "aggregate":
        if event.get("type") != "AggregationEvent" or not parent:
            return None
        return meaning, epcs, {"container_code": parent, **common}
    if meaning == "disaggregate":
        return meaning, epcs, common
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
        return meaning, epcs, {"receiver_id": receiver.external_id, "invoice_number": invoice[:64], **common}
    if meaning == "accept":
        keys = {}
        for raw in epcs:
            p = lookups.parse(raw)
            if not isinstance(p, CodeError) and p.key:
                keys[p.key] = raw
        shipment = lookups.shipment_pending_for([k for k in keys if not k.startswith("00/")] or list(keys))
        if shipment is None:
            raise DomainError("shipment_not_found", _("No shipment addressed to you holds these packages."))
        return meaning, epcs, {"shipment_id": shipment, **common}
    return meaning, epcs, common


def _call(lookups: _Lookups, event: dict) -> _Call | None:
    """`_request` as a call of the core's operation (`run(codes)`)."""
    request = _request(lookups, event)
    if request is None:
        return None
    meaning, epcs, arguments = request
    operation = _OPERATIONS.get(meaning) or _withdrawing_operation(meaning)
    actor = lookups.actor
    return _Call(meaning, epcs, lambda codes: operation(actor=actor, codes=codes, **arguments))


# --- capture --------------------------------------------------------------------------------


class Stop(Exception):
    """`rollback`: an event was refused, so the whole document is undone."""


def _refusal_entry(index: int, event: dict, exc: DomainError) -> dict:
    return {
        "event_index": index,
        "event_id": event.get("eventID"),
        "code": exc.code,
        "message": exc.message,
        "details": exc.details,
        **({"status": 409} if exc.status_code == 409 else {}),
    }


@dataclass
class _Member:
    """One event waiting in a group: its place in the document, its codes and, when it is not
    one of a merged run, its call."""

    index: int
    event: dict
    codes: list[str]
    call: _Call | None = None
    keys: list[str] = field(default_factory=list)
    when: datetime | None = None


class Capture:
    """Applies the new events of one document in order, merging runs of events that mean
    the same operation with the same arguments into one call (see `GROUPABLE`).

    Grouping never changes an outcome: a refused call is taken apart — the events whose
    codes were refused are run again on their own (their own reasons, their own alerts),
    the others together — and with `rollback` the first refused event ends the capture."""

    def __init__(
        self,
        actor: Actor,
        events: list[tuple[int, dict]],
        behaviour: str,
        corrections: dict[int, Callable[[], dict | None]] | None = None,
    ):
        self.behaviour = behaviour
        # document index -> undoes what the declared-wrong event did (the core's answer, or None)
        self.corrections = corrections or {}
        # document index -> (role, identifier) of everything the event names (stored with it too)
        self.identifiers = {i: vocab.event_identifiers(e) for i, e in events}
        self.lookups = _Lookups(actor, [raw for named in self.identifiers.values() for _role, raw in named])
        self.events = events
        self.applied: dict[int, dict | None] = {}  # document index -> the core's answer (None: not applied)
        self.errors: list[dict] = []
        self.alerts: list[dict] = []
        self.introduced_at: dict[str, int] = {}  # package key -> index of the event that introduced it
        now = timezone.now()
        self.tz = timezone.get_current_timezone()  # the local day of an event time (`run`)
        self.merge_window = timedelta(seconds=setting("EPCIS_MERGE_WINDOW_SECONDS"))
        self.batch_max = setting("EPCIS_BATCH_MAX_EVENTS")
        self.window = (
            now - timedelta(days=setting("EVENT_TIME_MAX_AGE_DAYS")) + _TIME_MARGIN,
            now + timedelta(seconds=setting("EVENT_TIME_SKEW_SECONDS")) - _TIME_MARGIN,
        )

    def run(self) -> None:
        pending: list[_Member] = []
        pending_key: str | None = None
        pending_keys: set[str] = set()
        batch: list[_Member] = []  # a run of events of one meaning in BATCHED
        batch_meaning: str | None = None
        batch_names: set[str] = set()  # every code the batch's events name
        batch_codes = 0
        for index, event in self.events:
            if "errorDeclaration" in event:
                # An error declaration is never applied as the operation it repeats: it undoes
                # the event it declares wrong, when that one was stored before (see services).
                self._flush(pending)
                pending, pending_key, pending_keys = [], None, set()
                self._apply_batch(batch_meaning, batch)
                batch, batch_meaning, batch_names, batch_codes = [], None, set(), 0
                self._correct(index, event)
                continue
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
                self._apply_batch(batch_meaning, batch)
                batch, batch_meaning, batch_names, batch_codes = [], None, set(), 0
                when = parse_time(event["eventTime"])
                if when.tzinfo is None or not self.window[0] < when < self.window[1]:
                    key = f"alone:{index}"  # near the edge of the window: the core judges it alone
                else:
                    key = (
                        meaning
                        + str(when.astimezone(self.tz).date())
                        # The same members with the same values (their types too: True, 1, 1.0 differ).
                        + repr(sorted((k, v) for k, v in event.items() if k not in _GROUP_FREE))
                    )
                if not (key == pending_key and pending_keys.isdisjoint(keys)
                        and abs(when - pending[0].when) <= self.merge_window
                        and len(pending_keys) + len(keys) <= trace.MAX_CODES):  # fmt: skip
                    self._flush(pending)
                    pending, pending_key, pending_keys = [], key, set()
                pending.append(_Member(index, event, epcs, None, keys, when))
                pending_keys.update(keys)
                continue
            self._flush(pending)
            pending, pending_key, pending_keys = [], None, set()
            if meaning in BATCHED:
                # Events of one meaning that name none of the same codes go to the core as one
                # batch; an event naming a code of an earlier one (pack, then ship the box) starts
                # the next batch, after the earlier one is applied.
                names = self.lookups.names(known_by)
                if batch and (
                    meaning != batch_meaning
                    or not batch_names.isdisjoint(names)
                    or len(batch) >= self.batch_max
                    or batch_codes + len(known_by) > trace.MAX_CODES
                ):
                    self._apply_batch(batch_meaning, batch)
                    batch, batch_names, batch_codes = [], set(), 0
                batch_meaning = meaning
                batch.append(_Member(index, event, known_by))
                batch_names |= names
                batch_codes += len(known_by)
                continue
            self._apply_batch(batch_meaning, batch)
            batch, batch_meaning, batch_names, batch_codes = [], None, set(), 0
            self._apply_event(index, event)
        self._flush(pending)
        self._apply_batch(batch_meaning, batch)

    def _apply_event(self, index: int, event: dict) -> None:
        """One event, on its own: one call of the core."""
        try:
            call = _call(self.lookups, event)
        except DomainError as exc:
            self._refuse(index, event, exc)
            return
        if call is None:
            self.applied[index] = None
            return
        self._apply([_Member(index, event, call.codes, call)])

    def _apply_batch(self, meaning: str | None, members: list[_Member]) -> None:
        """A run of events of one meaning in `BATCHED` (naming disjoint codes), in one call of
        the core's batch service; each event keeps its own verdict. An event the core leaves out
        (`DEFERRED`: it reaches, through boxes, what an earlier one of the run names) is applied
        on its own at its turn, after the run."""
        if not members:
            return
        if len(members) == 1 or meaning is None:
            for m in members:
                self._apply_event(m.index, m.event)
            return
        self.lookups.prefetch(meaning, [raw for m in members for raw in m.codes])
        outcomes: list[int | DomainError | None] = []  # per member: its request, its refusal, or none
        requests: list[dict] = []
        try:
            for m in members:
                try:
                    request = _request(self.lookups, m.event)
                except DomainError as exc:
                    outcomes.append(exc)
                    continue
                if request is None:
                    outcomes.append(None)
                    continue
                outcomes.append(len(requests))
                requests.append({"codes": request[1], **request[2]})
        finally:
            self.lookups.forget()
        results: list = []
        if requests:
            # A savepoint, as for one event (see `_apply`).
            with transaction.atomic():
                results = BATCHED[meaning](actor=self.lookups.actor, requests=requests)
        for m, outcome in zip(members, outcomes, strict=True):
            if outcome is None:
                self.applied[m.index] = None
            elif isinstance(outcome, DomainError):
                self._refuse(m.index, m.event, outcome)
            elif results[outcome] is trace.DEFERRED:
                self._apply_event(m.index, m.event)
            elif isinstance(results[outcome], DomainError):
                self._refuse(m.index, m.event, results[outcome])
            else:
                self.applied[m.index] = results[outcome]

    def _correct(self, index: int, event: dict) -> None:
        correct = self.corrections.get(index)
        if correct is None:
            self.applied[index] = None
            return
        try:
            with transaction.atomic():
                self.applied[index] = correct()
        except DomainError as exc:
            self._refuse(index, event, exc)

    def _flush(self, members: list[_Member]) -> None:
        if members:
            self._apply(members)

    def _apply(self, members: list[_Member]) -> None:
        """One call for all `members` (one event, or a group that may be merged)."""
        first = members[0].call
        if first is None:  # a run of merged events (or one of it): the arguments of the latest
            latest = max(members, key=lambda m: m.when)
            first = _call(self.lookups, latest.event)
            assert first is not None  # known, and a groupable meaning always has an operation
        codes = members[0].codes if len(members) == 1 else [c for m in members for c in m.codes]
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
                for raw in m.codes:
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
            for raw, key in zip(m.codes, m.keys, strict=True):
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
            raise Stop
