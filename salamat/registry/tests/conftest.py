"""Fixtures of the registry tests: actors of each kind and a snapshot of the registry tables."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english():
    """Messages compared in these tests are the English msgids (the platform default is Russian)."""
    with translation.override("en"):
        yield


@pytest.fixture
def ministry(make_org):
    return make_org("ministry", ownership="public")


@pytest.fixture
def regulator(ministry, make_user):
    from salamat.accounts.selectors import actor_for_user

    return actor_for_user(make_user("regulator", ministry))


@pytest.fixture
def pharmacy_admin(make_org, make_user):
    from salamat.accounts.selectors import actor_for_user

    org = make_org("pharmacy")
    return actor_for_user(make_user("org_admin", org))


@pytest.fixture
def snapshot(db) -> Callable[[], dict]:
    """Every row of the registry tables and the audit log, to prove a refusal changed nothing."""
    from salamat.core.models import AuditLog
    from salamat.registry.models import (
        Organization,
        Product,
        ProductGtin,
        Site,
        TrackingList,
        TrackingListEntry,
    )

    def _take() -> dict:
        return {
            model.__name__: list(model.objects.order_by("pk").values())
            for model in (Organization, Site, Product, ProductGtin, TrackingList, TrackingListEntry, AuditLog)
        }

    return _take
