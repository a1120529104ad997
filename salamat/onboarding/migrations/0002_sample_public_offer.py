"""Data: a fictional sample public offer (version 1) in Russian, Kyrgyz and English."""

import hashlib
from pathlib import Path

from django.db import migrations
from django.utils import timezone

TEXTS = Path(__file__).resolve().parent.parent / "offer_texts"


def publish_sample(apps, schema_editor):
    OfferVersion = apps.get_model("onboarding", "OfferVersion")
    if OfferVersion.objects.exists():
        return
    text_ru = (TEXTS / "v1.ru.txt").read_text(encoding="utf-8")
    OfferVersion.objects.create(
        version=1,
        title="Публичная оферта о подключении к платформе «Саламат»",
        text_ru=text_ru,
        text_ky=(TEXTS / "v1.ky.txt").read_text(encoding="utf-8"),
        text_en=(TEXTS / "v1.en.txt").read_text(encoding="utf-8"),
        sha256=hashlib.sha256(text_ru.encode("utf-8")).hexdigest(),
        published_at=timezone.now(),
    )


def unpublish_sample(apps, schema_editor):
    apps.get_model("onboarding", "OfferVersion").objects.filter(version=1, acceptances__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("onboarding", "0001_applications_offers_standin_registries")]

    operations = [migrations.RunPython(publish_sample, unpublish_sample)]
