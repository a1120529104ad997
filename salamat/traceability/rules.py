"""The package state machine (pure: no Django, no database).

One table, `TRANSITIONS`, says which operation is legal from which state, who may
perform it, what the package becomes and which flags stop it. One function,
`check`, applies the table to one package snapshot and answers `None` (legal) or a
refusal code. Services resolve every code of a request, call `check` for each in
memory, and write nothing unless every answer is `None`.

States and reasons are small integers because they are stored once per package
*and* once per (event, package) row — close to a billion rows a year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import IntEnum, IntFlag, StrEnum
from typing import Protocol


class State(IntEnum):
    """Where a package is in its life."""

    NONE = 0  # not in the system: never introduced, or its introduction was cancelled (row kept)
    REGISTERED = 1  # a system sticker was issued for it, not yet introduced into circulation
    IN_CIRCULATION = 2  # owned by a participant at one of its sites
    IN_TRANSIT = 3  # shipped, not yet accepted by the receiver; still owned by the sender
    WITHDRAWN = 4  # left circulation for good; see `Reason`


class Reason(IntEnum):
    """Why a package was withdrawn (0 while it is not)."""

    NONE = 0
    SOLD = 1  # sold to a citizen at a pharmacy (its last unit)
    DISPENSED = 2  # used for a patient in a clinic
    DESTROYED = 3  # destroyed (after a recall, damage, expiry)
    EXPORTED = 4  # left the country
    WRITTEN_OFF = 5  # lost, stolen, damaged beyond use


class Flag(IntFlag):
    """Orthogonal marks set by the regulator; `expired` is derived from the expiry date."""

    RECALLED = 1  # quality recall: may not be sold, shipped or dispensed
    BLOCKED = 2  # blocked pending investigation: same effect as a recall


class Operation(StrEnum):
    """What a participant does to packages."""

    INTRODUCE = "introduce"
    AGGREGATE = "aggregate"
    DISAGGREGATE = "disaggregate"
    SHIP = "ship"
    ACCEPT = "accept"
    REJECT = "reject"
    SELL = "sell"
    DISPENSE = "dispense"
    RETURN = "return"
    WRITE_OFF = "write_off"
    DESTROY = "destroy"
    EXPORT = "export"
    CANCEL = "cancel"


class Who(StrEnum):
    """Who may perform an operation on a package."""

    INTRODUCER = "introducer"  # anyone allowed to introduce (checked by the service); sticker holder
    OWNER = "owner"  # the package's current owner
    RECEIVER = "receiver"  # the receiver of the shipment the package travels in


@dataclass(frozen=True, slots=True)
class Transition:
    sources: frozenset[State]
    target: State | None  # None: the state does not change (aggregation, partial sale)
    reason: Reason = Reason.NONE
    who: Who = Who.OWNER
    stopped_by_flags: bool = True  # recalled/blocked packages refuse it
    stopped_by_expiry: bool = True  # expired packages refuse it


_CIRC = frozenset({State.IN_CIRCULATION})
_TRANSIT = frozenset({State.IN_TRANSIT})

# THE table. Recalled, blocked and expired packages may still be accepted, rejected,
# returned, written off and destroyed: that is how they leave the shelves.
TRANSITIONS: dict[Operation, Transition] = {
    Operation.INTRODUCE: Transition(
        frozenset({State.NONE, State.REGISTERED}), State.IN_CIRCULATION, who=Who.INTRODUCER
    ),
    Operation.AGGREGATE: Transition(_CIRC, None),
    Operation.DISAGGREGATE: Transition(_CIRC, None, stopped_by_flags=False, stopped_by_expiry=False),
    Operation.SHIP: Transition(_CIRC, State.IN_TRANSIT),
    Operation.ACCEPT: Transition(
        _TRANSIT, State.IN_CIRCULATION, who=Who.RECEIVER, stopped_by_flags=False, stopped_by_expiry=False
    ),
    Operation.REJECT: Transition(
        _TRANSIT, State.IN_CIRCULATION, who=Who.RECEIVER, stopped_by_flags=False, stopped_by_expiry=False
    ),
    Operation.SELL: Transition(_CIRC, State.WITHDRAWN, Reason.SOLD),
    Operation.DISPENSE: Transition(_CIRC, State.WITHDRAWN, Reason.DISPENSED),
    Operation.RETURN: Transition(
        _CIRC, State.IN_CIRCULATION, stopped_by_flags=False, stopped_by_expiry=False
    ),
    Operation.WRITE_OFF: Transition(
        _CIRC, State.WITHDRAWN, Reason.WRITTEN_OFF, stopped_by_flags=False, stopped_by_expiry=False
    ),
    Operation.DESTROY: Transition(
        _CIRC, State.WITHDRAWN, Reason.DESTROYED, stopped_by_flags=False, stopped_by_expiry=False
    ),
    Operation.EXPORT: Transition(_CIRC, State.WITHDRAWN, Reason.EXPORTED),
}

# Operations a participant may cancel within the window (everything a participant does).
CANCELLABLE = frozenset(
    {
        Operation.INTRODUCE,
        Operation.AGGREGATE,
        Operation.DISAGGREGATE,
        Operation.SHIP,
        Operation.ACCEPT,
        Operation.REJECT,
        Operation.SELL,
        Operation.DISPENSE,
        Operation.RETURN,
        Operation.WRITE_OFF,
        Operation.DESTROY,
        Operation.EXPORT,
    }
)


class Refusal(StrEnum):
    """Why one code may not take part in an operation; stable codes for API clients."""

    NEVER_INTRODUCED = "never_introduced"  # the code is unknown to the system
    ALREADY_INTRODUCED = "already_introduced"  # introduced before (by anyone)
    ALREADY_SOLD = "already_sold"  # withdrawn by a sale
    WITHDRAWN = "withdrawn"  # withdrawn for another reason
    NOT_OWNER = "not_owner"  # belongs to another participant
    IN_TRANSIT = "in_transit"  # travelling in a shipment: accept or cancel it first
    NOT_IN_TRANSIT = "not_in_transit"  # accept/reject of a package that is not travelling
    NOT_ADDRESSED_TO_YOU = "not_addressed_to_you"  # the shipment goes to someone else
    NOT_YET_INTRODUCED = "not_yet_introduced"  # a sticker was issued but the package was never introduced
    RECALLED = "recalled"
    BLOCKED = "blocked"
    EXPIRED = "expired"
    PRODUCT_NOT_REGISTERED = "product_not_registered"  # no such product, or not registered on the day
    TOO_MANY_UNITS = "too_many_units"  # more units than the package has left
    DUPLICATE_CODE = "duplicate_code"  # the same package twice in one request
    NOT_A_PACKAGE = "not_a_package"  # an SSCC where a package code is needed
    NOT_A_CONTAINER = "not_a_container"  # a package code where an SSCC is needed
    IN_CONTAINER = "in_container"  # already packed in another box
    NO_PREVIOUS_OWNER = "no_previous_owner"  # nobody to return it to
    BATCH_REQUIRED = "batch_required"
    EXPIRY_REQUIRED = "expiry_required"
    CHANGED_SINCE = "changed_since"  # cancel: something happened to the package after the operation
    NOT_IN_SHIPMENT = "not_in_shipment"  # scanned at acceptance but not in the shipment


# Refusals that look like fraud or a cloned code: recorded as alerts for the
# regulator even though the operation is refused.
SUSPICIOUS: frozenset[Refusal] = frozenset(
    {
        Refusal.NEVER_INTRODUCED,
        Refusal.ALREADY_INTRODUCED,
        Refusal.ALREADY_SOLD,
        Refusal.NOT_OWNER,
        Refusal.NOT_ADDRESSED_TO_YOU,
        Refusal.RECALLED,
        Refusal.BLOCKED,
        Refusal.EXPIRED,
    }
)

# How serious each suspicious refusal is for the regulator's inbox.
SEVERITY: dict[str, str] = {
    Refusal.ALREADY_SOLD: "high",
    Refusal.ALREADY_INTRODUCED: "high",
    Refusal.NEVER_INTRODUCED: "high",
    Refusal.RECALLED: "high",
    Refusal.BLOCKED: "high",
    Refusal.NOT_OWNER: "medium",
    Refusal.NOT_ADDRESSED_TO_YOU: "medium",
    Refusal.EXPIRED: "medium",
}


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the rules need to know about one package (plain ints are accepted for the enums)."""

    state: State
    owner_id: int | None = None
    reason: Reason = Reason.NONE
    flags: int = 0
    expiry: date | None = None
    remaining_units: int | None = None  # None: untouched, all units left
    units_per_package: int = 1
    previous_owner_id: int | None = None


UNKNOWN = Snapshot(state=State.NONE)


class SnapshotLike(Protocol):
    """Anything with the attributes of `Snapshot` (the services pass their loaded rows as they are)."""

    state: int
    owner_id: int | None
    reason: int
    flags: int
    expiry: date | None
    remaining_units: int | None
    units_per_package: int
    previous_owner_id: int | None


def is_suspicious(refusal: str | None) -> bool:
    return refusal in SUSPICIOUS


class BoxState(IntEnum):
    """A container's life (the same integers as `models.ContainerState`)."""

    ACTIVE = 1  # holds packages, in circulation
    IN_TRANSIT = 2
    DISSOLVED = 3  # unpacked, or everything in it left circulation


def check_container(operation: Operation, *, state: int, owner_id: int | None, actor_org: int) -> str | None:
    """None when a box or pallet may take part in `operation`, else the refusal code."""
    if state == BoxState.DISSOLVED:
        return "container_dissolved"
    if operation in (Operation.ACCEPT, Operation.REJECT):
        return None if state == BoxState.IN_TRANSIT else Refusal.NOT_IN_TRANSIT
    if owner_id != actor_org:
        return Refusal.NOT_OWNER
    if state == BoxState.IN_TRANSIT:
        return Refusal.IN_TRANSIT
    return None


def check(
    operation: Operation,
    snapshot: SnapshotLike | None,
    actor_org: int,
    *,
    on: date,
    addressed_to: int | None = None,
    units: int | None = None,
) -> Refusal | None:
    """`None` if `actor_org` may perform `operation` on the package on day `on`, else why not.

    `snapshot` None means the code is unknown. `addressed_to` is the receiver of the
    shipment being accepted or rejected; `units` the number of units sold."""
    # Called once per code of requests of 50,000 codes: plain int comparisons, no enum arithmetic.
    snap = snapshot or UNKNOWN
    rule = TRANSITIONS[operation]
    if snap.state not in rule.sources:
        return _wrong_state(operation, snap)
    if rule.who is Who.OWNER and snap.owner_id != actor_org:
        return Refusal.NOT_OWNER
    if rule.who is Who.RECEIVER and addressed_to != actor_org:
        return Refusal.NOT_ADDRESSED_TO_YOU
    if rule.who is Who.INTRODUCER and snap.state == _REGISTERED and snap.owner_id not in (None, actor_org):
        return Refusal.NOT_OWNER
    if rule.stopped_by_flags and snap.flags:
        if snap.flags & _RECALLED:
            return Refusal.RECALLED
        if snap.flags & _BLOCKED:
            return Refusal.BLOCKED
    if rule.stopped_by_expiry and snap.expiry is not None and snap.expiry < on:
        return Refusal.EXPIRED
    if operation is Operation.RETURN and snap.previous_owner_id is None:
        return Refusal.NO_PREVIOUS_OWNER
    if operation is Operation.SELL and units is not None:
        left = snap.units_per_package if snap.remaining_units is None else snap.remaining_units
        if units > left:
            return Refusal.TOO_MANY_UNITS
    return None


_REGISTERED, _RECALLED, _BLOCKED = int(State.REGISTERED), int(Flag.RECALLED), int(Flag.BLOCKED)


def check_introduction(
    actor_org: int,
    *,
    on: date,
    state: State = State.NONE,
    owner_id: int | None = None,
    flags: int = 0,
    product_registered: bool,
    batch: str | None,
    expiry: date | None,
) -> Refusal | None:
    """`None` if `actor_org` may introduce the package on day `on`, else why not: the table's
    verdict (`state`, `owner_id`, `flags` of its row: a sticker, a cancelled introduction, or
    none for a code never seen; `flags` also those active recalls put on it), then what an
    introduction records: a product on the registry, registered on the day, a batch and an
    expiry not passed. The scanning page and the service ask this one function."""
    refusal = check(
        Operation.INTRODUCE,
        Snapshot(state=state, owner_id=owner_id, flags=flags, expiry=expiry),
        actor_org,
        on=on,
    )
    if refusal is not None:
        return refusal
    if not product_registered:
        return Refusal.PRODUCT_NOT_REGISTERED
    if not batch:
        return Refusal.BATCH_REQUIRED
    if expiry is None:
        return Refusal.EXPIRY_REQUIRED
    return None


def _wrong_state(operation: Operation, snap: SnapshotLike) -> Refusal:
    if operation is Operation.INTRODUCE:
        return Refusal.ALREADY_INTRODUCED
    if snap.state == State.NONE:
        return Refusal.NEVER_INTRODUCED
    if snap.state == State.REGISTERED:
        return Refusal.NOT_YET_INTRODUCED
    if snap.state == State.WITHDRAWN:
        return Refusal.ALREADY_SOLD if snap.reason == Reason.SOLD else Refusal.WITHDRAWN
    if snap.state == State.IN_TRANSIT:
        return Refusal.IN_TRANSIT
    return Refusal.NOT_IN_TRANSIT  # accept/reject of a package in circulation


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a legal operation makes of a package."""

    state: State
    reason: Reason
    remaining_units: int | None


def apply(operation: Operation, snapshot: Snapshot, *, units: int | None = None) -> Outcome:
    """The package's state after a legal `operation` (call `check` first)."""
    rule = TRANSITIONS[operation]
    if operation is Operation.SELL and units is not None:
        left = (
            snapshot.units_per_package if snapshot.remaining_units is None else snapshot.remaining_units
        ) - units
        if left > 0:  # partially sold: stays in circulation with what is left
            return Outcome(State.IN_CIRCULATION, Reason.NONE, left)
        return Outcome(State.WITHDRAWN, Reason.SOLD, 0)
    target = rule.target if rule.target is not None else State(snapshot.state)
    reason = rule.reason if target is State.WITHDRAWN else Reason.NONE
    return Outcome(target, reason, snapshot.remaining_units)


def encode_prev(state: State, reason: Reason) -> int:
    """State and reason packed into one small integer for the (event, package) row."""
    return int(state) * 8 + int(reason)


def decode_prev(value: int) -> tuple[State, Reason]:
    return State(value // 8), Reason(value % 8)


def cancel_refusal(
    *,
    operation: Operation,
    event_org: int,
    actor_org: int,
    already_cancelled: bool,
    age_days: float,
    window_days: int,
) -> str | None:
    """Whether an operation as a whole may be cancelled (per-package: `CHANGED_SINCE`)."""
    if event_org != actor_org:
        return "not_your_operation"
    if already_cancelled:
        return "already_cancelled"
    if operation not in CANCELLABLE:
        return "not_cancellable"
    if age_days > window_days:
        return "cancel_window_passed"
    return None
