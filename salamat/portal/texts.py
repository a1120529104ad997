"""What each verdict says to a citizen, in plain words, with its colour and icon."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext
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


# Unknown codes we can say more about than "unknown".
HINTS: dict[str, VerdictText] = {
    "typo": VerdictText(
        _("Check the code: a character looks wrong"),
        _("This code does not add up: one character is probably mistyped or misread (0 and O, 1 and I, 8 and B). "
          "Compare it with the package and try again."),
        "warning", "?",
    ),
    "product_barcode": VerdictText(
        _("This barcode is the product's, not the package's"),
        _("This ordinary barcode names the medicine, not this one package. Look for the square code "
          "(or the Salamat sticker) on the package and check that."),
        "info", "i",
    ),
}  # fmt: skip

# Where a genuine package is now, in words.
STAGES: dict[str, Any] = {
    "manufacturer": _("at the manufacturer's warehouse"),
    "importer": _("at the importer's warehouse"),
    "wholesaler": _("at a wholesaler's warehouse"),
    "in_transit": _("in transit between warehouses or to a pharmacy"),
    "pharmacy": _("at a pharmacy"),
    "medical": _("at a clinic or hospital"),
    "other": _("with a participant of the supply chain"),
}

REASONS: dict[str, Any] = {
    "sold": _("sold"),
    "dispensed": _("dispensed to a patient"),
    "destroyed": _("destroyed"),
    "exported": _("exported"),
    "written_off": _("written off"),
}


def _place(left: dict[str, Any]) -> str:
    return ", ".join(part for part in (left.get("place"), left.get("town")) if part) or "—"


def result_text(result: Any) -> VerdictText:
    """The words for one check: the verdict's own, made precise by what the check found."""
    extra = result.extra
    if result.verdict == Verdict.UNKNOWN and extra.get("hint") in HINTS:
        return HINTS[extra["hint"]]
    left = extra.get("left")
    if result.verdict == Verdict.ALREADY_SOLD and left:
        when = left["on"].strftime("%d.%m.%Y") if left.get("on") else "—"
        facts = {"date": when, "place": _place(left), "reason": REASONS.get(left["reason"], left["reason"])}
        if left.get("recent"):
            return VerdictText(
                gettext("Sold on %(date)s at %(place)s") % facts,
                gettext(
                    "This package was sold on %(date)s at %(place)s. If you bought it there, it is your "
                    "purchase and it is genuine. If someone offers it to you now as new, do not buy it and report it."
                ) % facts,
                "info", "i",
            )  # fmt: skip
        base = TEXTS[Verdict.ALREADY_SOLD]
        return VerdictText(
            base.title,
            gettext(
                "This package left circulation on %(date)s (%(reason)s) at %(place)s. If you are being offered it "
                "now, do not buy it and report it."
            ) % facts,
            base.tone, base.icon,
        )  # fmt: skip
    stage = extra.get("stage")
    if result.verdict == Verdict.GENUINE and stage and stage not in ("pharmacy", "medical"):
        where = STAGES.get(stage, STAGES["other"])
        return VerdictText(
            gettext("Genuine, but not yet at a pharmacy"),
            gettext(
                "This package is registered, and it is %(where)s now. It reaches people only through a pharmacy: "
                "if it is offered to you anywhere else, do not buy it and report it."
            ) % {"where": where},
            "info", "i",
        )  # fmt: skip
    return TEXTS[result.verdict]
