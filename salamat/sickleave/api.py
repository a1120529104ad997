"""Sick-leave endpoints: the doctor's, the employer's verification, the social fund's
and the patient's. Thin: validate, call a selector or service, shape the answer."""

from __future__ import annotations

import csv
from uuid import UUID

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router

from salamat.accounts.models import User
from salamat.core.api import API_AUTH, ERRORS, ApiTokenAuth, Page, SessionActorAuth, actor_of, paginate
from salamat.core.errors import NotFound, PermissionDenied, field_error
from salamat.core.middleware import error_response
from salamat.sickleave import presenters, selectors, services
from salamat.sickleave.models import SickLeave
from salamat.sickleave.pdf import printable_from, render_pdf
from salamat.sickleave.ratelimit import verification_allowed
from salamat.sickleave.schemas import (
    CommissionApproveIn,
    CommissionIn,
    CommissionQueueItemOut,
    CommissionRejectIn,
    FundFilter,
    FundItemOut,
    SickLeaveAnnulIn,
    SickLeaveCloseIn,
    SickLeaveContinueIn,
    SickLeaveExtendIn,
    SickLeaveListFilter,
    SickLeaveOpenIn,
    SickLeaveOut,
    SignaturesOut,
    VerificationOut,
    VerifyIn,
)

router = Router(tags=["Sick leave"])


def _chair(payload: CommissionIn) -> User | None:
    if payload.commission_chair_id is None:
        return None
    chair = User.objects.filter(external_id=payload.commission_chair_id, is_active=True).first()
    if chair is None:
        raise field_error("commission_chair_id", "user_not_found", _("No such person."))
    return chair


def _own(request: HttpRequest, sick_leave_id: UUID) -> SickLeave:
    """A certificate the caller may read (its clinic, the patient, the regulator)."""
    return selectors.sick_leave_for_reader(actor=actor_of(request), external_id=sick_leave_id)


def _full(leave: SickLeave) -> dict:
    # Re-read with periods and links after a write, in one prefetching query set.
    return presenters.full(selectors.sick_leave_with_details(pk=leave.pk))


# --- employer verification (public) -----------------------------------------------------


def _verification(request: HttpRequest, number: str, pin: str):
    verdict = verification_allowed(request)
    if not verdict.allowed:
        return error_response(
            429,
            "rate_limited",
            _("Too many verifications from your address: try again in %(seconds)s seconds.")
            % {"seconds": verdict.retry_after},
            details={"retry_after": verdict.retry_after},
            headers={"Retry-After": str(verdict.retry_after)},
        )
    leave = selectors.sick_leave_verify(number=number, pin=pin)
    if leave is None:
        raise NotFound(
            "sick_leave_not_found",
            _("No sick leave with this number for this PIN. Check both and try again."),
        )
    return presenters.for_employer(leave)


@router.post(
    "/sick-leaves/verify",
    auth=None,
    response={200: VerificationOut, **ERRORS},
    summary="Verify a sick leave (employer)",
)
def sick_leave_verify_post(request: HttpRequest, payload: VerifyIn):
    """Public: with the number and the employee's PIN in the body (kept out of URLs and logs),
    the status, periods, outcome and issuer. The diagnosis is never part of this answer.
    Limited per client address: past the limit, 429 with `Retry-After`."""
    return _verification(request, payload.number, payload.pin)


# No GET form: a PIN in a query string lands in the access logs of the server and every proxy.


# --- the doctor's workspace ------------------------------------------------------------------


@router.get(
    "/sick-leaves",
    auth=API_AUTH,
    response={200: Page[SickLeaveOut], **ERRORS},
    summary="Certificates of my organisation",
)
def sick_leave_list(request: HttpRequest, filters: Query[SickLeaveListFilter]):
    """Certificates issued by your clinic (open ones by default), optionally for one patient PIN."""
    qs = selectors.sick_leaves_of_organization(
        actor=actor_of(request), status=filters.status, patient_pin=filters.patient_pin
    )
    page = paginate(qs, page=filters.page, page_size=filters.page_size)
    page["items"] = [presenters.full(leave) for leave in page["items"]]
    return page


@router.post(
    "/sick-leaves", auth=API_AUTH, response={201: SickLeaveOut, **ERRORS}, summary="Open a sick leave"
)
def sick_leave_open(request: HttpRequest, payload: SickLeaveOpenIn):
    """Opens a certificate with its first period; the logged-in doctor issues it."""
    data = payload.model_dump(exclude={"commission_chair_id"})
    leave = services.sick_leave_open(
        actor=actor_of(request),
        **{**data, "reason": str(payload.reason), "regime": str(payload.regime)},
        commission_chair=_chair(payload),
    )
    return 201, _full(leave)


@router.get(
    "/sick-leaves/{sick_leave_id}",
    auth=API_AUTH,
    response={200: SickLeaveOut, **ERRORS},
    summary="One sick leave",
)
def sick_leave_detail(request: HttpRequest, sick_leave_id: UUID):
    """Every detail, for the issuing clinic, the patient and the regulator."""
    return presenters.full(_own(request, sick_leave_id))


@router.post(
    "/sick-leaves/{sick_leave_id}/extend",
    auth=API_AUTH,
    response={200: SickLeaveOut, **ERRORS},
    summary="Extend a sick leave",
)
def sick_leave_extend(request: HttpRequest, sick_leave_id: UUID, payload: SickLeaveExtendIn):
    """Adds the next period; past the commission threshold name the chair and the decision."""
    leave = _own(request, sick_leave_id)
    services.sick_leave_extend(
        actor=actor_of(request),
        certificate=leave,
        start=payload.start,
        end=payload.end,
        ambulance_record_ref=payload.ambulance_record_ref,
        commission_chair=_chair(payload),
        commission_decision_number=payload.commission_decision_number,
    )
    return _full(leave)


@router.post(
    "/sick-leaves/{sick_leave_id}/close",
    auth=API_AUTH,
    response={200: SickLeaveOut, **ERRORS},
    summary="Close a sick leave",
)
def sick_leave_close(request: HttpRequest, sick_leave_id: UUID, payload: SickLeaveCloseIn):
    """Closes with return to work, referral to the disability board, or death."""
    leave = services.sick_leave_close(
        actor=actor_of(request),
        certificate=_own(request, sick_leave_id),
        outcome=payload.outcome,
        outcome_date=payload.outcome_date,
    )
    return _full(leave)


@router.post(
    "/sick-leaves/{sick_leave_id}/continue",
    auth=API_AUTH,
    response={201: SickLeaveOut, **ERRORS},
    summary="Continue on a new certificate",
)
def sick_leave_continue(request: HttpRequest, sick_leave_id: UUID, payload: SickLeaveContinueIn):
    """Closes this certificate as "still ill" and opens its continuation from the next day."""
    leave = services.sick_leave_continue(
        actor=actor_of(request),
        certificate=_own(request, sick_leave_id),
        end=payload.end,
        diagnosis_code=payload.diagnosis_code,
        regime=str(payload.regime),
        hospital_from=payload.hospital_from,
        hospital_to=payload.hospital_to,
        ambulance_record_ref=payload.ambulance_record_ref,
        commission_chair=_chair(payload),
        commission_decision_number=payload.commission_decision_number,
    )
    return 201, _full(leave)


@router.post(
    "/sick-leaves/{sick_leave_id}/annul",
    auth=API_AUTH,
    response={200: SickLeaveOut, **ERRORS},
    summary="Annul a sick leave",
)
def sick_leave_annul(request: HttpRequest, sick_leave_id: UUID, payload: SickLeaveAnnulIn):
    """Annuls a certificate issued in error (issuing organisation only); it stays visible as annulled."""
    leave = services.sick_leave_annul(
        actor=actor_of(request), certificate=_own(request, sick_leave_id), reason=payload.reason
    )
    return _full(leave)


@router.post(
    "/sick-leaves/{sick_leave_id}/duplicate",
    auth=API_AUTH,
    response={201: SickLeaveOut, **ERRORS},
    summary="Issue a duplicate",
)
def sick_leave_duplicate(request: HttpRequest, sick_leave_id: UUID):
    """For a lost printout: a new number with the same content; the original is marked replaced."""
    leave = services.sick_leave_duplicate(actor=actor_of(request), certificate=_own(request, sick_leave_id))
    return 201, _full(leave)


@router.get(
    "/sick-leaves/{sick_leave_id}/pdf",
    auth=API_AUTH,
    response=ERRORS,
    summary="Printable sick leave (PDF)",
    openapi_extra={
        "responses": {
            200: {
                "description": "One A4 page with a QR code to the verification page; no diagnosis.",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def sick_leave_pdf(request: HttpRequest, sick_leave_id: UUID):
    """The printout for the patient to hand to the employer (clinic staff, the patient, the regulator)."""
    leave = _own(request, sick_leave_id)
    response = HttpResponse(render_pdf(printable_from(leave)), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="sick-leave-{leave.number}.pdf"'
    return response


@router.get(
    "/sick-leaves/{sick_leave_id}/signatures",
    auth=API_AUTH,
    response={200: SignaturesOut, **ERRORS},
    summary="Signatures of a sick leave",
)
def sick_leave_signatures(request: HttpRequest, sick_leave_id: UUID):
    """Who signed which part and when, each checked again now against the stored data."""
    return presenters.signatures(_own(request, sick_leave_id))


@router.get(
    "/sick-leaves/commission/queue",
    auth=API_AUTH,
    response={200: list[CommissionQueueItemOut], **ERRORS},
    summary="Extensions waiting for me (commission chair)",
)
def commission_queue(request: HttpRequest):
    """Periods past the commission threshold that name me as chair and wait for my approval."""
    return [presenters.queue_item(p) for p in selectors.periods_awaiting_chair(actor=actor_of(request))]


def _waiting_period(request: HttpRequest, sick_leave_id: UUID, ordinal: int):
    leave = _own(request, sick_leave_id)
    period = next((p for p in leave.periods.all() if p.ordinal == ordinal), None)
    if period is None:
        raise NotFound("period_not_found", _("No such period."))
    return leave, period


@router.post(
    "/sick-leaves/{sick_leave_id}/periods/{ordinal}/approve",
    auth=API_AUTH,
    response={200: SickLeaveOut, **ERRORS},
    summary="Approve an extension (commission chair)",
)
def commission_approve(request: HttpRequest, sick_leave_id: UUID, ordinal: int, payload: CommissionApproveIn):
    """The chair named on the period approves it by signing; the period becomes final."""
    leave, period = _waiting_period(request, sick_leave_id, ordinal)
    services.sick_leave_period_approve(
        actor=actor_of(request), period=period, decision_number=payload.commission_decision_number
    )
    return _full(leave)


@router.post(
    "/sick-leaves/{sick_leave_id}/periods/{ordinal}/reject",
    auth=API_AUTH,
    response={200: SickLeaveOut, **ERRORS},
    summary="Refuse an extension (commission chair)",
)
def commission_reject(request: HttpRequest, sick_leave_id: UUID, ordinal: int, payload: CommissionRejectIn):
    """The commission refuses: the waiting period is withdrawn; the doctor closes or refers instead."""
    leave, period = _waiting_period(request, sick_leave_id, ordinal)
    services.sick_leave_period_reject(actor=actor_of(request), period=period, comment=payload.comment)
    return _full(leave)


# --- the social fund -----------------------------------------------------------------------------


@router.get(
    "/social-fund/sick-leaves",
    auth=[ApiTokenAuth()],
    response={200: Page[FundItemOut], **ERRORS},
    summary="Closed sick leaves (social fund)",
)
def social_fund_sick_leaves(request: HttpRequest, filters: Query[FundFilter]):
    """Closed certificates by closing date, optionally for one employer; the social fund's token only.
    `format=csv` streams every matching row as CSV."""
    if filters.closed_to < filters.closed_from:
        raise field_error("closed_to", "range_invalid", _("The end of the range is before its start."))
    qs = selectors.sick_leaves_closed_for_fund(
        actor=actor_of(request),
        closed_from=filters.closed_from,
        closed_to=filters.closed_to,
        employer_tax_id=filters.employer_tax_id,
    )
    if filters.format == "csv":
        return _fund_csv(qs, filters)
    page = paginate(qs, page=filters.page, page_size=filters.page_size, max_page_size=1000)
    page["items"] = [presenters.for_fund(leave) for leave in page["items"]]
    return page


class _Echo:
    def write(self, value: str) -> str:
        return value


def _fund_csv(qs, filters: FundFilter) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(presenters.FUND_CSV_COLUMNS)
        for leave in qs.iterator(chunk_size=2000):
            yield writer.writerow(presenters.fund_csv_row(leave))

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="sick-leaves-{filters.closed_from}-{filters.closed_to}.csv"'
    )
    return response


# --- the patient -------------------------------------------------------------------------------------


@router.get(
    "/me/sick-leaves",
    auth=[SessionActorAuth()],
    response={200: list[SickLeaveOut], **ERRORS},
    summary="My sick leaves (patient)",
)
def my_sick_leaves(request: HttpRequest):
    """Every certificate of the logged-in person (matched on their PIN), with every detail."""
    user = actor_of(request).user
    if user is None or not user.pin:
        raise PermissionDenied("pin_required", _("Log in with ESI so that we know your PIN."))
    return [presenters.full(leave) for leave in selectors.sick_leaves_of_person(pin=user.pin)]
