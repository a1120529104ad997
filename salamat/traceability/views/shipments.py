"""The shipment inbox: accept or reject a whole shipment, or receive it by scanning."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from salamat.accounts.selectors import actor_for_request
from salamat.core.actors import Actor
from salamat.core.errors import DomainError, NotFound
from salamat.core.pages import error_page, login_required
from salamat.traceability import code_checks, selectors, services
from salamat.traceability.models import Shipment, ShipmentStatus
from salamat.traceability.rules import Operation
from salamat.traceability.views.access import require_operation_role
from salamat.traceability.views.scan import ACCEPT, check_response, scan_flow


def _incoming_shipment(actor: Actor, external_id) -> Shipment:
    org = actor.require_organization()
    shipment = (
        Shipment.objects.select_related("sender", "receiver")
        .filter(external_id=external_id, receiver=org)
        .first()
    )
    if shipment is None:
        raise NotFound("shipment_not_found", _("No such shipment."))
    return shipment


@never_cache
@login_required
def shipments(request):
    """The shipment inbox: incoming shipments to accept or reject, outgoing ones with their status."""
    actor = actor_for_request(request)
    try:
        require_operation_role(actor, Operation.ACCEPT)
    except DomainError as exc:
        return error_page(request, exc)
    org = actor.organization
    return render(
        request,
        "traceability/shipments.html",
        {
            "incoming": list(
                selectors.shipments_for(organization=org, direction="incoming", status="sent")[:100]
            ),
            "closed_incoming": list(
                selectors.shipments_for(organization=org, direction="incoming").exclude(status="sent")[:20]
            ),
            "outgoing": list(selectors.shipments_for(organization=org, direction="outgoing")[:50]),
        },
    )


@require_POST
@login_required
def shipment_accept(request, external_id):
    """Accepts a whole shipment as it was sent."""
    actor = actor_for_request(request)
    try:
        require_operation_role(actor, Operation.ACCEPT)
        shipment = _incoming_shipment(actor, external_id)
        answer = services.shipment_accept(actor=actor, shipment_id=shipment.external_id)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("traceability:shipments")
    messages.success(
        request,
        _("Shipment %(invoice)s accepted, packages: %(count)d.")
        % {"invoice": shipment.invoice_number or shipment.external_id, "count": answer["package_count"]},
    )
    return redirect("traceability:shipments")


@require_POST
@login_required
def shipment_reject(request, external_id):
    """Rejects a whole shipment: its packages go back to the sender."""
    actor = actor_for_request(request)
    try:
        require_operation_role(actor, Operation.ACCEPT)
        shipment = _incoming_shipment(actor, external_id)
        services.shipment_reject(
            actor=actor, shipment_id=shipment.external_id, reason=request.POST.get("reason", "")[:200]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("traceability:shipments")
    messages.success(
        request,
        _("Shipment %(invoice)s rejected.") % {"invoice": shipment.invoice_number or shipment.external_id},
    )
    return redirect("traceability:shipments")


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def shipment_receive(request, external_id):
    """Acceptance with discrepancies: scan what arrived."""
    actor = actor_for_request(request)
    try:
        require_operation_role(actor, Operation.ACCEPT)
        shipment = _incoming_shipment(actor, external_id)
        if shipment.status != ShipmentStatus.SENT:
            raise NotFound("shipment_not_pending", _("This shipment is no longer waiting for acceptance."))
    except DomainError as exc:
        return error_page(request, exc)
    return scan_flow(request, actor, ACCEPT, shipment=shipment)


@require_POST
@login_required
def shipment_check(request, external_id):
    """htmx: is this scanned code part of the shipment being received?"""
    actor = actor_for_request(request)
    try:
        require_operation_role(actor, Operation.ACCEPT)
        shipment = _incoming_shipment(actor, external_id)
    except DomainError:
        return HttpResponse(status=403)
    check = code_checks.code_check_for_operation(
        actor=actor, operation="accept", raw=request.POST.get("code", ""), shipment=shipment
    )
    return check_response(request, check)
