"""The state machine, driven from its own table: every operation from every state."""

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salamat.traceability import rules
from salamat.traceability.rules import Flag, Operation, Reason, Refusal, Snapshot, State, check

ME, OTHER = 1, 2
TODAY = date(2025, 6, 1)
FRESH = date(2027, 1, 1)
PAST = date(2025, 1, 1)
TABLE_OPS = list(rules.TRANSITIONS)


def snap(state: State, *, owner=ME, reason=Reason.NONE, flags=0, expiry=FRESH, **kw) -> Snapshot:
    return Snapshot(state=state, owner_id=owner, reason=reason, flags=flags, expiry=expiry, **kw)


def _legal_actor_kwargs(op: Operation) -> dict:
    return {"addressed_to": ME} if rules.TRANSITIONS[op].who is rules.Who.RECEIVER else {}


def _snap_for(op, state):
    return None if state is State.NONE else snap(state, previous_owner_id=OTHER)


@pytest.mark.parametrize("op", TABLE_OPS)
@pytest.mark.parametrize("state", list(State))
def test_every_operation_from_every_state_follows_the_table(op, state):
    # given a package in `state`, owned by the actor, fresh and unflagged
    snapshot = _snap_for(op, state)
    # when
    refusal = check(op, snapshot, ME, on=TODAY, **_legal_actor_kwargs(op))
    # then it is legal exactly when the table lists the state as a source
    if state in rules.TRANSITIONS[op].sources:
        assert refusal is None
        if snapshot is not None:
            outcome = rules.apply(op, snapshot)
            assert outcome.state == (rules.TRANSITIONS[op].target or state)
            assert outcome.reason == (rules.TRANSITIONS[op].reason if outcome.state is State.WITHDRAWN else 0)
    else:
        assert refusal is not None


@pytest.mark.parametrize(
    ("op", "state", "reason", "expected"),
    [
        (Operation.INTRODUCE, State.IN_CIRCULATION, Reason.NONE, Refusal.ALREADY_INTRODUCED),
        (Operation.INTRODUCE, State.WITHDRAWN, Reason.SOLD, Refusal.ALREADY_INTRODUCED),
        (Operation.SELL, State.NONE, Reason.NONE, Refusal.NEVER_INTRODUCED),
        (Operation.SELL, State.REGISTERED, Reason.NONE, Refusal.NOT_YET_INTRODUCED),
        (Operation.SELL, State.WITHDRAWN, Reason.SOLD, Refusal.ALREADY_SOLD),
        (Operation.SELL, State.WITHDRAWN, Reason.DESTROYED, Refusal.WITHDRAWN),
        (Operation.SHIP, State.IN_TRANSIT, Reason.NONE, Refusal.IN_TRANSIT),
        (Operation.ACCEPT, State.IN_CIRCULATION, Reason.NONE, Refusal.NOT_IN_TRANSIT),
        (Operation.DISPENSE, State.WITHDRAWN, Reason.DISPENSED, Refusal.WITHDRAWN),
    ],
)
def test_wrong_state_refusal_codes(op, state, reason, expected):
    snapshot = None if state is State.NONE else snap(state, reason=reason)
    assert check(op, snapshot, ME, on=TODAY, **_legal_actor_kwargs(op)) == expected


@pytest.mark.parametrize("op", [op for op in TABLE_OPS if rules.TRANSITIONS[op].who is rules.Who.OWNER])
def test_owner_operations_refuse_someone_elses_package(op):
    source = sorted(rules.TRANSITIONS[op].sources)[0]
    assert check(op, snap(source, owner=OTHER, previous_owner_id=ME), ME, on=TODAY) == Refusal.NOT_OWNER


@pytest.mark.parametrize("op", [Operation.ACCEPT, Operation.REJECT])
def test_receiver_operations_refuse_shipments_to_someone_else(op):
    assert check(op, snap(State.IN_TRANSIT, owner=OTHER), ME, on=TODAY, addressed_to=OTHER) == (
        Refusal.NOT_ADDRESSED_TO_YOU
    )


@pytest.mark.parametrize("op", TABLE_OPS)
@pytest.mark.parametrize(
    ("flag", "expected"), [(Flag.RECALLED, Refusal.RECALLED), (Flag.BLOCKED, Refusal.BLOCKED)]
)
def test_flags_stop_exactly_the_operations_the_table_says(op, flag, expected):
    source = sorted(rules.TRANSITIONS[op].sources)[-1]
    snapshot = snap(source, flags=flag, previous_owner_id=OTHER)
    refusal = check(op, snapshot, ME, on=TODAY, **_legal_actor_kwargs(op))
    assert refusal == (expected if rules.TRANSITIONS[op].stopped_by_flags else None)


@pytest.mark.parametrize("op", TABLE_OPS)
def test_expiry_stops_exactly_the_operations_the_table_says(op):
    source = sorted(rules.TRANSITIONS[op].sources)[-1]
    snapshot = snap(source, expiry=PAST, previous_owner_id=OTHER)
    refusal = check(op, snapshot, ME, on=TODAY, **_legal_actor_kwargs(op))
    assert refusal == (Refusal.EXPIRED if rules.TRANSITIONS[op].stopped_by_expiry else None)


def test_return_needs_a_previous_owner():
    assert check(Operation.RETURN, snap(State.IN_CIRCULATION), ME, on=TODAY) == Refusal.NO_PREVIOUS_OWNER


def test_partial_sale_keeps_the_package_in_circulation_until_the_last_unit():
    package = snap(State.IN_CIRCULATION, units_per_package=10)
    assert check(Operation.SELL, package, ME, on=TODAY, units=11) == Refusal.TOO_MANY_UNITS
    first = rules.apply(Operation.SELL, package, units=4)
    assert (first.state, first.remaining_units) == (State.IN_CIRCULATION, 6)
    rest = snap(State.IN_CIRCULATION, units_per_package=10, remaining_units=6)
    assert check(Operation.SELL, rest, ME, on=TODAY, units=7) == Refusal.TOO_MANY_UNITS
    last = rules.apply(Operation.SELL, rest, units=6)
    assert (last.state, last.reason) == (State.WITHDRAWN, Reason.SOLD)


def test_registered_sticker_is_introduced_only_by_its_holder():
    assert check(Operation.INTRODUCE, snap(State.REGISTERED, owner=OTHER), ME, on=TODAY) == Refusal.NOT_OWNER
    assert check(Operation.INTRODUCE, snap(State.REGISTERED), ME, on=TODAY) is None


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ({}, None),
        ({"state": State.NONE}, None),  # a cancelled introduction may come in again
        ({"state": State.IN_CIRCULATION}, Refusal.ALREADY_INTRODUCED),
        ({"state": State.WITHDRAWN}, Refusal.ALREADY_INTRODUCED),
        ({"state": State.REGISTERED, "owner_id": OTHER}, Refusal.NOT_OWNER),
        ({"state": State.REGISTERED, "owner_id": ME}, None),
        ({"flags": rules.Flag.RECALLED}, Refusal.RECALLED),
        ({"flags": rules.Flag.BLOCKED}, Refusal.BLOCKED),
        ({"expiry": TODAY - timedelta(days=1)}, Refusal.EXPIRED),
        ({"product_registered": False}, Refusal.PRODUCT_NOT_REGISTERED),
        ({"batch": ""}, Refusal.BATCH_REQUIRED),
        ({"expiry": None}, Refusal.EXPIRY_REQUIRED),
        # the table's verdict comes first
        ({"state": State.IN_CIRCULATION, "product_registered": False}, Refusal.ALREADY_INTRODUCED),
    ],
)
def test_check_introduction(facts, expected):
    given = {"product_registered": True, "batch": "B1", "expiry": TODAY + timedelta(days=400), **facts}
    assert rules.check_introduction(ME, on=TODAY, **given) == expected


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("reason", list(Reason))
def test_previous_state_round_trips(state, reason):
    assert rules.decode_prev(rules.encode_prev(state, reason)) == (state, reason)


def test_suspicious_refusals_have_a_severity():
    assert all(r in rules.SEVERITY for r in rules.SUSPICIOUS)
    assert not rules.is_suspicious(Refusal.TOO_MANY_UNITS)
    assert rules.is_suspicious(Refusal.ALREADY_SOLD)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, None),
        ({"event_org": OTHER}, "not_your_operation"),
        ({"already_cancelled": True}, "already_cancelled"),
        ({"operation": Operation.CANCEL}, "not_cancellable"),  # a cancellation stays
        ({"age_days": 10.5}, "cancel_window_passed"),
    ],
)
def test_cancel_refusals(kwargs, expected):
    base = {
        "operation": Operation.SELL,
        "event_org": ME,
        "actor_org": ME,
        "already_cancelled": False,
        "age_days": 1.0,
        "window_days": 10,
    }
    assert rules.cancel_refusal(**{**base, **kwargs}) == expected


def test_rules_module_imports_no_django():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(rules))
    imported = {
        n.module if isinstance(n, ast.ImportFrom) else a.name
        for n in ast.walk(tree)
        if isinstance(n, ast.Import | ast.ImportFrom)
        for a in getattr(n, "names", [])
    }
    assert not any((name or "").startswith("django") for name in imported)


# --- random lives of a package -------------------------------------------------------------

steps = st.lists(
    st.tuples(
        st.sampled_from(TABLE_OPS),
        st.sampled_from([ME, OTHER]),  # who tries
        st.one_of(st.none(), st.integers(min_value=1, max_value=12)),  # units for a sale
    ),
    max_size=25,
)


@settings(max_examples=300, deadline=None)
@given(steps)
def test_no_sequence_of_operations_breaks_the_invariants(history):
    """Whatever anyone tries, in any order: withdrawn is final, units never go negative,
    only the owner moves a package, and a refused operation changes nothing."""
    snapshot: Snapshot | None = None
    for op, who, units in history:
        before = snapshot
        refusal = check(
            op, snapshot, who, on=TODAY, addressed_to=ME, units=units if op is Operation.SELL else None
        )
        if refusal is not None:
            assert snapshot == before
            continue
        assert before is None or before.state != State.WITHDRAWN
        if op is Operation.INTRODUCE:
            snapshot = Snapshot(state=State.IN_CIRCULATION, owner_id=who, expiry=FRESH, units_per_package=10)
            continue
        assert before.owner_id == who or rules.TRANSITIONS[op].who is rules.Who.RECEIVER
        outcome = rules.apply(op, before, units=units if op is Operation.SELL else None)
        owner = before.previous_owner_id if op is Operation.RETURN else before.owner_id
        previous = before.owner_id if op in (Operation.RETURN,) else before.previous_owner_id
        if op is Operation.ACCEPT:
            owner, previous = who, before.owner_id
        snapshot = replace(
            before,
            state=outcome.state,
            reason=outcome.reason,
            remaining_units=outcome.remaining_units,
            owner_id=owner,
            previous_owner_id=previous,
        )
        assert snapshot.remaining_units is None or snapshot.remaining_units >= 0
        assert (snapshot.state == State.WITHDRAWN) == (snapshot.reason != Reason.NONE)


def test_box_states_match_the_model():
    from salamat.traceability.models import ContainerState
    from salamat.traceability.rules import BoxState

    assert {s.name: s.value for s in BoxState} == {s.name: s.value for s in ContainerState}
