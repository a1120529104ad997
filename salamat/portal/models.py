"""What the citizen check leaves behind: a log line per check (the regulator's statistics)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Verdict(models.TextChoices):
    """The answer of a check; the value is the stable code of the public API."""

    GENUINE = "genuine", _("Genuine and in circulation")
    ALREADY_SOLD = "already_sold", _("Already sold — possible counterfeit")
    RECALLED = "recalled", _("Recalled — do not use")
    EXPIRED = "expired", _("Expired")
    NOT_TRACKED = "not_tracked", _("Not tracked yet")
    UNKNOWN = "unknown", _("Unknown code")
    STICKER_NOT_IN_CIRCULATION = "sticker_not_in_circulation", _("Sticker not in circulation")


class CheckChannel(models.TextChoices):
    WEB = "web", _("Web page")  # typed or scanned on /check, or a /p/<serial> link
    PHOTO = "photo", _("Photo")  # a photo decoded on the server
    API = "api", _("Mobile app (API)")


class CheckLog(models.Model):
    """One citizen check. No address, no person: the package key (or a hash of what was typed
    when it is no code at all), the verdict, when and where."""

    id = models.BigAutoField(primary_key=True)
    key = models.CharField(_("code"), max_length=128)  # canonical key, or "sha256:<hex>" of unreadable input
    verdict = models.CharField(_("verdict"), max_length=32, choices=Verdict.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=CheckChannel.choices)
    region = models.CharField(_("region"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("checked at"), db_index=True)

    class Meta:
        verbose_name = _("citizen check")
        verbose_name_plural = _("citizen checks")

    def __str__(self) -> str:
        return f"{self.verdict} {self.created_at:%Y-%m-%d %H:%M}"
