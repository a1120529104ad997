"""Traceability web pages: scanning pages built for keyboard-wedge scanners and phone cameras,
the shipment inbox, stock, package history, and the regulator's alerts and recalls.

Views stay thin: they read forms, call one service or selector, and render. Every code a
scanner sends is kept exactly as received (GS characters included) until the parser sees it:
codes travel as `request.POST.getlist("codes")`, never through a form field that strips.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from salamat.accounts.selectors import actor_for_request
from salamat.codes.model import CodeError, CodeKind
from salamat.core.actors import Actor
from salamat.core.conf import setting
from salamat.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from salamat.registry.models import Organization, OrganizationStatus, Product, Site
from salamat.traceability import selectors, services
from salamat.traceability.codes import parse_many
from salamat.traceability.models import (
    OPERATION_CODE,
    AlertSeverity,
    AlertStatus,
    OperationType,
    RecallKind,
    Shipment,
    ShipmentStatus,
)
from salamat.traceability.rules import Operation
from salamat.web.decorators import login_required
from salamat.web.errors import error_page
from salamat.web.redirects import safe_next

MAX_CODES_PER_PAGE = 5000  # a page submission; bigger batches go through the API or a file import

# Why a code may not take part, in the page's language (rules.Refusal, codes.CodeError and the
# services' own codes). Unknown codes fall back to the code itself, so nothing is ever hidden.
REASONS: dict[str, Any] = {
    "never_introduced": gettext_lazy("Never introduced into circulation: unknown code"),
    "already_introduced": gettext_lazy("Already introduced into circulation"),
    "already_sold": gettext_lazy("Already sold"),
    "withdrawn": gettext_lazy("Already withdrawn from circulation"),
    "not_owner": gettext_lazy("Belongs to another participant"),
    "in_transit": gettext_lazy("In transit: accept or cancel the shipment first"),
    "not_in_transit": gettext_lazy("Not in transit"),
    "not_addressed_to_you": gettext_lazy("The shipment is addressed to another participant"),
    "not_yet_introduced": gettext_lazy("Sticker issued, but the package was never introduced"),
    "sticker_not_issued": gettext_lazy("No such system sticker was issued"),
    "recalled": gettext_lazy("Recalled by the regulator"),
    "blocked": gettext_lazy("Blocked by the regulator"),
    "expired": gettext_lazy("Expired"),
    "product_not_registered": gettext_lazy("The product is not registered"),
    "too_many_units": gettext_lazy("More units than the package has left"),
    "duplicate_code": gettext_lazy("Scanned twice"),
    "not_a_package": gettext_lazy("A box or pallet code where a package is needed"),
    "not_a_container": gettext_lazy("A package code where a box or pallet (SSCC) is needed"),
    "in_container": gettext_lazy("Already packed in another box"),
    "no_previous_owner": gettext_lazy("Nobody to return it to"),
    "batch_required": gettext_lazy("Batch required"),
    "expiry_required": gettext_lazy("Expiry date required"),
    "changed_since": gettext_lazy("Something happened to this package since"),
    "not_in_shipment": gettext_lazy("Not in this shipment"),
    "unknown_container": gettext_lazy("Unknown box or pallet"),
    "container_dissolved": gettext_lazy("This box or pallet was unpacked"),
    "container_cycle": gettext_lazy("A box cannot go inside itself"),
    "empty": gettext_lazy("Empty code"),
    "too_long": gettext_lazy("The code is too long"),
    "unknown_format": gettext_lazy("Unknown code format"),
    "bad_check_digit": gettext_lazy("Wrong check digit: misread or forged code"),
    "missing_serial": gettext_lazy("No serial number in the code"),
    "bad_date": gettext_lazy("Invalid date in the code"),
    "bad_gtin": gettext_lazy("Invalid GTIN"),
    "bad_serial": gettext_lazy("Invalid serial number"),
    "bad_sscc": gettext_lazy("Invalid SSCC"),
    "needs_sticker": gettext_lazy(
        "A plain barcode names a product, not a package: a system sticker is needed"
    ),
}


def reason_text(reason: str) -> str:
    return str(REASONS.get(reason, reason))


# --- forms of the operations' extra fields ------------------------------------------------------


class IntroduceForm(forms.Form):
    product = forms.ModelChoiceField(
        label=gettext_lazy("Product (when the code carries no GTIN)"),
        queryset=Product.objects.order_by("trade_name"),
        required=False,
        to_field_name="external_id",
        empty_label=gettext_lazy("The one the code names"),
    )
    batch = forms.CharField(label=gettext_lazy("Batch"), max_length=20, required=False)
    expiry = forms.DateField(
        label=gettext_lazy("Expiry date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class ShipForm(forms.Form):
    receiver = forms.ModelChoiceField(
        label=gettext_lazy("Receiver"), queryset=Organization.objects.none(), to_field_name="external_id"
    )
    invoice_number = forms.CharField(label=gettext_lazy("Invoice number"), max_length=64)
    invoice_date = forms.DateField(
        label=gettext_lazy("Invoice date"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, actor: Actor, **kwargs):
        super().__init__(*args, **kwargs)
        own = actor.organization.pk if actor.organization else None
        self.fields["receiver"].queryset = (
            Organization.objects.filter(status=OrganizationStatus.ACTIVE).exclude(pk=own).order_by("name")
        )


class SellForm(forms.Form):
    units = forms.IntegerField(
        label=gettext_lazy("Units sold of each package"),
        help_text=gettext_lazy("Empty: the whole package."),
        min_value=1,
        required=False,
    )
    receipt_number = forms.CharField(label=gettext_lazy("Receipt number"), max_length=64, required=False)


class ExportForm(forms.Form):
    country = forms.CharField(
        label=gettext_lazy("Country of destination (ISO code)"), max_length=2, min_length=2
    )


class AggregateForm(forms.Form):
    # strip=False: a scanner's GS characters are data (Python's strip() takes them for whitespace).
    container = forms.CharField(
        label=gettext_lazy("Box or pallet code (SSCC)"), max_length=512, strip=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "data-scan-field": "1"}),
    )  # fmt: skip

    def clean_container(self) -> str:
        """A misread box code (or a package code in its place) is refused at the field, as a scanned code would be."""
        raw = self.cleaned_data["container"]
        parsed = parse_many([raw])[0]
        if isinstance(parsed, CodeError):
            raise forms.ValidationError(reason_text(parsed.code), code=parsed.code)
        if parsed.kind is not CodeKind.SSCC:
            raise forms.ValidationError(reason_text("not_a_container"), code="not_a_container")
        return raw


class NoExtraForm(forms.Form):
    pass


@dataclass(frozen=True)
class ScanOperation:
    """One scanning page: which operation, for whom, with which extra fields."""

    slug: str
    operation: Operation
    title: Any
    intro: Any
    submit: Any
    done: Any  # "%(count)d packages …"
    form: type[forms.Form] = NoExtraForm
    icon: str = "box"

    @property
    def roles(self) -> tuple[str, ...]:
        return services.OPERATION_ROLES[self.operation]


SCAN_OPERATIONS: dict[str, ScanOperation] = {
    op.slug: op
    for op in (
        ScanOperation(
            "introduce",
            Operation.INTRODUCE,
            gettext_lazy("Introduce into circulation"),
            gettext_lazy(
                "Scan the packages you imported or produced. Batch and expiry are read from "
                "the code; give them here when the code does not carry them."
            ),
            gettext_lazy("Introduce"),
            gettext_lazy("Packages introduced into circulation: %(count)d."),
            IntroduceForm,
            "box",
        ),
        ScanOperation(
            "ship",
            Operation.SHIP,
            gettext_lazy("Ship"),
            gettext_lazy("Scan the packages, boxes or pallets you send to another participant."),
            gettext_lazy("Ship"),
            gettext_lazy("Packages shipped: %(count)d."),
            ShipForm,
            "truck",
        ),
        ScanOperation(
            "sell",
            Operation.SELL,
            gettext_lazy("Sell"),
            gettext_lazy("Scan the packages sold to a customer, or give the number of units sold of each."),
            gettext_lazy("Record the sale"),
            gettext_lazy("Packages sold: %(count)d."),
            SellForm,
            "cart",
        ),
        ScanOperation(
            "dispense",
            Operation.DISPENSE,
            gettext_lazy("Dispense in a clinic"),
            gettext_lazy("Scan the packages used for patients."),
            gettext_lazy("Record dispensing"),
            gettext_lazy("Packages dispensed: %(count)d."),
            icon="heart",
        ),
        ScanOperation(
            "return",
            Operation.RETURN,
            gettext_lazy("Return to the supplier"),
            gettext_lazy("Scan the packages that go back to their previous owner."),
            gettext_lazy("Return"),
            gettext_lazy("Packages returned: %(count)d."),
            icon="arrow-right",
        ),
        ScanOperation(
            "write-off",
            Operation.WRITE_OFF,
            gettext_lazy("Write off"),
            gettext_lazy("Scan the packages lost, stolen or damaged beyond use."),
            gettext_lazy("Write off"),
            gettext_lazy("Packages written off: %(count)d."),
            icon="file",
        ),
        ScanOperation(
            "destroy",
            Operation.DESTROY,
            gettext_lazy("Destroy"),
            gettext_lazy("Scan the packages handed over for destruction."),
            gettext_lazy("Record destruction"),
            gettext_lazy("Packages destroyed: %(count)d."),
            icon="alert",
        ),
        ScanOperation(
            "export",
            Operation.EXPORT,
            gettext_lazy("Export"),
            gettext_lazy("Scan the packages that leave the country."),
            gettext_lazy("Record export"),
            gettext_lazy("Packages exported: %(count)d."),
            ExportForm,
            "globe",
        ),
        ScanOperation(
            "aggregate",
            Operation.AGGREGATE,
            gettext_lazy("Pack into a box or pallet"),
            gettext_lazy("Scan the box or pallet code first, then the packages and boxes that go inside."),
            gettext_lazy("Pack"),
            gettext_lazy("Packages packed into %(container)s: %(count)d."),
            AggregateForm,
            "box",
        ),
        ScanOperation(
            "disaggregate",
            Operation.DISAGGREGATE,
            gettext_lazy("Unpack a box or pallet"),
            gettext_lazy("Scan the boxes or pallets to unpack: what is inside becomes loose."),
            gettext_lazy("Unpack"),
            gettext_lazy("Packages unpacked: %(count)d."),
            icon="box",
        ),
    )  # fmt: skip
}

ACCEPT = ScanOperation(
    "accept", Operation.ACCEPT, gettext_lazy("Receive a shipment"),
    gettext_lazy("Scan what arrived. Packages you do not scan stay with the sender; codes that are not "
                 "in the shipment are reported."),
    gettext_lazy("Accept what was scanned"), gettext_lazy("Packages accepted: %(count)d."), icon="truck",
)  # fmt: skip


def may_scan(actor: Actor, scan_op: ScanOperation) -> bool:
    """Whether the actor may use a scanning page (the service checks again on submit)."""
    if actor.organization is None or not actor.has_role(*scan_op.roles):
        return False
    if scan_op.operation is Operation.INTRODUCE:
        return actor.organization.org_type in services.INTRODUCER_TYPES
    return True


def _require_scan(actor: Actor, scan_op: ScanOperation) -> None:
    if not may_scan(actor, scan_op):
        raise PermissionDenied(
            "role_required", _("This page is not available for your role and organisation.")
        )


def _require_regulator(actor: Actor) -> None:
    if not selectors.is_regulator(actor):
        raise PermissionDenied("role_required", _("This page is for the regulator."))


def _extra_form(scan_op: ScanOperation, actor: Actor, data=None) -> forms.Form:
    if scan_op.form is ShipForm:
        return ShipForm(data, actor=actor, prefix="x")
    return scan_op.form(data, prefix="x")


@dataclass
class Row:
    raw: str
    reason: str | None = None
    checked: bool = False

    @property
    def message(self) -> str:
        return reason_text(self.reason) if self.reason else ""

    @property
    def display(self) -> str:
        return self.raw.replace("\x1d", "‹GS›")  # shown visibly; the hidden field keeps the GS itself


def _render_scan(request, scan_op, *, form, rows=(), refusal=None, shipment=None, status=200):
    check_url = (
        reverse("traceability:shipment_check", args=[shipment.external_id])
        if shipment is not None
        else reverse("traceability:code_check", args=[scan_op.slug])
    )
    return render(
        request,
        "traceability/scan.html",
        {
            "op": scan_op,
            "form": form,
            "rows": list(rows),
            "refusal": refusal,
            "shipment": shipment,
            "check_url": check_url,
            "bad_count": sum(1 for r in rows if r.reason),
        },
        status=status,
    )


def _submit(scan_op: ScanOperation, actor: Actor, codes: list[str], data: dict, shipment) -> dict:
    op = scan_op.operation
    if op is Operation.INTRODUCE:
        product = data.get("product")
        return services.packages_introduce(
            actor=actor, codes=codes, batch=data.get("batch") or None, expiry=data.get("expiry"),
            product_id=product.external_id if product else None,
        )  # fmt: skip
    if op is Operation.SHIP:
        return services.shipment_send(
            actor=actor, codes=codes, receiver_id=data["receiver"].external_id,
            invoice_number=data["invoice_number"], invoice_date=data["invoice_date"],
        )  # fmt: skip
    if op is Operation.SELL:
        return services.packages_sell(
            actor=actor, codes=codes, units=data.get("units"), receipt_number=data.get("receipt_number") or ""
        )
    if op is Operation.EXPORT:
        return services.packages_export(actor=actor, codes=codes, country=data["country"])
    if op is Operation.AGGREGATE:
        return services.containers_aggregate(actor=actor, container_code=data["container"], codes=codes)
    if op is Operation.DISAGGREGATE:
        return services.containers_disaggregate(actor=actor, codes=codes)
    if op is Operation.ACCEPT:
        return services.shipment_accept(actor=actor, shipment_id=shipment.external_id, codes=codes)
    simple = {
        Operation.DISPENSE: services.packages_dispense,
        Operation.RETURN: services.packages_return,
        Operation.WRITE_OFF: services.packages_write_off,
        Operation.DESTROY: services.packages_destroy,
    }
    return simple[op](actor=actor, codes=codes)


def _scan_flow(request, actor: Actor, scan_op: ScanOperation, shipment=None):
    if request.method == "GET":
        return _render_scan(request, scan_op, form=_extra_form(scan_op, actor), shipment=shipment)
    codes = request.POST.getlist("codes")[:MAX_CODES_PER_PAGE]
    form = _extra_form(scan_op, actor, request.POST)
    rows = [Row(raw=c) for c in codes]
    if not codes:
        messages.error(request, _("Scan at least one code."))
        return _render_scan(request, scan_op, form=form, rows=rows, shipment=shipment, status=422)
    if not form.is_valid():
        return _render_scan(request, scan_op, form=form, rows=rows, shipment=shipment, status=422)
    try:
        answer = _submit(scan_op, actor, codes, form.cleaned_data, shipment)
    except services.OperationRefused as refused:
        reasons: dict[str, str] = {}
        for err in refused.details["errors"]:
            reasons.setdefault(err["code"], err["reason"])
        # Refused codes carry their reason; the others are checked again (htmx) to show what they are.
        rows = [Row(raw=c, reason=reasons.get(c), checked=c in reasons) for c in codes]
        # Errors about something that is not a row (the box code, a shipment) are listed too.
        others = [e for e in refused.details["errors"] if e["code"] not in set(codes)]
        return _render_scan(
            request, scan_op, form=form, rows=rows, shipment=shipment, status=422,
            refusal={"message": refused.message, "others": [(e["code"], reason_text(e["reason"])) for e in others]},
        )  # fmt: skip
    except DomainError as exc:
        if exc.status_code in (403, 404) and not isinstance(exc, services.OperationRefused):
            return error_page(request, exc)
        return _render_scan(
            request, scan_op, form=form, rows=rows, shipment=shipment, status=exc.status_code,
            refusal={"message": exc.message, "others": []},
        )  # fmt: skip
    # A box by its SSCC as printed under the barcode (the key without its "00/").
    box = answer.get("container", "").removeprefix("00/")
    done = {"count": answer.get("package_count", 0), "container": box}
    messages.success(request, str(scan_op.done) % done)
    if scan_op.operation is Operation.ACCEPT:
        if answer.get("missing_count") or answer.get("extra_count"):
            messages.warning(
                request,
                _("Discrepancies reported to the regulator. Missing: %(missing)d (they stay with the "
                  "sender); not in the shipment: %(extra)d.")
                % {"missing": answer.get("missing_count", 0), "extra": answer.get("extra_count", 0)},
            )  # fmt: skip
        return redirect("traceability:shipments")
    return redirect("traceability:scan", slug=scan_op.slug)


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def scan(request, slug: str):
    """A scanning page: GET shows it; POST records the operation with every scanned code."""
    scan_op = SCAN_OPERATIONS.get(slug)
    if scan_op is None:
        raise Http404
    actor = actor_for_request(request)
    try:
        _require_scan(actor, scan_op)
    except DomainError as exc:
        return error_page(request, exc)
    return _scan_flow(request, actor, scan_op)


def _check_response(request, check: selectors.CodeCheck) -> HttpResponse:
    return render(
        request, "traceability/_check.html", {"check": check, "message": reason_text(check.reason or "")}
    )


def _check_args(request, scan_op: ScanOperation, actor: Actor) -> dict:
    """The extra fields the rules need for one code (batch/expiry to introduce, units to sell)."""
    form = _extra_form(scan_op, actor, request.POST)
    form.is_valid()  # partial data is fine: only the fields that validated are used
    data = getattr(form, "cleaned_data", {})
    out: dict[str, Any] = {}
    if scan_op.operation is Operation.INTRODUCE:
        out = {"batch": data.get("batch") or "", "expiry": data.get("expiry"), "product": data.get("product")}
    elif scan_op.operation is Operation.SELL:
        out = {"units": data.get("units")}
    return out


@require_POST
@login_required
def code_check(request, slug: str):
    """htmx: one scanned code checked against the operation's rules (read-only)."""
    scan_op = SCAN_OPERATIONS.get(slug)
    if scan_op is None:
        raise Http404
    actor = actor_for_request(request)
    if not may_scan(actor, scan_op):
        return HttpResponse(status=403)
    raw = request.POST.get("code", "")
    check = selectors.code_check_for_operation(
        actor=actor, operation=str(scan_op.operation), raw=raw, **_check_args(request, scan_op, actor)
    )
    return _check_response(request, check)


# --- shipments -----------------------------------------------------------------------------------


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


def _require_operation_role(actor: Actor, operation: Operation) -> None:
    """The page's operation needs an organisation and one of the roles that perform it."""
    if actor.organization is None or not actor.has_role(*services.OPERATION_ROLES[operation]):
        raise PermissionDenied(
            "role_required", _("This page is not available for your role and organisation.")
        )


@never_cache
@login_required
def shipments(request):
    """The shipment inbox: incoming shipments to accept or reject, outgoing ones with their status."""
    actor = actor_for_request(request)
    try:
        _require_operation_role(actor, Operation.ACCEPT)
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
        _require_operation_role(actor, Operation.ACCEPT)
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
        _require_operation_role(actor, Operation.ACCEPT)
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
        _require_operation_role(actor, Operation.ACCEPT)
        shipment = _incoming_shipment(actor, external_id)
        if shipment.status != ShipmentStatus.SENT:
            raise NotFound("shipment_not_pending", _("This shipment is no longer waiting for acceptance."))
    except DomainError as exc:
        return error_page(request, exc)
    return _scan_flow(request, actor, ACCEPT, shipment=shipment)


@require_POST
@login_required
def shipment_check(request, external_id):
    """htmx: is this scanned code part of the shipment being received?"""
    actor = actor_for_request(request)
    try:
        _require_operation_role(actor, Operation.ACCEPT)
        shipment = _incoming_shipment(actor, external_id)
    except DomainError:
        return HttpResponse(status=403)
    check = selectors.code_check_for_operation(
        actor=actor, operation="accept", raw=request.POST.get("code", ""), shipment=shipment
    )
    return _check_response(request, check)


# --- stock and history -------------------------------------------------------------------------


@never_cache
@login_required
def stock(request):
    """The organisation's stock by product, batch and expiry; expiring soon highlighted."""
    actor = actor_for_request(request)
    if actor.organization is None or not actor.has_role(*services.OPERATION_ROLES[Operation.ACCEPT]):
        return error_page(
            request,
            PermissionDenied(
                "role_required", _("This page is not available for your role and organisation.")
            ),
        )
    org = actor.organization
    sites = list(Site.objects.filter(organization=org).order_by("name"))
    site = next((s for s in sites if str(s.external_id) == request.GET.get("site", "")), None)
    rows = selectors.stock_for_site(organization=org, site_id=site.pk if site else None)
    # The page reads by product (its batches together, first to expire first); the selector is by expiry.
    rows.sort(key=lambda r: (r["product"].trade_name.casefold(), r["product"].pk, r["expiry"], r["batch"]))
    return render(
        request,
        "traceability/stock.html",
        {
            "rows": rows,
            "sites": sites,
            "site": site,
            "total": sum(r["packages"] for r in rows),
            "soon_days": setting("EXPIRING_SOON_DAYS"),
        },
    )


@never_cache
@login_required
def history(request):
    """A package's history (every event: what, who, where, when), by scanning or typing its code."""
    actor = actor_for_request(request)
    if actor.organization is None and not selectors.is_regulator(actor):
        return error_page(
            request, PermissionDenied("no_organization", _("This needs an organisation to act for."))
        )
    code = request.GET.get("code", "")
    context: dict[str, Any] = {"code": code, "for_regulator": selectors.is_regulator(actor)}
    status = 200
    if code:
        try:
            package, entries = selectors.package_history(actor=actor, code=code)
            for entry in entries:
                entry.event.transactions = transactions_shown(entry.event.biz_transactions)
            context.update(
                package=package, entries=entries, recalls=selectors.package_recalls(package),
                today=timezone.localdate(),
            )  # fmt: skip
        except DomainError as exc:
            context["error"] = reason_text(exc.code) if exc.code in REASONS else exc.message
            status = exc.status_code
    return render(request, "traceability/history.html", context, status=status)


# The business transactions an event names (EPCIS bizTransactionList types), in the page's
# language; a type from another system that is not listed here shows as it came.
TRANSACTION_TYPES: dict[str, Any] = {
    "inv": gettext_lazy("Invoice"),
    "po": gettext_lazy("Purchase order"),
    "desadv": gettext_lazy("Despatch advice"),
    "receipt": gettext_lazy("Receipt"),
    "sscc": gettext_lazy("Box or pallet code (SSCC)"),
    "reason": gettext_lazy("Reason"),
    "cancels": gettext_lazy("Cancels the operation"),
    "export": gettext_lazy("Country of destination"),
}


def transactions_shown(biz_transactions: list) -> list[dict[str, str]]:
    """An event's business transactions as (label, value, date) for the history page."""
    shown = []
    for t in biz_transactions:
        value = (t.get("id") or t.get("country")) if isinstance(t, dict) else None
        if value:
            kind = str(t.get("type", ""))
            label = TRANSACTION_TYPES.get(kind, kind)
            shown.append({"label": str(label), "value": str(value), "date": str(t.get("date") or "")})
    return shown


CANCEL_REFUSALS = {
    "already_cancelled": gettext_lazy("Already cancelled"),
    "not_cancellable": gettext_lazy("Cannot be cancelled"),
    "cancel_window_passed": gettext_lazy("Too old to cancel"),
    "not_your_operation": gettext_lazy("Not yours"),
}


@never_cache
@login_required
def operations(request):
    """The organisation's recent operations, each with a Cancel button while it may be cancelled."""
    actor = actor_for_request(request)
    try:
        _require_operation_role(actor, Operation.CANCEL)
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
        _require_operation_role(actor, Operation.CANCEL)
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


# --- regulator ---------------------------------------------------------------------------------


@never_cache
@login_required
def alerts(request):
    """The regulator's alert inbox, filtered by kind, severity and status."""
    actor = actor_for_request(request)
    try:
        _require_regulator(actor)
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


ALERT_KINDS: dict[str, Any] = {
    "shipment_missing": gettext_lazy("Shipment: packages missing on arrival"),
    "shipment_extra": gettext_lazy("Shipment: packages that were not in it"),
}


def alert_label(kind: str) -> str:
    return str(ALERT_KINDS[kind]) if kind in ALERT_KINDS else reason_text(kind)


def operation_label(operation: str) -> str:
    """An operation's name in the page's language ("sell" → "Sale"); unknown ones as they are."""
    try:
        return str(OperationType(OPERATION_CODE[Operation(operation)]).label)
    except (ValueError, KeyError):
        return operation


@require_POST
@login_required
def alert_resolve(request, external_id):
    """Resolves an alert with a note, back to the inbox as it was filtered; a missing note is
    said under that alert's own form."""
    actor = actor_for_request(request)
    next_url = safe_next(request, reverse("traceability:alerts"))
    try:
        _require_regulator(actor)
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


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def recalls(request):
    """Recalls and blocks: the list, and a form to create one for a product, a batch or packages."""
    actor = actor_for_request(request)
    try:
        _require_regulator(actor)
    except DomainError as exc:
        return error_page(request, exc)
    form = RecallForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            codes = [c for c in data["package_codes"].splitlines() if c.strip()]
            try:
                recall = services.recall_create(
                    actor=actor, reason=data["reason"], kind=data["kind"],
                    product_id=data["product"].external_id if data["product"] else None,
                    batch=data["batch"], package_codes=codes or None,
                )  # fmt: skip
            except DomainError as exc:
                form.add_error(None, exc.message)
                for err in exc.details.get("errors", []) if isinstance(exc.details, dict) else []:
                    form.add_error(None, f"{err['code']}: {reason_text(err['reason'])}")
                status = exc.status_code
            else:
                messages.success(
                    request,
                    _("Recall recorded: %(count)d packages flagged.") % {"count": recall.package_count},
                )
                return redirect("traceability:recalls")
        else:
            status = 422
    return render(
        request,
        "traceability/recalls.html",
        {"form": form, "recalls": list(selectors.recalls_list()[:100])},
        status=status,
    )


@require_POST
@login_required
def recall_lift(request, external_id):
    actor = actor_for_request(request)
    try:
        _require_regulator(actor)
        services.recall_lift(actor=actor, recall_id=external_id, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The recall is lifted."))
    return redirect("traceability:recalls")


# --- navigation ------------------------------------------------------------------------------


def register_nav_entries() -> None:
    """The traceability pages on the home page and in the header, for the roles that use them."""
    from salamat.web.nav import NavItem, register

    scan_items = [
        NavItem(
            roles=set(op.roles),
            url_name=f"traceability:scan_{op.slug}",
            label=op.title,
            description=op.intro,
            icon=op.icon,
            order=20 + i,
            condition=lambda actor, op=op: may_scan(actor, op),
        )
        for i, op in enumerate(SCAN_OPERATIONS.values())
    ]
    staff = set(services.OPERATION_ROLES[Operation.ACCEPT])
    register(
        NavItem(
            roles=staff, url_name="traceability:shipments", label=gettext_lazy("Shipments"),
            description=gettext_lazy("Incoming shipments to accept or reject; what you sent."),
            icon="truck", order=11, in_header=True,
        ),
        NavItem(
            roles=staff, url_name="traceability:stock", label=gettext_lazy("Stock"),
            description=gettext_lazy("Packages you hold by product, batch and expiry."),
            icon="clipboard", order=12, in_header=True,
        ),
        NavItem(
            roles=set(services.OPERATION_ROLES[Operation.CANCEL]), url_name="traceability:operations",
            label=gettext_lazy("Recent operations"),
            description=gettext_lazy("What your organisation recorded lately; cancel a mistaken operation."),
            icon="file", order=16,
        ),
        NavItem(
            roles=staff | {"regulator"}, url_name="traceability:history", label=gettext_lazy("Package history"),
            description=gettext_lazy("Every event of a package: what, who, where, when."),
            icon="search", order=13,
        ),
        NavItem(
            roles={"regulator"}, url_name="traceability:alerts", label=gettext_lazy("Alerts"),
            description=gettext_lazy("Suspicious attempts and shipment discrepancies to review."),
            icon="alert", order=14, in_header=True,
        ),
        NavItem(
            roles={"regulator"}, url_name="traceability:recalls", label=gettext_lazy("Recalls"),
            description=gettext_lazy("Recall or block a product, a batch or packages; lift a recall."),
            icon="shield-check", order=15,
        ),
        *scan_items,
    )  # fmt: skip
