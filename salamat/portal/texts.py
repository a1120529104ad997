"""What each verdict says to a citizen, in plain words, with its colour and icon."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from salamat.portal.models import Verdict


@dataclass(frozen=True)
class VerdictText:
    title: Any
    advice: Any
    tone: str  # ok | warning | danger | info
    icon: str  # ✓ ! ✕ ?


TEXTS: dict[str, VerdictText] = {
    Verdict.GENUINE: VerdictText(
        _("Genuine medicine"),
        _("This package is registered and in circulation. You can buy it."),
        "ok", "✓",
    ),
    Verdict.ALREADY_SOLD: VerdictText(
        _("Already sold — possibly counterfeit"),
        _("This code was already sold or withdrawn. If you are being offered it now, do not buy it and report it."),
        "danger", "✕",
    ),
    Verdict.RECALLED: VerdictText(
        _("Recalled — do not use"),
        _("The regulator has recalled or blocked this medicine. Do not take it; return it to the pharmacy."),
        "danger", "✕",
    ),
    Verdict.EXPIRED: VerdictText(
        _("Expired"),
        _("The expiry date of this package has passed. Do not take it."),
        "danger", "!",
    ),
    Verdict.NOT_TRACKED: VerdictText(
        _("Not tracked yet"),
        _("This medicine is not yet on a list that must be tracked, so its packages are not in the system. "
          "That alone does not mean it is counterfeit."),
        "info", "i",
    ),
    Verdict.UNKNOWN: VerdictText(
        _("Unknown code"),
        _("We do not know this code. Check that you typed it correctly. If it is right, the package may be "
          "counterfeit: please report it."),
        "warning", "?",
    ),
    Verdict.STICKER_NOT_IN_CIRCULATION: VerdictText(
        _("Sticker not in circulation"),
        _("This sticker was never put on a package that entered circulation, or it was voided. "
          "Do not buy a package that carries it; please report it."),
        "warning", "!",
    ),
}  # fmt: skip


def verdict_text(verdict: str) -> VerdictText:
    return TEXTS[verdict]
