"""Reads the web pages need that no domain selector answers yet."""

from __future__ import annotations

from django.db.models import Q

from salamat.accounts.models import Role
from salamat.core.actors import Actor
from salamat.registry.models import Product, TrackingList


def product_tracking_lists(*, product: Product) -> list[TrackingList]:
    """The tracking lists that cover `product`, earliest start first.

    (Belongs in `salamat.registry.selectors`; kept here until the registry owns it.)"""
    return list(
        TrackingList.objects.filter(Q(covers_all_products=True) | Q(entries__product=product))
        .distinct()
        .order_by("mandatory_from", "code")
    )


def role_labels(actor: Actor) -> list[str]:
    """The actor's roles as translated labels, in the order of `Role`."""
    return [str(label) for value, label in Role.choices if value in actor.roles]
