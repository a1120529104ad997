"""The organisation's recent operations, and cancelling one of them."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from salamat.accounts.selectors import actor_for_request
from salamat.core.conf import setting
from salamat.core.errors import DomainError
from salamat.core.pages import error_page, login_required
from salamat.traceability import selectors, services
from salamat.traceability.labels import CANCEL_REFUSALS, reason_text
from salamat.traceability.rules import Operation
from salamat.traceability.views.access import require_operation_role


@never_cache
@login_required
def operations(request):
    """The organisation's recent operations, each with a Cancel button while it may be cancelled."""
    actor = actor_for_request(request)
    try:
        require_operation_role(actor, Operation.CANCEL)
    except DomainError as exc:
        return error_page(request, exc)
    return render(
        request,
        "traceability/operations.html",
        {
            "operations": selectors.operations_recent(organization=actor.organization),
            "window_days": setting("CANCEL_WINDOW_DAYS"),
            "refusal_labels": CANCEL_REFUSALS,
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
