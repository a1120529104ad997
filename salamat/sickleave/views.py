"""Sick-leave web pages: the doctor's workspace, the commission's queue, the public
employer verification and the patient's own certificates.

Thin: every change goes through `services`; a refusal is shown next to its field."""

from __future__ import annotations

from datetime import timedelta
from functools import wraps

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from salamat.accounts.models import Role, User
from salamat.accounts.selectors import actor_for_request
from salamat.core.actors import Actor
from salamat.core.errors import DomainError, NotFound
from salamat.core.identifiers import parse_pin
from salamat.core.pages import login_required
from salamat.sickleave import presenters, selectors, services
from salamat.sickleave.forms import (
    AnnulForm,
    ApproveForm,
    CloseForm,
    ContinueForm,
    ExtendForm,
    OpenForm,
    PinForm,
    VerifyForm,
    attach_refusal,
)
from salamat.sickleave.icd import icd10_suggest, local_title
from salamat.sickleave.models import SickLeave, SickLeavePeriod, Status
from salamat.sickleave.pdf import printable_from, render_pdf
from salamat.sickleave.ratelimit import verification_allowed
from salamat.sickleave.signing import signatures_of
from salamat.tunduk.adapters import legal_entity_registry, population_registry


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "sickleave/forbidden.html", {"message": message}, status=403)


def clinic_required(view):
    """A logged-in doctor, commission chair or administrator of a medical organisation."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        actor = actor_for_request(request)
        try:
            selectors.clinic_of_reader(actor)
        except DomainError as exc:
            return _forbidden(request, exc.message)
        return view(request, actor, *args, **kwargs)

    return wrapper


def _chairs(actor: Actor) -> list[User]:
    return list(
        User.objects.filter(
            memberships__organization=actor.organization,
            memberships__role=Role.COMMISSION_CHAIR,
            memberships__is_active=True,
            is_active=True,
        )
        .distinct()
        .order_by("last_name", "first_name")
    )


def _chair_of(actor: Actor, value: str) -> User | None:
    if not value:
        return None
    return next((u for u in _chairs(actor) if str(u.external_id) == value), None)


# --- the doctor's workspace -----------------------------------------------------------------


@require_GET
@clinic_required
def workspace(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Today's list and the open certificates of the organisation."""
    today = timezone.localdate()
    open_leaves = list(selectors.sick_leaves_of_organization(actor=actor, status=Status.OPEN)[:200])
    rows = [_row(leave, today) for leave in open_leaves]
    issued_today = list(
        selectors.sick_leaves_of_organization(actor=actor, status="").filter(created_at__date=today)[:50]
    )
    waiting = []
    if actor.has_role(Role.COMMISSION_CHAIR):
        waiting = list(selectors.periods_awaiting_chair(actor=actor))
    return render(
        request,
        "sickleave/workspace.html",
        {
            "today": today,
            "due": [r for r in rows if r["last_day"] and r["last_day"] <= today],
            "rows": rows,
            "issued_today": [_row(leave, today) for leave in issued_today],
            "waiting_count": len(waiting),
            "pin_form": PinForm(),
            "can_issue": actor.has_role(Role.DOCTOR),
        },
    )


def _row(leave: SickLeave, today) -> dict:
    periods = list(leave.periods.all())
    last = max((p.end for p in periods), default=None)
    first = min((p.start for p in periods), default=None)
    return {
        "leave": leave,
        "first_day": first,
        "last_day": last,
        "days": sum(p.days for p in periods),
        "waiting": any(p.awaiting_commission for p in periods),
        "overdue": last is not None and last < today,
    }


@require_POST
@clinic_required
def patient_find(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Finds a patient by PIN (POSTed, so the PIN stays out of URLs): the person and their certificates."""
    form = PinForm(request.POST)
    person, leaves = None, []
    if form.is_valid():
        try:
            pin = parse_pin(form.cleaned_data["pin"], field="pin").pin
        except DomainError as exc:
            attach_refusal(form, exc)
        else:
            person = population_registry().lookup(pin)
            if person is None:
                form.add_error("pin", _("The population registry does not know this PIN."))
            else:
                leaves = [
                    _row(leave, timezone.localdate())
                    for leave in selectors.sick_leaves_of_organization(
                        actor=actor, status="", patient_pin=pin
                    )
                ]
    open_form = OpenForm(
        initial={"patient_pin": person.pin} if person else None,
        max_days=services.current_rules().max_period_days,
    )
    return render(
        request,
        "sickleave/patient.html",
        {
            "pin_form": form,
            "person": person,
            "rows": leaves,
            "can_issue": actor.has_role(Role.DOCTOR),
            "form": open_form,
        },
    )


@require_POST
@clinic_required
def person_lookup(request: HttpRequest, actor: Actor) -> HttpResponse:
    """htmx: the person behind the PIN typed so far (name, birth date, sex)."""
    field = (
        "cared_for_pin"
        if "cared_for_pin" in request.POST and "patient_pin" not in request.POST
        else "patient_pin"
    )
    raw = (request.POST.get(field) or "").strip()
    person, error = None, ""
    if len(raw) == 14:
        try:
            person = population_registry().lookup(parse_pin(raw, field=field).pin)
            if person is None:
                error = _("The population registry does not know this PIN.")
        except DomainError as exc:
            error = exc.message
    return render(request, "sickleave/_person.html", {"person": person, "error": error})


@require_GET
@clinic_required
def employer_lookup(request: HttpRequest, actor: Actor) -> HttpResponse:
    """htmx: the employer's name from the register of legal entities, once 14 digits are typed;
    a name the doctor already typed is kept."""
    tax_id = (request.GET.get("employer_tax_id") or "").strip()
    name = (request.GET.get("employer_name") or "").strip()
    found = None
    if len(tax_id) == 14 and tax_id.isdigit():
        found = legal_entity_registry().lookup(tax_id)
    context = {"name": name or (found.name if found else ""), "found": found, "complete": len(tax_id) == 14}
    return render(request, "sickleave/_employer.html", context)


@require_GET
@clinic_required
def icd_lookup(request: HttpRequest, actor: Actor) -> HttpResponse:
    """htmx: the title of the typed ICD-10 code and suggestions for the datalist."""
    text = request.GET.get("diagnosis_code", "")
    suggestions = icd10_suggest(text, language=get_language() or "en")
    code = text.strip().upper()
    exact = next((t for c, t in suggestions if c == code), "")
    # The certificate carries the WHO title: shown beside a translated one, so the doctor sees both.
    who = next((t for c, t in icd10_suggest(code) if c == code), "") if exact else ""
    context = {"suggestions": suggestions, "exact": exact, "who": who if who != exact else "", "text": text}
    return render(request, "sickleave/_icd.html", context)


@require_http_methods(["GET", "POST"])
@clinic_required
def sick_leave_new(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Opens a certificate: a one-screen form with today's defaults."""
    if not actor.has_role(Role.DOCTOR):
        return _forbidden(request, _("Only a doctor opens a certificate."))
    table = services.current_rules()
    # A form posted from the patient page only carries the PIN: show it, not its errors.
    fresh = request.method == "POST" and "employer_tax_id" not in request.POST
    if request.method == "POST" and not fresh:
        form = OpenForm(request.POST, max_days=table.max_period_days)
        if form.is_valid():
            data = form.cleaned_data
            try:
                leave = services.sick_leave_open(
                    actor=actor,
                    patient_pin=data["patient_pin"],
                    employer_name=data["employer_name"],
                    employer_tax_id=data["employer_tax_id"],
                    is_main_job=data["is_main_job"],
                    reason=data["reason"],
                    diagnosis_code=data["diagnosis_code"],
                    regime=data["regime"],
                    hospital_from=data["hospital_from"],
                    hospital_to=data["hospital_to"],
                    cared_for_pin=data["cared_for_pin"],
                    cared_for_relation=data["cared_for_relation"],
                    start=data["start"],
                    end=data["end"],
                    ambulance_record_ref=data["ambulance_record_ref"],
                    record_encounter=data["record_encounter"],
                )
            except DomainError as exc:
                attach_refusal(form, exc)
            else:
                messages.success(
                    request, _("Certificate %(number)s is open and signed.") % {"number": leave.number}
                )
                return redirect("sickleave:detail", external_id=leave.external_id)
    else:
        # From the patient page (the PIN) or from a visit in the record (the PIN and the visit's diagnosis).
        initial = (
            {
                "patient_pin": request.POST.get("patient_pin", ""),
                "diagnosis_code": request.POST.get("diagnosis_code", ""),
                "record_encounter": request.POST.get("record_encounter", ""),
            }
            if fresh
            else None
        )
        form = OpenForm(initial=initial, max_days=table.max_period_days)
    return render(request, "sickleave/new.html", {"form": form, "rules": table})


# --- one certificate ---------------------------------------------------------------------------


def _readable(request: HttpRequest, external_id) -> tuple[Actor, SickLeave]:
    actor = actor_for_request(request)
    try:
        return actor, selectors.sick_leave_for_reader(actor=actor, external_id=external_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _may_act(actor: Actor, leave: SickLeave) -> bool:
    return (
        actor.organization is not None
        and actor.organization.pk == leave.organization_id
        and actor.has_role(Role.DOCTOR)
    )


def _detail_context(actor: Actor, leave: SickLeave, **forms) -> dict:
    table = services.current_rules()
    periods = sorted(leave.periods.all(), key=lambda p: p.ordinal)
    last = periods[-1].end if periods else timezone.localdate()
    total = sum(p.days for p in periods) + _earlier_days(leave)
    next_start = last + timedelta(days=1)
    next_end = next_start + timedelta(days=table.max_period_days - 1)
    needs_commission = total + table.max_period_days > table.commission_threshold_days
    chairs = _chairs(actor) if _may_act(actor, leave) else []
    default_chair = str(chairs[0].external_id) if needs_commission and len(chairs) == 1 else ""
    checks = signatures_of(leave)
    context = {
        "leave": leave,
        "periods": periods,
        "data": presenters.full(leave),
        # The signed title stays the WHO one; the page shows it in its language where known.
        "diagnosis_title": local_title(leave.diagnosis_code, get_language() or "") or leave.diagnosis_title,
        "total_days": total,
        "checks": checks,
        "all_valid": all(c.valid for c in checks),
        "may_act": _may_act(actor, leave) and leave.status == Status.OPEN,
        "may_annul": _may_act(actor, leave) and leave.status in (Status.OPEN, Status.CLOSED),
        "waiting": any(p.awaiting_commission for p in periods),
        "needs_commission": needs_commission,
        "rules": table,
        "pdf_url": reverse("sickleave:pdf", kwargs={"external_id": leave.external_id}),
        "extend_form": forms.get("extend_form")
        or ExtendForm(
            initial={"start": next_start, "end": next_end, "commission_chair": default_chair}, chairs=chairs
        ),
        "close_form": forms.get("close_form") or CloseForm(initial={"outcome_date": next_start}),
        "continue_form": forms.get("continue_form")
        or ContinueForm(
            initial={"end": next_end, "commission_chair": default_chair},
            chairs=chairs,
        ),
        "annul_form": forms.get("annul_form") or AnnulForm(),
        "open_panel": forms.get("open_panel", ""),
    }
    return context


def _earlier_days(leave: SickLeave) -> int:
    total, seen, current = 0, {leave.pk}, leave.continuation_of
    while current is not None and current.pk not in seen:
        seen.add(current.pk)
        total += sum(p.days for p in current.periods.all())
        current = current.continuation_of
    return total


@require_GET
@login_required
def sick_leave_detail(request: HttpRequest, external_id) -> HttpResponse:
    """Every detail (the issuing clinic, the patient, the regulator), the signatures and the actions."""
    actor, leave = _readable(request, external_id)
    template = "sickleave/detail.html"
    return render(request, template, _detail_context(actor, leave))


@require_GET
@login_required
def sick_leave_pdf(request: HttpRequest, external_id) -> HttpResponse:
    """The printout (no diagnosis), for whoever may read the certificate."""

    _actor, leave = _readable(request, external_id)
    response = HttpResponse(render_pdf(printable_from(leave)), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="sick-leave-{leave.number}.pdf"'
    return response


def _act(request: HttpRequest, external_id, form_class, action, panel: str, **form_kwargs) -> HttpResponse:
    """Runs one action of the certificate page; on a refusal shows the page with the message at its field."""
    actor, leave = _readable(request, external_id)
    if not _may_act(actor, leave):
        return _forbidden(request, _("Only a doctor of the issuing organisation changes this certificate."))
    if "chairs" in form_kwargs:
        form_kwargs["chairs"] = _chairs(actor)
    form = form_class(request.POST, **form_kwargs)
    if form.is_valid():
        try:
            result, message = action(actor, leave, form.cleaned_data)
        except DomainError as exc:
            attach_refusal(form, exc)
        else:
            messages.success(request, message)
            target = result if isinstance(result, SickLeave) else leave
            return redirect("sickleave:detail", external_id=target.external_id)
    context = _detail_context(actor, leave, **{f"{panel}_form": form, "open_panel": panel})
    return render(request, "sickleave/detail.html", context, status=400)


@require_POST
@login_required
def sick_leave_extend(request: HttpRequest, external_id) -> HttpResponse:
    def action(actor, leave, data):
        chair = _chair_of(actor, data["commission_chair"])
        period = services.sick_leave_extend(
            actor=actor,
            certificate=leave,
            start=data["start"],
            end=data["end"],
            ambulance_record_ref=data["ambulance_record_ref"],
            commission_chair=chair,
        )
        if period.awaiting_commission:
            return leave, _("Extension signed; it now waits for the medical commission's approval.")
        return leave, _("Extended until %(end)s and signed.") % {"end": period.end.strftime("%d.%m.%Y")}

    return _act(request, external_id, ExtendForm, action, "extend", chairs=())


@require_POST
@login_required
def sick_leave_close(request: HttpRequest, external_id) -> HttpResponse:
    def action(actor, leave, data):
        services.sick_leave_close(
            actor=actor, certificate=leave, outcome=data["outcome"], outcome_date=data["outcome_date"]
        )
        return leave, _("Closed and sealed with the organisation's signature.")

    return _act(request, external_id, CloseForm, action, "close")


@require_POST
@login_required
def sick_leave_continue(request: HttpRequest, external_id) -> HttpResponse:
    def action(actor, leave, data):
        follow = services.sick_leave_continue(
            actor=actor,
            certificate=leave,
            end=data["end"],
            commission_chair=_chair_of(actor, data["commission_chair"]),
        )
        return follow, _("Continued on certificate %(number)s.") % {"number": follow.number}

    return _act(request, external_id, ContinueForm, action, "continue", chairs=())


@require_POST
@login_required
def sick_leave_annul(request: HttpRequest, external_id) -> HttpResponse:
    def action(actor, leave, data):
        services.sick_leave_annul(actor=actor, certificate=leave, reason=data["reason"])
        return leave, _("The certificate is annulled.")

    return _act(request, external_id, AnnulForm, action, "annul")


@require_POST
@login_required
def sick_leave_duplicate(request: HttpRequest, external_id) -> HttpResponse:
    actor, leave = _readable(request, external_id)
    if not _may_act(actor, leave):
        return _forbidden(request, _("Only a doctor of the issuing organisation changes this certificate."))
    try:
        duplicate = services.sick_leave_duplicate(actor=actor, certificate=leave)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("sickleave:detail", external_id=leave.external_id)
    messages.success(
        request,
        _("Duplicate %(number)s issued; %(old)s is marked as replaced.")
        % {"number": duplicate.number, "old": leave.number},
    )
    return redirect("sickleave:detail", external_id=duplicate.external_id)


# --- the medical commission ------------------------------------------------------------------


@require_GET
@clinic_required
def commission_queue(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Extensions past the threshold that wait for this chair's approval, oldest first."""
    if not actor.has_role(Role.COMMISSION_CHAIR):
        return _forbidden(request, _("Only the chair of the medical commission sees this queue."))
    items = [
        {
            "period": p,
            "item": presenters.queue_item(p),
            "form": ApproveForm(
                prefix=f"p{p.pk}", initial={"commission_decision_number": p.commission_decision_number}
            ),
        }
        for p in selectors.periods_awaiting_chair(actor=actor)
    ]
    return render(request, "sickleave/commission.html", {"items": items})


def _queued_period(actor: Actor, pk: int) -> SickLeavePeriod:
    period = selectors.periods_awaiting_chair(actor=actor).filter(pk=pk).first()
    if period is None:
        raise Http404
    return period


@require_POST
@clinic_required
def commission_approve(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    if not actor.has_role(Role.COMMISSION_CHAIR):
        return _forbidden(request, _("Only the chair of the medical commission sees this queue."))
    period = _queued_period(actor, pk)
    form = ApproveForm(request.POST, prefix=f"p{pk}")
    if form.is_valid():
        try:
            services.sick_leave_period_approve(
                actor=actor, period=period, decision_number=form.cleaned_data["commission_decision_number"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Period %(ordinal)s of certificate %(number)s approved and signed.")
                % {"ordinal": period.ordinal, "number": period.certificate.number},
            )
    else:
        messages.error(request, _("Give the number of the commission's decision."))
    return redirect("sickleave:commission")


@require_POST
@clinic_required
def commission_reject(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    if not actor.has_role(Role.COMMISSION_CHAIR):
        return _forbidden(request, _("Only the chair of the medical commission sees this queue."))
    period = _queued_period(actor, pk)
    try:
        services.sick_leave_period_reject(actor=actor, period=period, comment=request.POST.get("comment", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The extension of certificate %(number)s is refused and withdrawn.")
            % {"number": period.certificate.number},
        )
    return redirect("sickleave:commission")


# --- employer verification (public) -----------------------------------------------------------


def _rate_limited(request: HttpRequest) -> HttpResponse | None:
    verdict = verification_allowed(request)
    if verdict.allowed:
        return None
    response = render(
        request, "sickleave/rate_limited.html", {"retry_after": verdict.retry_after}, status=429
    )
    response["Retry-After"] = str(verdict.retry_after)
    return response


def _initials(leave: SickLeave) -> str:
    given = f" {leave.patient_given_name[:1]}." if leave.patient_given_name else ""
    middle = f" {leave.patient_middle_name[:1]}." if leave.patient_middle_name else ""
    return f"{leave.patient_family_name}{given}{middle}"


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest, number: str = "") -> HttpResponse:
    """Number + employee's PIN (POST) → status, periods, outcome, issuer; never the diagnosis.

    The QR code of a printout opens `/sick-leave/verify/<number>`: the same answer, with only
    the employee's initials until the PIN is given too."""
    result, with_pin = None, False
    form = VerifyForm(request.POST or None, initial={"number": number})
    if request.method == "POST" or number:
        limited = _rate_limited(request)
        if limited is not None:
            return limited
    if request.method == "POST":
        if form.is_valid():
            leave = selectors.sick_leave_verify(
                number=form.cleaned_data["number"], pin=form.cleaned_data["pin"]
            )
            if leave is None:
                form.add_error(
                    None, _("No sick leave with this number for this PIN. Check both and try again.")
                )
            else:
                result, with_pin = leave, True
    elif number:
        result = selectors.sick_leave_by_number(number=number)
    # A damaged QR code or a mistyped link: say so on the page (the form is unbound here, so
    # the message cannot be one of its errors).
    not_found = bool(number) and request.method != "POST" and result is None
    context = {"form": form, "number": number, "not_found": not_found}
    if result is not None:
        data = presenters.for_employer(result)
        if not with_pin:
            data["patient_name"] = _initials(result)
        context.update({"data": data, "leave": result, "with_pin": with_pin})
    return render(
        request,
        "sickleave/verify.html",
        context,
        status=404 if not_found or (result is None and form.errors) else 200,
    )


# --- the patient ------------------------------------------------------------------------------


@require_GET
@login_required
def my_sick_leaves(request: HttpRequest) -> HttpResponse:
    """The logged-in person's own certificates, every detail included."""
    user = request.user
    leaves = list(selectors.sick_leaves_of_person(pin=user.pin)) if user.pin else []
    today = timezone.localdate()
    return render(
        request,
        "sickleave/mine.html",
        {"rows": [_row(leave, today) for leave in leaves], "has_pin": bool(user.pin)},
    )
