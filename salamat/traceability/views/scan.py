"""The scanning pages, built for keyboard-wedge scanners and phone cameras: one page per
operation, the extra fields each needs, and the htmx check of one scanned code.

Every code a scanner sends is kept exactly as received (GS characters included) until the
parser sees it: codes travel as `request.POST.getlist("codes")`, never through a form field
that strips."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from salamat.accounts.selectors import actor_for_request
from salamat.codes.model import CodeError, CodeKind
from salamat.core.actors import Actor
from salamat.core.errors import DomainError, PermissionDenied, field_error
from salamat.core.pages import error_page, login_required
from salamat.registry.models import Organization, OrganizationStatus, Product
from salamat.traceability import code_checks, selectors, services
from salamat.traceability.codes import parse_many
from salamat.traceability.labels import reason_text
from salamat.traceability.rules import Operation

MAX_CODES_PER_PAGE = 5000  # a page submission; bigger batches go through the API or a file import

# --- forms of the operations' extra fields ------------------------------------------------------


class PickerSelect(forms.Select):
    """A <select> that picker.js turns searchable: each option carries what tells it apart
    (`data-detail`: a participant's type and address, a product's INN and form), shown and
    searched by the picker. Without the script it is a plain <select>."""

    def __init__(self, *args, detail, placeholder, **kwargs):
        super().__init__(*args, **kwargs)
        self.detail, self.placeholder = detail, placeholder

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].update(
            {
                "data-picker": "1",
                "data-picker-placeholder": str(self.placeholder),
                "data-picker-none": _("Nothing matches"),
            }
        )
        return context

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-detail"] = self.detail(instance)
        return option


def _organization_detail(org: Organization) -> str:
    where = org.legal_address or (org.get_region_display() if org.region else "")
    return " · ".join(part for part in (str(org.get_org_type_display()), where, org.tax_id) if part)


def _product_detail(product: Product) -> str:
    parts = (product.inn, product.strength, product.dosage_form, product.manufacturer_name)
    return " · ".join(part for part in parts if part)


class IntroduceForm(forms.Form):
    product = forms.ModelChoiceField(
        label=gettext_lazy("Product (when the code carries no GTIN)"),
        queryset=Product.objects.order_by("trade_name"),
        required=False,
        to_field_name="external_id",
        empty_label=gettext_lazy("The one the code names"),
        widget=PickerSelect(
            detail=_product_detail, placeholder=gettext_lazy("Type to search: name, INN, form")
        ),
    )
    batch = forms.CharField(label=gettext_lazy("Batch"), max_length=20, required=False)
    expiry = forms.DateField(
        label=gettext_lazy("Expiry date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class ShipForm(forms.Form):
    receiver = forms.ModelChoiceField(
        label=gettext_lazy("Receiver"), queryset=Organization.objects.none(), to_field_name="external_id",
        widget=PickerSelect(
            detail=_organization_detail, placeholder=gettext_lazy("Type to search: name, type, address, tax ID")
        ),
    )  # fmt: skip
    invoice_number = forms.CharField(label=gettext_lazy("Invoice number"), max_length=64)
    invoice_date = forms.DateField(
        label=gettext_lazy("Invoice date"), initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )  # fmt: skip

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
            # Posted with the list: the form sent twice (a double click, a resend) is recorded once.
            "idempotency_key": uuid.uuid4(),
            "expected": selectors.shipment_contents(shipment=shipment) if shipment is not None else [],
        },
        status=status,
    )


def _submit(
    scan_op: ScanOperation, actor: Actor, codes: list[str], data: dict, shipment,
    idempotency: services.Idempotency | None = None,
) -> dict:  # fmt: skip
    op = scan_op.operation
    idem = {"idempotency": idempotency}
    if op is Operation.INTRODUCE:
        product = data.get("product")
        return services.packages_introduce(
            actor=actor, codes=codes, batch=data.get("batch") or None, expiry=data.get("expiry"),
            product_id=product.external_id if product else None, **idem,
        )  # fmt: skip
    if op is Operation.SHIP:
        return services.shipment_send(
            actor=actor, codes=codes, receiver_id=data["receiver"].external_id,
            invoice_number=data["invoice_number"], invoice_date=data["invoice_date"], **idem,
        )  # fmt: skip
    if op is Operation.SELL:
        return services.packages_sell(
            actor=actor, codes=codes, units=data.get("units"), receipt_number=data.get("receipt_number") or "",
            **idem,
        )  # fmt: skip
    if op is Operation.EXPORT:
        return services.packages_export(actor=actor, codes=codes, country=data["country"], **idem)
    if op is Operation.AGGREGATE:
        return services.containers_aggregate(
            actor=actor, container_code=data["container"], codes=codes, **idem
        )
    if op is Operation.DISAGGREGATE:
        return services.containers_disaggregate(actor=actor, codes=codes, **idem)
    if op is Operation.ACCEPT:
        return services.shipment_accept(actor=actor, shipment_id=shipment.external_id, codes=codes, **idem)
    simple = {
        Operation.DISPENSE: services.packages_dispense,
        Operation.RETURN: services.packages_return,
        Operation.WRITE_OFF: services.packages_write_off,
        Operation.DESTROY: services.packages_destroy,
    }
    return simple[op](actor=actor, codes=codes, **idem)


def _wants_json(request) -> bool:
    """The page's script sends the list with `Accept: application/json` (to keep it on the device
    until it is recorded); a form posted without the script gets pages, as before."""
    return "application/json" in request.headers.get("Accept", "")


def _idempotency(
    request, scan_op: ScanOperation, codes: list[str], form, shipment
) -> services.Idempotency | None:
    """The submission's `idempotency_key` (made once per list by the page, kept with it while it
    waits for the connection) with the hash of what was asked: a resend is answered, not redone."""
    key = request.POST.get("idempotency_key", "").strip()
    if not key:
        return None
    if len(key) > 128:
        raise field_error("idempotency_key", "idempotency_key_too_long", _("At most 128 characters."))
    body = {
        "page": scan_op.slug,
        "shipment": str(shipment.external_id) if shipment is not None else None,
        "codes": codes,
        "fields": {name: request.POST.get(form.add_prefix(name), "") for name in form.fields},
        "drop_refused": bool(request.POST.get("drop_refused")),
    }
    return services.Idempotency(key, services.request_hash("POST", request.path, body))


def _status_html(reason: str) -> str:
    return format_html(
        '<span class="scan-status bad" data-ok="0" data-reason="{}">✗ {}</span>', reason, reason_text(reason)
    )


def _refused(request, scan_op, *, form, rows, shipment, status, refusal):
    """A refusal: the page again with each refused code marked, or (for the script) the same as JSON."""
    if not _wants_json(request):
        return _render_scan(
            request, scan_op, form=form, rows=rows, shipment=shipment, status=status, refusal=refusal
        )
    box = render_to_string(
        "traceability/_refusal.html",
        {"refusal": refusal, "bad_count": sum(1 for r in rows if r.reason)},
        request=request,
    )
    # The extra fields again, with their errors under them (as the page would show them).
    extra = (
        render_to_string("traceability/_extra.html", {"form": form}, request=request) if form.errors else ""
    )
    return JsonResponse(
        {
            "ok": False,
            "message": str(refusal["message"]),
            "refusal_html": box,
            "extra_html": extra,
            "rows": {r.raw: _status_html(r.reason) for r in rows if r.reason},
        },
        status=status,
    )


def _form_refusal(form) -> dict:
    """An invalid extra field, said in the refusal box as well (the script keeps the fields as typed)."""
    others = [
        (str(form.fields[name].label) if name in form.fields else "", " ".join(str(e) for e in errors))
        for name, errors in form.errors.items()
    ]
    return {"message": _("Check the fields above."), "others": others}


def _submit_dropping_refused(
    scan_op, actor, codes, data, shipment, *, drop: bool, idempotency: services.Idempotency | None
) -> tuple[dict, list[dict]]:
    """Submits the list; with `drop`, a refusal of some codes is followed by one more try without
    them ("remove the refused codes and go on"). Answers the answer and the codes left out. Both
    tries carry the submission's Idempotency-Key: a refusal stores nothing under it, so a resend
    finds the answer of the try that was recorded."""
    try:
        return _submit(scan_op, actor, codes, data, shipment, idempotency), []
    except services.OperationRefused as refused:
        errors = refused.details["errors"]
        bad = {e["code"] for e in errors}
        rest = [c for c in codes if c not in bad]
        if not drop or not rest or len(rest) == len(codes):
            raise
    return _submit(scan_op, actor, rest, data, shipment, idempotency), [e for e in errors if e["code"] in bad]


def scan_flow(request, actor: Actor, scan_op: ScanOperation, shipment=None):
    if request.method == "GET":
        return _render_scan(request, scan_op, form=_extra_form(scan_op, actor), shipment=shipment)
    codes = request.POST.getlist("codes")[:MAX_CODES_PER_PAGE]
    form = _extra_form(scan_op, actor, request.POST)
    rows = [Row(raw=c) for c in codes]
    if not codes:
        messages.error(request, _("Scan at least one code."))
        if _wants_json(request):
            return JsonResponse(
                {"ok": False, "message": _("Scan at least one code."), "rows": {}}, status=422
            )
        return _render_scan(request, scan_op, form=form, rows=rows, shipment=shipment, status=422)
    if not form.is_valid():
        if _wants_json(request):
            return _refused(
                request,
                scan_op,
                form=form,
                rows=rows,
                shipment=shipment,
                status=422,
                refusal=_form_refusal(form),
            )
        return _render_scan(request, scan_op, form=form, rows=rows, shipment=shipment, status=422)
    drop = bool(request.POST.get("drop_refused"))
    try:
        idempotency = _idempotency(request, scan_op, codes, form, shipment)
        answer, left_out = _submit_dropping_refused(
            scan_op, actor, codes, form.cleaned_data, shipment, drop=drop, idempotency=idempotency
        )
    except services.OperationRefused as refused:
        reasons: dict[str, str] = {}
        for err in refused.details["errors"]:
            reasons.setdefault(err["code"], err["reason"])
        # Refused codes carry their reason; the others are checked again (htmx) to show what they are.
        rows = [Row(raw=c, reason=reasons.get(c), checked=c in reasons) for c in codes]
        # Errors about something that is not a row (the box code, a shipment) are listed too.
        others = [e for e in refused.details["errors"] if e["code"] not in set(codes)]
        return _refused(
            request, scan_op, form=form, rows=rows, shipment=shipment, status=422,
            refusal={"message": refused.message, "others": [(e["code"], reason_text(e["reason"])) for e in others],
                     "droppable": len(reasons) < len(codes) and bool(reasons)},
        )  # fmt: skip
    except DomainError as exc:
        if exc.status_code in (403, 404) and not isinstance(exc, services.OperationRefused):
            if _wants_json(request):
                return JsonResponse({"ok": False, "message": exc.message, "rows": {}}, status=exc.status_code)
            return error_page(request, exc)
        return _refused(
            request, scan_op, form=form, rows=rows, shipment=shipment, status=exc.status_code,
            refusal={"message": exc.message, "others": []},
        )  # fmt: skip
    # A box by its SSCC as printed under the barcode (the key without its "00/").
    box = answer.get("container", "").removeprefix("00/")
    done = {"count": answer.get("package_count", 0), "container": box}
    messages.success(request, str(scan_op.done) % done)
    if left_out:
        shown = "; ".join(f"{e['code']} — {reason_text(e['reason'])}" for e in left_out[:5])
        messages.warning(
            request,
            ngettext(
                "%(count)d refused code was left out: %(codes)s",
                "%(count)d refused codes were left out: %(codes)s",
                len(left_out),
            )
            % {"count": len(left_out), "codes": shown},
        )
    if scan_op.operation is Operation.ACCEPT:
        if answer.get("missing_count") or answer.get("extra_count"):
            messages.warning(
                request,
                _("Discrepancies reported to the regulator. Missing: %(missing)d (they stay with the "
                  "sender); not in the shipment: %(extra)d.")
                % {"missing": answer.get("missing_count", 0), "extra": answer.get("extra_count", 0)},
            )  # fmt: skip
        target = reverse("traceability:shipments")
    else:
        target = reverse("traceability:scan", kwargs={"slug": scan_op.slug})
    if _wants_json(request):
        return JsonResponse({"ok": True, "redirect": target, "replayed": bool(answer.get("replayed"))})
    return redirect(target)


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


def check_response(request, check: code_checks.CodeCheck) -> HttpResponse:
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
    check = code_checks.code_check_for_operation(
        actor=actor, operation=str(scan_op.operation), raw=raw, **_check_args(request, scan_op, actor)
    )
    return check_response(request, check)
