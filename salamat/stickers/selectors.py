"""Reads of the stickers module."""

from __future__ import annotations

from django.db.models import QuerySet

from salamat.registry.models import Organization
from salamat.registry.names import product_title
from salamat.stickers.models import Sticker, StickerOrder, StickerStatus


def orders_for(*, organization: Organization) -> QuerySet[StickerOrder]:
    return (
        StickerOrder.objects.filter(organization=organization)
        .select_related("product")
        .order_by("-created_at", "-id")
    )


def order_serials(*, order: StickerOrder, include_voided: bool = False) -> list[str]:
    qs = Sticker.objects.filter(order=order)
    if not include_voided:
        qs = qs.exclude(status=StickerStatus.VOIDED)
    return list(qs.order_by("id").values_list("serial", flat=True))


def sticker_is_voided(*, serial: str) -> bool:
    return Sticker.objects.filter(serial=serial, status=StickerStatus.VOIDED).exists()


def label_text(order: StickerOrder) -> str:
    """The product's short name printed on the label, in the active language (blank stickers: none)."""
    if order.product is None:
        return ""
    return product_title(order.product, with_form=False)
