"""The application state machine as data (pure: no Django import).

Every status change of an application is one of the actions below; `next_status`
checks the table and refuses with one stable code per kind of refusal."""

from __future__ import annotations

from salamat.core.errors import Conflict
from salamat.core.i18n import gettext as _

DRAFT = "draft"  # the applicant is filling it in
SUBMITTED = "submitted"  # sent to the ministry, waiting in the queue
IN_REVIEW = "in_review"  # a reviewer has taken it
CHANGES_REQUESTED = "changes_requested"  # back to the applicant with what to fix
RESUBMITTED = "resubmitted"  # fixed and sent again, waiting in the queue
APPROVED = "approved"  # final: the clinic is on the platform
REJECTED = "rejected"  # final: refused with reasons

STATUSES = (DRAFT, SUBMITTED, IN_REVIEW, CHANGES_REQUESTED, RESUBMITTED, APPROVED, REJECTED)
EDITABLE = frozenset({DRAFT, CHANGES_REQUESTED})
WAITING_FOR_REVIEW = frozenset({SUBMITTED, RESUBMITTED})
OPEN = frozenset({DRAFT, SUBMITTED, IN_REVIEW, CHANGES_REQUESTED, RESUBMITTED})
FINAL = frozenset({APPROVED, REJECTED})

SUBMIT = "submit"
TAKE = "take"
REQUEST_CHANGES = "request_changes"
REJECT = "reject"
APPROVE = "approve"
AUTO_APPROVE = "auto_approve"  # phase 2: every automated check passed

# (action, current status) -> new status
TRANSITIONS: dict[tuple[str, str], str] = {
    (SUBMIT, DRAFT): SUBMITTED,
    (SUBMIT, CHANGES_REQUESTED): RESUBMITTED,
    (TAKE, SUBMITTED): IN_REVIEW,
    (TAKE, RESUBMITTED): IN_REVIEW,
    (REQUEST_CHANGES, IN_REVIEW): CHANGES_REQUESTED,
    (REJECT, IN_REVIEW): REJECTED,
    (APPROVE, IN_REVIEW): APPROVED,
    (AUTO_APPROVE, SUBMITTED): APPROVED,
    (AUTO_APPROVE, RESUBMITTED): APPROVED,
}


def next_status(action: str, current: str) -> str:
    """The status after `action` from `current`, or `Conflict` with the refusal's code."""
    new = TRANSITIONS.get((action, current))
    if new is not None:
        return new
    if action == SUBMIT and current not in FINAL:
        raise Conflict("already_submitted", _("This application has already been submitted."))
    if current in FINAL:
        raise Conflict("application_closed", _("This application is already decided."))
    if action == TAKE and current == IN_REVIEW:
        raise Conflict("already_in_review", _("A reviewer has already taken this application."))
    if action in (REQUEST_CHANGES, REJECT, APPROVE):
        raise Conflict("not_in_review", _("Take the application for review first."))
    raise Conflict(
        "transition_not_allowed",
        _("This cannot be done to an application in this status."),
        details={"action": action, "status": current},
    )


def assert_editable(current: str) -> None:
    """Refuses `application_not_editable` unless the applicant may change the application now."""
    if current not in EDITABLE:
        raise Conflict(
            "application_not_editable",
            _("The application can be changed only as a draft or when changes were requested."),
        )
