"""Sticker orders and the stickers they issued.

A sticker's serial becomes the package key ``sticker:<serial>`` when it is applied (the
package is introduced through the traceability service). Whether a sticker is applied is
read from the package row, never stored twice; a sticker row only says issued or voided.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class StickerLayout(models.TextChoices):
    A4_3X8 = "a4_3x8", _("A4 sheet, 3 × 8 labels (70 × 37 mm)")
    A4_4X10 = "a4_4x10", _("A4 sheet, 4 × 10 labels (52.5 × 29.7 mm)")
    ROLL_40X25 = "roll_40x25", _("Thermal roll, 40 × 25 mm")


class StickerStatus(models.TextChoices):
    ISSUED = "issued", _("Issued")  # printed or printable; applied once its package is introduced
    VOIDED = "voided", _("Voided")  # never to be used; checks as "not in circulation"


class StickerOrder(models.Model):
    """A participant's order of N stickers, for a product (batch, expiry) or blank."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "registry.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    product = models.ForeignKey(
        "registry.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("product"),
    )  # fmt: skip
    batch = models.CharField(_("batch"), max_length=20, blank=True)
    expiry = models.DateField(_("expiry"), null=True, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("ordered"), auto_now_add=True)
    print_count = models.PositiveIntegerField(_("times printed"), default=0)

    class Meta:
        verbose_name = _("sticker order")
        verbose_name_plural = _("sticker orders")
        indexes = [models.Index(fields=["organization", "created_at"], name="stickerorder_org_idx")]

    def __str__(self) -> str:
        return str(self.external_id)


class Sticker(models.Model):
    """One issued sticker serial (13 Crockford base-32 characters with a check character)."""

    id = models.BigAutoField(primary_key=True)
    serial = models.CharField(_("serial"), max_length=13)
    order = models.ForeignKey(StickerOrder, on_delete=models.PROTECT, related_name="stickers")
    status = models.CharField(
        _("status"), max_length=10, choices=StickerStatus.choices, default=StickerStatus.ISSUED
    )
    voided_at = models.DateTimeField(_("voided"), null=True, blank=True)

    class Meta:
        verbose_name = _("sticker")
        verbose_name_plural = _("stickers")
        constraints = [models.UniqueConstraint(fields=["serial"], name="sticker_serial_unique")]

    def __str__(self) -> str:
        return self.serial

    @property
    def key(self) -> str:
        return f"sticker:{self.serial}"
