"""The regulator's pages: the alert inbox and recalls."""

from __future__ import annotations

import csv
import itertools
import uuid
from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.http import FileResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from salamat.accounts.selectors import actor_for_request
from salamat.core.errors import DomainError, NotFound, ValidationFailed
from salamat.core.pages import error_page, login_required, safe_next
from salamat.core.spreadsheet import spreadsheet_safe
from salamat.registry.models import Product, Region
from salamat.traceability import alerts as alert_reads
from salamat.traceability import selectors, services
from salamat.traceability.alerts import AlertFilters
from salamat.traceability.codes import code_lines
from salamat.traceability.labels import (
    alert_label,
    alert_title,
    operation_label,
    problem_label,
    reason_text,
    verdict_label,
)
from salamat.traceability.models import AlertSeverity, AlertStatus, RecallKind
from salamat.traceability.views.access import require_regulator


@never_cache
@login_required
def alerts(request):
    """The regulator's alert inbox, filtered by status, kind, severity and assignee."""
    actor = actor_for_request(request)
    try:
        require_regulator(actor)
    except DomainError as exc:
        return error_page(request, exc)
    return _alerts_page(request, request.GET, next_url=request.get_full_path())


def _alerts_page(
    request, params: QueryDict, *, next_url: str, note_error: tuple[uuid.UUID, str] | None = None,
    status_code: int = 200,
):  # fmt: skip
    actor = actor_for_request(request)
    filters = AlertFilters.of(params)
    qs = alert_reads.alerts_inbox(filters=filters, actor=actor)
    shown = list(qs[:200])
    for alert in shown:
        alert.label = alert_title(alert.kind, alert.details)
        alert.operation_label = operation_label(alert.operation)
        alert.note_error = note_error[1] if note_error and alert.external_id == note_error[0] else ""
    if note_error and not any(alert.note_error for alert in shown):
        messages.error(request, note_error[1])
    query = params.copy()
    query.pop("page", None)
    return render(
        request,
        "traceability/alerts.html",
        {
            "next_url": next_url,
            "alerts": shown,
            "count": qs.count(),
            "status": filters.status,
            "kind": filters.kind,
            "severity": filters.severity,
            "assignee": filters.assignee,
            "kinds": [(k["kind"], alert_label(k["kind"])) for k in selectors.alert_kinds_top(limit=50)],
            "severities": AlertSeverity.choices,
            "statuses": [(alert_reads.ACTIVE, _("New or in progress")), *AlertStatus.choices],
            "staff": list(alert_reads.alert_staff()),
            "export_query": query.urlencode(),
        },
        status=status_code,
    )


@require_POST
@login_required
def alert_resolve(request, external_id):
    """Resolves an alert with a note, back to the inbox as it was filtered; a missing note is
    said under that alert's own form."""
    actor = actor_for_request(request)
    next_url = safe_next(request, reverse("traceability:alerts"))
    try:
        require_regulator(actor)
        services.alert_resolve(actor=actor, alert_id=external_id, note=request.POST.get("note", ""))
    except ValidationFailed as exc:
        return _alerts_page(
            request, QueryDict(urlsplit(next_url).query), next_url=next_url,
            note_error=(external_id, exc.message), status_code=exc.status_code,
        )  # fmt: skip
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The alert is resolved."))
    return redirect(next_url)


@never_cache
@login_required
def alert_detail(request, external_id, *, error: DomainError | None = None):
    """One alert in full: what was refused or reported (a citizen's text, photo, where bought,
    phone), who handles it, its status, and what was done with it."""
    actor = actor_for_request(request)
    try:
        require_regulator(actor)
        alert = alert_reads.alert_by_external_id(external_id)
        if alert is None:
            raise NotFound("alert_not_found", _("No such alert."))
    except DomainError as exc:
        return error_page(request, exc)
    details = alert.details or {}
    report = alert.kind == "citizen_report"
    staff = list(alert_reads.alert_staff())
    return render(
        request,
        "traceability/alert_detail.html",
        {
            "alert": alert,
            "title": alert_title(alert.kind, details),
            "kind_label": alert_label(alert.kind),
            "operation_label": operation_label(alert.operation),
            "report": report,
            "problem": problem_label(details.get("problem", "")) if report else "",
            "verdict": verdict_label(details.get("verdict", "")) if report and details.get("verdict") else "",
            "region": dict(Region.choices).get(details.get("region", ""), details.get("region", "")),
            "has_photo": alert_reads.alert_photo(alert) is not None,
            "other_details": [] if report else _other_details(details),
            "staff": staff,
            "next_statuses": [
                (value, AlertStatus(value).label)
                for value in AlertStatus.values
                if value in services.ALERT_TRANSITIONS[alert.status]
            ],  # fmt: skip
            "history": _history_shown(alert, staff),
            "error": error,
        },
        status=error.status_code if error else 200,
    )


def _other_details(details: dict) -> list[tuple[str, str]]:
    """A refusal's or discrepancy's details, named where the name is known."""
    names = {"shipment": _("Shipment"), "sender": _("Sender"), "shipment_id": _("Shipment")}
    return [(str(names.get(k, k)), str(v)) for k, v in details.items() if v not in ("", None, [], {})]


def _history_shown(alert, staff) -> list[dict]:
    people = {str(u.external_id): u for u in staff}
    shown = []
    for change in alert_reads.alert_history(alert):
        item = {"at": change.at, "by": change.by, "text": "", "note": change.changes.get("note", "")}
        if change.action == "alert.status":
            new = change.changes.get("status", {}).get("new", "")
            item["text"] = _("Status: %(status)s") % {"status": _status_label(new)}
        elif change.action == "alert.resolve":
            item["text"] = _("Status: %(status)s") % {"status": AlertStatus.RESOLVED.label}
        elif change.action == "alert.assign":
            new = change.changes.get("assigned_to", {}).get("new")
            person = people.get(new) if new else None
            item["text"] = (
                _("Assigned to %(person)s") % {"person": person or _("a former staff member")}
                if new else _("Assignment removed")
            )  # fmt: skip
        else:
            continue
        shown.append(item)
    return shown


def _status_label(value: str) -> str:
    return str(AlertStatus(value).label) if value in AlertStatus.values else value


@require_POST
@login_required
def alert_assign(request, external_id):
    """Gives the alert to a staff member (or to nobody)."""
    actor = actor_for_request(request)
    raw = request.POST.get("assignee", "")
    try:
        require_regulator(actor)
        try:
            assignee = uuid.UUID(raw) if raw else None
        except ValueError:
            raise ValidationFailed(
                "assignee_not_staff", _("Alerts are assigned to the regulator's staff only.")
            ) from None
        alert = services.alert_assign(actor=actor, alert_id=external_id, assignee_id=assignee)
    except ValidationFailed as exc:
        return alert_detail(request, external_id, error=exc)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if alert.assigned_to:
            messages.success(
                request, _("The alert is assigned to %(person)s.") % {"person": alert.assigned_to}
            )
        else:
            messages.success(request, _("The alert is assigned to nobody now."))
    return redirect("traceability:alert_detail", external_id=external_id)


@require_POST
@login_required
def alert_status(request, external_id):
    """Changes the alert's status (closing it needs a note)."""
    actor = actor_for_request(request)
    try:
        require_regulator(actor)
        alert = services.alert_set_status(
            actor=actor, alert_id=external_id, status=request.POST.get("status", ""),
            note=request.POST.get("note", ""),
        )  # fmt: skip
    except ValidationFailed as exc:
        return alert_detail(request, external_id, error=exc)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Status changed: %(status)s.") % {"status": alert.get_status_display()})
    return redirect("traceability:alert_detail", external_id=external_id)


@never_cache
@login_required
def alert_photo(request, external_id):
    """The photo a citizen attached to a report, for the regulator only."""
    actor = actor_for_request(request)
    try:
        require_regulator(actor)
        alert = alert_reads.alert_by_external_id(external_id)
        photo = alert_reads.alert_photo(alert) if alert else None
        if photo is None:
            raise NotFound("photo_not_found", _("No photo with this alert."))
    except DomainError as exc:
        return error_page(request, exc)
    path, content_type = photo
    response = FileResponse(path.open("rb"), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@never_cache
@login_required
def alerts_export(request):
    """The inbox as filtered, as a CSV file (UTF-8 with a BOM, so that spreadsheets read Cyrillic)."""
    actor = actor_for_request(request)
    try:
        require_regulator(actor)
    except DomainError as exc:
        return error_page(request, exc)
    qs = alert_reads.alerts_inbox(filters=AlertFilters.of(request.GET), actor=actor)
    regions = dict(Region.choices)
    header = [
        _("Created"), _("Alert"), _("Kind code"), _("Severity"), _("Status"), _("Organisation"), _("Operation"),
        _("Codes"), _("Number of codes"), _("Assigned to"), _("Status changed by"), _("Status changed at"),
        _("Resolution note"), _("Problem"), _("Description"), _("Where bought"), _("Region"), _("Phone"),
        _("Check result"), _("Link"),
    ]  # fmt: skip

    def when(value) -> str:
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""

    def rows():
        yield header
        for a in qs.iterator(chunk_size=2000):
            d = a.details or {}
            report = a.kind == "citizen_report"
            yield [
                when(a.created_at), alert_title(a.kind, d), a.kind, a.get_severity_display(),
                a.get_status_display(), a.organization, operation_label(a.operation), " ".join(a.codes),
                a.code_count, a.assigned_to or "", a.status_changed_by or "", when(a.status_changed_at),
                a.resolution_note, problem_label(d.get("problem", "")) if report else "",
                d.get("description", "") if report else "", d.get("where_bought", "") if report else "",
                regions.get(d.get("region", ""), d.get("region", "")) if report else "",
                d.get("phone", "") if report else "",
                verdict_label(d["verdict"]) if report and d.get("verdict") else "",
                request.build_absolute_uri(reverse("traceability:alert_detail", args=[a.external_id])),
            ]  # fmt: skip

    buffer = _Echo()
    writer = csv.writer(buffer)
    body = itertools.chain(
        ["\ufeff"], (writer.writerow([spreadsheet_safe(v) for v in row]) for row in rows())
    )
    response = StreamingHttpResponse(body, content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="alerts-{stamp}.csv"'
    return response


class _Echo:
    """A file-like object that hands back what csv.writer writes (for streaming)."""

    def write(self, value: str) -> str:
        return value


class RecallForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=RecallKind.choices)
    product = forms.ModelChoiceField(
        label=gettext_lazy("Product"), queryset=Product.objects.order_by("trade_name"), required=False,
        to_field_name="external_id", empty_label=gettext_lazy("None: the package codes below"),
        widget=forms.Select(attrs={"data-recall-scope": "1"}),
    )  # fmt: skip
    batch = forms.CharField(
        label=gettext_lazy("Batch (empty: every batch)"), max_length=20, required=False,
        widget=forms.TextInput(attrs={"data-recall-scope": "1"}),
    )  # fmt: skip
    package_codes = forms.CharField(
        label=gettext_lazy("Or package codes, one a line"), required=False, strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "data-recall-scope": "1"}),
    )  # fmt: skip
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    # Only the fields that change what is covered refresh the preview (data-recall-scope): a
    # refresh while the person ticks the confirmation below would drop the tick.
    # Shown with the preview when nothing matches; the service refuses a recall of nothing without it.
    confirm_no_match = forms.BooleanField(required=False)

    SCOPE = ("product", "batch", "package_codes")

    def scope(self) -> dict:
        """The service's keywords for what the form names (after is_valid)."""
        data = self.cleaned_data
        codes = code_lines(data.get("package_codes", ""))
        product = data.get("product")
        return {
            "product_id": product.external_id if product else None,
            "batch": data.get("batch", ""),
            "package_codes": codes or None,
        }


def _preview_of(actor, form: RecallForm) -> dict:
    """The preview's context: what the recall would flag, or why it cannot say yet."""
    if any(name in form.errors for name in RecallForm.SCOPE):
        return {"preview_error": _("Correct the fields above to see what the recall covers.")}
    try:
        return {"preview": services.recall_preview(actor=actor, **form.scope())}
    except DomainError as exc:
        if exc.code == "recall_scope_required":
            return {"preview_hint": True}
        return {"preview_error": exc.message, "preview_errors": _code_errors(exc)}


def _code_errors(exc: DomainError) -> list[str]:
    errors = exc.details.get("errors", []) if isinstance(exc.details, dict) else []
    return [f"{err['code']}: {reason_text(err['reason'])}" for err in errors]


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def recalls(request):
    """Recalls and blocks: the list, and a form to create one for a product, a batch or packages,
    with a preview of what it would flag (live as the form is filled, or with the Preview button)."""
    actor = actor_for_request(request)
    try:
        require_regulator(actor)
    except DomainError as exc:
        return error_page(request, exc)
    form = RecallForm(request.POST or None)
    status = 200
    context: dict = {}
    if request.method == "POST":
        valid = form.is_valid()
        if "preview" in request.POST:
            form.errors.pop("reason", None)  # the reason is not needed to see what is covered
            context = _preview_of(actor, form)
        elif valid:
            data = form.cleaned_data
            try:
                recall = services.recall_create(
                    actor=actor, reason=data["reason"], kind=data["kind"],
                    confirm_no_match=data["confirm_no_match"], **form.scope(),
                )  # fmt: skip
            except DomainError as exc:
                form.add_error(None, exc.message)
                for message in _code_errors(exc):
                    form.add_error(None, message)
                if exc.code == "recall_matches_nothing":
                    context = _preview_of(actor, form)
                status = exc.status_code
            else:
                if recall.package_count:
                    message = _("Recall recorded: %(count)d packages flagged.") % {
                        "count": recall.package_count
                    }
                else:
                    message = _(
                        "Recall recorded: no package is flagged now; packages it covers will be refused "
                        "when someone tries to introduce them."
                    )
                messages.success(request, message)
                return redirect("traceability:recalls")
        else:
            status = 422
    return render(
        request,
        "traceability/recalls.html",
        {"form": form, "recalls": list(selectors.recalls_list()[:100]), **context},
        status=status,
    )


@require_POST
@login_required
def recall_preview(request):
    """The preview alone, for the form to show as it is filled (htmx)."""
    actor = actor_for_request(request)
    try:
        require_regulator(actor)
    except DomainError as exc:
        return error_page(request, exc)
    form = RecallForm(request.POST)
    form.is_valid()
    return render(request, "traceability/_recall_preview.html", {"form": form, **_preview_of(actor, form)})


@require_POST
@login_required
def recall_lift(request, external_id):
    actor = actor_for_request(request)
    try:
        require_regulator(actor)
        services.recall_lift(actor=actor, recall_id=external_id, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The recall is lifted."))
    return redirect("traceability:recalls")
