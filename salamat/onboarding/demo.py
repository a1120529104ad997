"""Development data for onboarding: a current public offer (the state registries' rows
for the stand-in ESI people's clinics come from `devidp_setup`)."""

from __future__ import annotations

from pathlib import Path

from salamat.core.actors import SYSTEM
from salamat.onboarding import services
from salamat.onboarding.models import OfferVersion

OFFER_TEXTS = Path(__file__).resolve().parent / "offer_texts"
SAMPLE_OFFER_TITLE = "Публичная оферта о подключении к платформе «Саламат»"


def offer_sample_ensure() -> OfferVersion:
    """The offer in force; publishes the sample text (version 1 in ru/ky/en) when there is none."""

    current = services.offer_current()
    if current is not None:
        return current
    return services.offer_version_publish(
        actor=SYSTEM,
        title=SAMPLE_OFFER_TITLE,
        text_ru=(OFFER_TEXTS / "v1.ru.txt").read_text(encoding="utf-8"),
        text_ky=(OFFER_TEXTS / "v1.ky.txt").read_text(encoding="utf-8"),
        text_en=(OFFER_TEXTS / "v1.en.txt").read_text(encoding="utf-8"),
    )
