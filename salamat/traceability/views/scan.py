"""The scanning pages, built for keyboard-wedge scanners and phone cameras: one page per
operation, the extra fields each needs, and the htmx check of one scanned code.

Every code a scanner sends is kept exactly as received (GS characters included) until the
parser sees it: codes travel as `request.POST.getlist("codes")`, never through a form field
that strips."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from salamat.accounts.selectors import actor_for_request
from salamat.codes.model import CodeError, CodeKind
from salamat.core.actors import Actor
from salamat.core.errors import DomainError, PermissionDenied
from salamat.core.pages import error_page, login_required
from salamat.registry.models import Organization, OrganizationStatus, Product
from salamat.traceability import selectors, services
from salamat.traceability.codes import parse_many
from salamat.traceability.labels import reason_text
from salamat.traceability.rules import Operation

MAX_CODES_PER_PAGE = 5000  # a page submission; bigger batches go through the API or a file import

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


def scan_flow(request, actor: Actor, scan_op: ScanOperation, shipment=None):
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
    return scan_flow(request, actor, scan_op)


def check_response(request, check: selectors.CodeCheck) -> HttpResponse:
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
    return check_response(request, check)
