"""The organisation's recent operations, and cancelling one of them (whole, or some of its packages)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from salamat.accounts.selectors import actor_for_request
from salamat.core.conf import setting
from salamat.core.errors import DomainError
from salamat.core.pages import error_page, login_required, safe_next
from salamat.traceability import selectors, services
from salamat.traceability.codes import code_lines
from salamat.traceability.labels import CANCEL_REFUSALS, TRANSACTION_TYPES, reason_text, transactions_shown
from salamat.traceability.rules import Operation
from salamat.traceability.views import export
from salamat.traceability.views.access import require_operation_role

SORTS = {  # the list's sort choices, as the selector knows them
    "-recorded": gettext_lazy("Newest first"),
    "recorded": gettext_lazy("Oldest first"),
    "operation": gettext_lazy("By operation"),
    "-packages": gettext_lazy("Most packages first"),
}


def _products_text(op: selectors.RecentOperation) -> str:
    return "; ".join(f"{name} {strength} × {n}".replace("  ", " ") for name, strength, n in op.products)


@never_cache
@login_required
def operations(request):
    """The organisation's recent operations with their products, searchable by package code or
    product and sortable, each with a Cancel button while it may be cancelled (and, for a sale of
    several packs, a form to cancel some of them); as CSV or Excel with `?format=`."""
    actor = actor_for_request(request)
    try:
        require_operation_role(actor, Operation.CANCEL)
    except DomainError as exc:
        return error_page(request, exc)
    search = request.GET.get("q", "")[:512]
    sort = request.GET.get("sort", "-recorded")
    sort = sort if sort in SORTS else "-recorded"
    fmt = request.GET.get("format", "")
    limit = 5000 if fmt in export.FORMATS else 100
    ops = selectors.operations_recent(organization=actor.organization, search=search, sort=sort, limit=limit)
    if fmt in export.FORMATS:
        return export.table_response(
            fmt, name="operations",
            header=[_("Recorded"), _("Operation"), _("Packages"), _("Products"), _("By"), _("Site"),
                    _("Documents"), _("Cancelled")],
            rows=(
                [op.event.record_time, op.event.get_operation_display(), op.event.package_count, _products_text(op),
                 (op.event.user.get_full_name() or str(op.event.user)) if op.event.user else "",
                 op.event.site.name if op.event.site else "",
                 "; ".join(f"{t['label']}: {t['value']}" for t in transactions_shown(op.event.biz_transactions)
                           if t["label"] != str(TRANSACTION_TYPES["cancels"])),
                 _("yes") if op.event.cancelled_by_id else ""]
                for op in ops
            ),
        )  # fmt: skip
    return render(
        request,
        "traceability/operations.html",
        {
            "operations": ops,
            "window_days": setting("CANCEL_WINDOW_DAYS"),
            "refusal_labels": CANCEL_REFUSALS,
            "search": search,
            "sort": sort,
            "sorts": SORTS.items(),
        },
    )


@require_POST
@login_required
def operation_cancel(request, event_id):
    """Cancels one of the organisation's operations; a refusal says why, code by code."""
    actor = actor_for_request(request)
    try:
        require_operation_role(actor, Operation.CANCEL)
        answer = services.operation_cancel(actor=actor, event_id=event_id)
    except services.OperationRefused as exc:
        errors = exc.details.get("errors", [])
        shown = "; ".join(f"{e['code']} — {reason_text(e['reason'])}" for e in errors[:5])
        more = len(errors) - 5
        messages.error(
            request,
            _("The operation was not cancelled: %(errors)s") % {"errors": shown}
            + (" " + _("and %(count)d more.") % {"count": more} if more > 0 else ""),
        )
        return redirect("traceability:operations")
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("traceability:operations")
    messages.success(
        request, _("Operation cancelled; packages restored: %(count)d.") % {"count": answer["package_count"]}
    )
    return redirect("traceability:operations")


@require_POST
@login_required
def operation_cancel_packages(request, event_id):
    """Cancels some packages of one of the organisation's operations (a customer returns one pack)."""
    actor = actor_for_request(request)
    codes = code_lines(request.POST.get("codes", ""))
    try:
        require_operation_role(actor, Operation.CANCEL)
        answer = services.operation_cancel_packages(actor=actor, event_id=event_id, codes=codes)
    except services.OperationRefused as exc:
        errors = exc.details.get("errors", [])
        shown = "; ".join(f"{e['code']} — {reason_text(e['reason'])}" for e in errors[:5])
        messages.error(request, _("Nothing was cancelled: %(errors)s") % {"errors": shown})
        return redirect(safe_next(request, reverse("traceability:operations")))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(safe_next(request, reverse("traceability:operations")))
    messages.success(
        request,
        ngettext(
            "%(count)d package of the operation cancelled: it is back as it was before.",
            "%(count)d packages of the operation cancelled: they are back as they were before.",
            answer["package_count"],
        )
        % {"count": answer["package_count"]},
    )
    return redirect(safe_next(request, reverse("traceability:operations")))
