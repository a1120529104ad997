"""Registered packages (the packages of issued stickers): registered, locked, removed only
through the traceability services, for an active introducer only."""

from __future__ import annotations

import pytest

from salamat.core.errors import PermissionDenied
from salamat.core.models import AuditLog
from salamat.traceability import selectors, services
from salamat.traceability.models import Package, PackageState
from salamat.traceability.tests.conftest import EXPIRY, actor_for

pytestmark = pytest.mark.django_db

KEYS = ["sticker:AAAAAAAAAAAA", "sticker:BBBBBBBBBBBB"]


def test_registered_packages_are_held_by_the_introducer_out_of_circulation_and_audited(importer, product):
    assert (
        services.packages_register(
            actor=actor_for(importer), product=product, batch="B1", expiry=EXPIRY, keys=KEYS
        )
        == 2
    )
    rows = Package.objects.filter(key__in=KEYS)
    assert set(rows.values_list("state", "owner_id", "site_id", "last_event_id")) == {
        (PackageState.REGISTERED, importer.pk, None, None)
    }
    assert selectors.package_keys_existing(keys=[*KEYS, "sticker:CCCCCCCCCCCC"]) == set(KEYS)
    audit = AuditLog.objects.get(action="package.register")
    assert audit.changes["package_count"] == 2 and audit.changes["batch"] == "B1"


@pytest.mark.parametrize("org_type", ["pharmacy", "wholesaler"])
def test_only_an_introducer_registers_packages(make_org, product, org_type):
    with pytest.raises(PermissionDenied) as refused:
        services.packages_register(
            actor=actor_for(make_org(org_type)), product=product, batch="B1", expiry=EXPIRY, keys=KEYS
        )
    assert refused.value.code == "not_an_introducer"
    assert not Package.objects.exists()
    assert not AuditLog.objects.filter(action="package.register").exists()


def test_unregister_removes_only_the_actors_registered_packages(importer, make_org, product, codes):
    actor = actor_for(importer)
    services.packages_register(actor=actor, product=product, batch="B1", expiry=EXPIRY, keys=KEYS)
    introduced = codes(1)
    services.packages_introduce(actor=actor, codes=introduced)
    introduced_key = Package.objects.exclude(key__in=KEYS).get().key
    other = actor_for(make_org("importer"))
    # another introducer removes nothing of this one's
    assert services.packages_unregister(actor=other, keys=KEYS) == 0
    assert services.packages_lock_states(keys=[*KEYS, introduced_key]) == {
        KEYS[0]: PackageState.REGISTERED,
        KEYS[1]: PackageState.REGISTERED,
        introduced_key: PackageState.IN_CIRCULATION,
    }
    # the holder removes its registered ones; a package in circulation stays
    assert services.packages_unregister(actor=actor, keys=[*KEYS, introduced_key]) == 2
    assert list(Package.objects.values_list("key", flat=True)) == [introduced_key]
    assert AuditLog.objects.get(action="package.unregister").changes["removed"] == 2
