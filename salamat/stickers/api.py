"""Sticker endpoints for participants' software: order, list, download the PDF, void, apply."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status
from pydantic import Field

from salamat.core.api import API_AUTH, ERRORS, actor_of
from salamat.stickers import pdf, selectors, services

router = Router(tags=["Stickers"], auth=API_AUTH)
LayoutName = Literal["a4_3x8", "a4_4x10", "roll_40x25"]


class OrderIn(Schema):
    quantity: int = Field(ge=1, le=services.MAX_ORDER, description="How many stickers to issue.")
    product: UUID | None = Field(default=None, description="The product's id; none for blank stickers.")
    batch: str = Field(default="", max_length=20)
    expiry: date | None = None


class OrderOut(Schema):
    id: UUID
    quantity: int
    product: UUID | None
    batch: str
    expiry: date | None
    created_at: str
    print_count: int
    serials: list[str] | None = None


class VoidIn(Schema):
    serials: list[str] = Field(min_length=1, max_length=services.MAX_VOID)
    reason: str = Field(default="", max_length=500)


class VoidOut(Schema):
    voided: int


class ApplyIn(Schema):
    serials: list[str] = Field(min_length=1, max_length=10_000, description="Serials, sticker keys or URLs.")
    product: UUID | None = None
    batch: str | None = Field(default=None, max_length=20)
    expiry: date | None = None
    site: UUID | None = None


def _order_out(order, serials=None) -> dict:
    return {
        "id": order.external_id, "quantity": order.quantity,
        "product": order.product.external_id if order.product_id else None, "batch": order.batch,
        "expiry": order.expiry, "created_at": order.created_at.isoformat(), "print_count": order.print_count,
        "serials": serials,
    }  # fmt: skip


@router.post("/stickers/orders", response={201: OrderOut, **ERRORS}, summary="Order stickers")
def order_create(request: HttpRequest, payload: OrderIn):
    """Issues random serials with a check character; with product, batch and expiry the packages are
    registered at once and can be introduced by scanning the sticker."""
    order = services.sticker_order_create(
        actor=actor_of(request), quantity=payload.quantity, product_id=payload.product, batch=payload.batch,
        expiry=payload.expiry,
    )  # fmt: skip
    return Status(201, _order_out(order, selectors.order_serials(order=order)))


@router.get("/stickers/orders", response={200: list[OrderOut], **ERRORS}, summary="My sticker orders")
def order_list(request: HttpRequest):
    org = actor_of(request).require_organization()
    return [_order_out(o) for o in selectors.orders_for(organization=org)[:200]]


@router.get(
    "/stickers/orders/{order_id}/pdf", response={200: None, **ERRORS}, summary="Printable PDF of an order"
)
def order_pdf(request: HttpRequest, order_id: UUID, layout: LayoutName = "a4_3x8"):
    """The order's unvoided stickers as a PDF; every download after the first is audited as a reprint."""
    actor = actor_of(request)
    order = services.sticker_order_get(actor=actor, order_id=order_id)
    body = pdf.render_stickers(
        serials=selectors.order_serials(order=order), layout=layout, base_url=settings.PUBLIC_BASE_URL,
        label_text=selectors.label_text(order), batch=order.batch, expiry=order.expiry,
    )  # fmt: skip
    services.sticker_order_print(actor=actor, order=order, layout=layout)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="stickers-{order.external_id}-{layout}.pdf"'
    return response


@router.post("/stickers/void", response={200: VoidOut, **ERRORS}, summary="Void unused stickers")
def stickers_void(request: HttpRequest, payload: VoidIn):
    return {
        "voided": services.stickers_void(
            actor=actor_of(request), serials=payload.serials, reason=payload.reason
        )
    }


@router.post("/stickers/apply", response={200: dict, **ERRORS}, summary="Apply stickers (introduce packages)")
def stickers_apply(request: HttpRequest, payload: ApplyIn):
    """Introduces the packages carrying these stickers into circulation, all or nothing."""
    return services.stickers_apply(
        actor=actor_of(request), serials=payload.serials, product_id=payload.product, batch=payload.batch,
        expiry=payload.expiry, site_id=payload.site,
    )  # fmt: skip
