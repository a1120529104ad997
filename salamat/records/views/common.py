"""What the record's pages share: the actor, the access refusal page, the find-the-patient step."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from salamat.accounts.selectors import actor_for_request
from salamat.core.conf import setting
from salamat.core.errors import DomainError
from salamat.records.access import Reason, is_clinical_actor


def refusal_text(reason: str) -> str:
    """Why the record was refused, said to the person refused."""
    texts = {
        Reason.NOT_TREATING: _(
            "Your clinic is not treating this patient: it has no open visit and recorded none in the "
            "last %(months)s months. If the patient is with you now, record the visit first."
        )
        % {"months": setting("RECORD_TREATING_MONTHS")},
        Reason.NOT_CLINICAL_STAFF: _(
            "Only doctors of an active medical organisation read patients' records."
        ),
        Reason.NOT_RECORDING_STAFF: _(
            "Nurses read the record of the clinic's patients; visits, diagnoses and prescriptions "
            "are recorded by a doctor."
        ),
        Reason.REGULATOR_AGGREGATE_ONLY: _(
            "The regulator sees the record only in aggregate, never one person's record."
        ),
        Reason.NOT_AUTHENTICATED: _("Log in to read the record."),
    }
    return texts.get(reason, _("You may not read this patient's record."))


def refused(
    request: HttpRequest, exc: DomainError, *, patient=None, may_record: bool = False
) -> HttpResponse:
    """The 403 page saying why (the refusal is already in the access log)."""
    reason = exc.details.get("reason", "") if isinstance(exc.details, dict) else ""
    return render(
        request,
        "records/forbidden.html",
        {"message": refusal_text(reason), "reason": reason, "patient": patient, "may_record": may_record},
        status=403,
    )


def clinician_required(view):
    """A logged-in doctor of an active medical organisation (the record's writers and readers)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        actor = actor_for_request(request)
        if not is_clinical_actor(actor):
            return render(
                request,
                "records/forbidden.html",
                {"message": refusal_text(Reason.NOT_CLINICAL_STAFF), "reason": Reason.NOT_CLINICAL_STAFF},
                status=403,
            )
        return view(request, actor, *args, **kwargs)

    return wrapper
