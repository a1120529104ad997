"""`seed_trace`: demo traceability data through the real services, once."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from salamat.registry.models import Organization, OrganizationType
from salamat.traceability.demo import PHARMACIES, spec_by_key
from salamat.traceability.models import Alert, Event, Package, Recall, Shipment, ShipmentStatus
from salamat.traceability.rules import Reason, State

pytestmark = pytest.mark.django_db


def run() -> str:
    out = io.StringIO()
    call_command("seed_trace", stdout=out)
    return out.getvalue()


def counts() -> dict:
    return {model.__name__: model.objects.count() for model in (Package, Shipment, Event, Alert, Recall)} | {
        "updated": list(Package.objects.order_by("id").values_list("state", "owner_id", "remaining_units"))
    }


def test_seed_trace(settings):
    assert settings.DEV_MODE
    call_command("seed_demo", stdout=io.StringIO())
    output = run()
    assert "created" in output

    demo = Package.objects.filter(key__contains="/21/DEMO")
    assert demo.count() >= 2000
    states = set(demo.values_list("state", "withdraw_reason"))
    assert {
        (State.IN_CIRCULATION, Reason.NONE),
        (State.IN_TRANSIT, Reason.NONE),
        (State.WITHDRAWN, Reason.SOLD),
        (State.WITHDRAWN, Reason.DISPENSED),
    } <= states
    owner_types = set(demo.values_list("owner__org_type", flat=True))
    assert {
        OrganizationType.IMPORTER,
        OrganizationType.MANUFACTURER,
        OrganizationType.WHOLESALER,
        OrganizationType.PHARMACY,
        OrganizationType.MEDICAL,
    } <= owner_types
    assert demo.filter(state=State.IN_CIRCULATION, remaining_units__isnull=False).exists()  # sold by units
    assert demo.values("product").distinct().count() == 20
    assert len({e.event_time.date() for e in Event.objects.all()}) >= 10

    pharmacy = Organization.objects.get(tax_id=spec_by_key()[PHARMACIES[0]].tax_id)
    assert Shipment.objects.filter(receiver=pharmacy, status=ShipmentStatus.SENT).exists()
    assert Shipment.objects.filter(status=ShipmentStatus.ACCEPTED_WITH_DISCREPANCIES).count() == 1
    kinds = set(Alert.objects.values_list("kind", flat=True))
    assert "shipment_missing" in kinds and len(kinds) >= 2
    assert Recall.objects.filter(status="active").count() == 1
    assert Recall.objects.get().package_count > 0
    assert Alert.objects.filter(operation="sell").exists()  # the attempted double sale

    before = counts()
    assert "complete" in run()
    assert counts() == before


@override_settings(DEV_MODE=False)
def test_seed_trace_refuses_outside_development():
    with pytest.raises(CommandError):
        run()
    assert not Package.objects.exists()
