"""The application state machine, table-driven (no database)."""

import pytest

from salamat.core.errors import Conflict
from salamat.onboarding import states as s


@pytest.mark.parametrize(
    ("action", "current", "expected"),
    [
        (s.SUBMIT, s.DRAFT, s.SUBMITTED),
        (s.SUBMIT, s.CHANGES_REQUESTED, s.RESUBMITTED),
        (s.TAKE, s.SUBMITTED, s.IN_REVIEW),
        (s.TAKE, s.RESUBMITTED, s.IN_REVIEW),
        (s.REQUEST_CHANGES, s.IN_REVIEW, s.CHANGES_REQUESTED),
        (s.REJECT, s.IN_REVIEW, s.REJECTED),
        (s.APPROVE, s.IN_REVIEW, s.APPROVED),
        (s.AUTO_APPROVE, s.SUBMITTED, s.APPROVED),
        (s.AUTO_APPROVE, s.RESUBMITTED, s.APPROVED),
    ],
)
def test_allowed(action, current, expected):
    assert s.next_status(action, current) == expected


@pytest.mark.parametrize(
    ("action", "current", "code"),
    [
        (s.SUBMIT, s.SUBMITTED, "already_submitted"),
        (s.SUBMIT, s.RESUBMITTED, "already_submitted"),
        (s.SUBMIT, s.IN_REVIEW, "already_submitted"),
        (s.SUBMIT, s.APPROVED, "application_closed"),
        (s.APPROVE, s.APPROVED, "application_closed"),
        (s.REJECT, s.REJECTED, "application_closed"),
        (s.TAKE, s.IN_REVIEW, "already_in_review"),
        (s.TAKE, s.DRAFT, "transition_not_allowed"),
        (s.APPROVE, s.SUBMITTED, "not_in_review"),
        (s.REQUEST_CHANGES, s.DRAFT, "not_in_review"),
        (s.AUTO_APPROVE, s.IN_REVIEW, "transition_not_allowed"),
    ],
)
def test_refused(action, current, code):
    with pytest.raises(Conflict) as exc:
        s.next_status(action, current)
    assert exc.value.code == code


def test_every_status_reachable_from_draft():
    reached, frontier = {s.DRAFT}, [s.DRAFT]
    while frontier:
        current = frontier.pop()
        for (_action, source), target in s.TRANSITIONS.items():
            if source == current and target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(s.STATUSES)


@pytest.mark.parametrize("status", sorted(set(s.STATUSES) - s.EDITABLE))
def test_not_editable(status):
    with pytest.raises(Conflict) as exc:
        s.assert_editable(status)
    assert exc.value.code == "application_not_editable"
