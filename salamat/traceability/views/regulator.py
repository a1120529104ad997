"""The regulator's pages: the alert inbox and recalls."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from salamat.accounts.selectors import actor_for_request
from salamat.core.errors import DomainError, ValidationFailed
from salamat.core.pages import error_page, login_required, safe_next
from salamat.registry.models import Product
from salamat.traceability import selectors, services
from salamat.traceability.labels import alert_label, operation_label, reason_text
from salamat.traceability.models import AlertSeverity, AlertStatus, RecallKind
from salamat.traceability.views.access import require_regulator


@never_cache
@login_required
def alerts(request):
    """The regulator's alert inbox, filtered by kind, severity and status."""
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
    status = params.get("status", AlertStatus.OPEN)
    status = status if status in AlertStatus.values else ""
    kind = params.get("kind", "")
    severity = params.get("severity", "")
    severity = severity if severity in AlertSeverity.values else ""
    qs = selectors.alerts_filtered(status=status, kind=kind, severity=severity)
    shown = list(qs[:200])
    for alert in shown:
        alert.label = alert_label(alert.kind)
        alert.operation_label = operation_label(alert.operation)
        alert.note_error = note_error[1] if note_error and alert.external_id == note_error[0] else ""
    if note_error and not any(alert.note_error for alert in shown):
        messages.error(request, note_error[1])
    return render(
        request,
        "traceability/alerts.html",
        {
            "next_url": next_url,
            "alerts": shown,
            "count": qs.count(),
            "status": status,
            "kind": kind,
            "severity": severity,
            "kinds": [(k["kind"], alert_label(k["kind"])) for k in selectors.alert_kinds_top(limit=50)],
            "severities": AlertSeverity.choices,
            "statuses": AlertStatus.choices,
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


class RecallForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=RecallKind.choices)
    product = forms.ModelChoiceField(
        label=gettext_lazy("Product"), queryset=Product.objects.order_by("trade_name"), required=False,
        to_field_name="external_id", empty_label=gettext_lazy("None: the package codes below"),
    )  # fmt: skip
    batch = forms.CharField(label=gettext_lazy("Batch (empty: every batch)"), max_length=20, required=False)
    package_codes = forms.CharField(
        label=gettext_lazy("Or package codes, one a line"), required=False, strip=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )  # fmt: skip
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    # Shown with the preview when nothing matches; the service refuses a recall of nothing without it.
    confirm_no_match = forms.BooleanField(required=False)

    SCOPE = ("product", "batch", "package_codes")

    def scope(self) -> dict:
        """The service's keywords for what the form names (after is_valid)."""
        data = self.cleaned_data
        codes = [c for c in data.get("package_codes", "").splitlines() if c.strip()]
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
