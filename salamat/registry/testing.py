"""Test helpers of the registry shared with the modules above it."""

from __future__ import annotations

import importlib


def load_dosage_forms() -> None:
    """Loads the shipped controlled list of dosage forms again (a transactional test earlier in
    the run flushes what the migration loaded)."""
    from django.apps import apps

    importlib.import_module("salamat.registry.migrations.0005_dosage_form_list").create(apps, None)


def name_in_every_language(product, **names: str) -> None:
    """Gives `product` Russian and Kyrgyz names (and a dosage form of the list) through the service."""
    from salamat.core.actors import SYSTEM
    from salamat.registry import services

    load_dosage_forms()
    services.product_update(actor=SYSTEM, product=product, data=names)
    product.refresh_from_db()
