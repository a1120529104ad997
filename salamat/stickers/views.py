"""The stickers page: order, download the PDF in a layout, void unused stickers."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from salamat.accounts.selectors import actor_for_request
from salamat.core.errors import DomainError
from salamat.core.pages import error_page, login_required
from salamat.registry.models import Product
from salamat.stickers import pdf, selectors, services
from salamat.stickers.models import StickerLayout


class OrderForm(forms.Form):
    quantity = forms.IntegerField(
        label=gettext_lazy("How many stickers"), min_value=1, max_value=services.MAX_ORDER
    )
    product = forms.ModelChoiceField(
        label=gettext_lazy("Product (optional: blank stickers)"), queryset=Product.objects.all(), required=False,
        to_field_name="external_id",
    )  # fmt: skip
    batch = forms.CharField(label=gettext_lazy("Batch (optional)"), max_length=20, required=False)
    expiry = forms.DateField(
        label=gettext_lazy("Expiry (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class VoidForm(forms.Form):
    serials = forms.CharField(
        label=gettext_lazy("Serials to void, one per line"), widget=forms.Textarea(attrs={"rows": 3})
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500, required=False)


@require_http_methods(["GET", "POST"])
@login_required
def orders(request):
    actor = actor_for_request(request)
    form = OrderForm(request.POST or None)
    try:
        org = actor.require_organization()
        if request.method == "POST" and form.is_valid():
            d = form.cleaned_data
            services.sticker_order_create(
                actor=actor, quantity=d["quantity"], product_id=d["product"].external_id if d["product"] else None,
                batch=d["batch"], expiry=d["expiry"],
            )  # fmt: skip
            messages.success(request, _("The stickers are issued. Download the PDF to print them."))
            return redirect("stickers:orders")
    except DomainError as exc:
        return error_page(request, exc)
    return render(
        request,
        "stickers/orders.html",
        {"form": form, "void_form": VoidForm(), "orders": selectors.orders_for(organization=org)[:50],
         "layouts": StickerLayout.choices},
    )  # fmt: skip


@require_GET
@login_required
def order_pdf(request, order_id, layout):
    actor = actor_for_request(request)
    if layout not in pdf.LAYOUTS:
        layout = "a4_3x8"
    try:
        order = services.sticker_order_get(actor=actor, order_id=order_id)
        body = pdf.render_stickers(
            serials=selectors.order_serials(order=order), layout=layout, base_url=settings.PUBLIC_BASE_URL,
            label_text=selectors.label_text(order), batch=order.batch, expiry=order.expiry,
        )  # fmt: skip
        services.sticker_order_print(actor=actor, order=order, layout=layout)
    except DomainError as exc:
        return error_page(request, exc)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="stickers-{order.external_id}-{layout}.pdf"'
    return response


@require_POST
@login_required
def void(request):
    actor = actor_for_request(request)
    form = VoidForm(request.POST)
    if form.is_valid():
        serials = [s for s in form.cleaned_data["serials"].split() if s.strip()]
        try:
            count = services.stickers_void(actor=actor, serials=serials, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Voided: %(count)d.") % {"count": count})
    return redirect("stickers:orders")
