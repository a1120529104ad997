"""Cancelling some packages of an operation (a customer returns one pack of a sale): through the
API, by the rules of a whole cancellation; every refusal exact, and the database unchanged."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from salamat.core.errors import DomainError
from salamat.core.models import AuditLog
from salamat.traceability import services
from salamat.traceability.models import Event, OperationType, Package, PackageState, StockBalance
from salamat.traceability.tests.conftest import actor_for
from salamat.traceability.tests.test_api import error, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def clients(api, make_token, importer, pharmacy, other_pharmacy):
    return {
        "importer": api(make_token(importer)),
        "pharmacy": api(make_token(pharmacy)),
        "other": api(make_token(other_pharmacy)),
    }


def _db():
    return (
        sorted(Package.objects.values_list("key", "state", "owner_id", "remaining_units", "last_event_id")),
        sorted(Event.objects.values_list("id", "cancelled_by_id")),
        sorted(StockBalance.objects.values_list("owner_id", "batch", "packages")),
    )


def _cancel(client, event_id, codes, **headers):
    return post(
        client,
        f"/operations/{event_id}/cancel-packages",
        {"codes": codes},
        HTTP_ACCEPT_LANGUAGE="en",
        **headers,
    )


def test_one_pack_of_a_sale_comes_back(clients, pharmacy, at_pharmacy):
    batch = at_pharmacy(3)
    sale = services.packages_sell(actor=actor_for(pharmacy), codes=batch)

    # when the customer returns one pack
    response = _cancel(clients["pharmacy"], sale["event_id"], [batch[1]])

    # then that pack is back in stock, the others stay sold, and the sale is not cancelled as a whole
    assert response.status_code == 200, response.content
    assert response.json()["package_count"] == 1
    assert response.json()["cancelled_event_id"] == sale["event_id"]
    states = {p.key: p.state for p in Package.objects.all()}
    assert sorted(states.values()) == [
        PackageState.IN_CIRCULATION,
        PackageState.WITHDRAWN,
        PackageState.WITHDRAWN,
    ]
    assert StockBalance.objects.get(owner=pharmacy).packages == 1
    original = Event.objects.get(event_id=sale["event_id"])
    assert original.cancelled_by_id is None
    cancel = Event.objects.get(event_id=response.json()["event_id"])
    assert (cancel.operation, cancel.package_count, cancel.withdrawn_count) == (OperationType.CANCEL, 1, -1)
    audit = AuditLog.objects.get(action="package.cancel_packages")
    assert audit.changes["package_count"] == 1 and audit.object_id == sale["event_id"]

    # and a later whole cancellation puts back the two others, leaving the returned one as it is
    whole = post(clients["pharmacy"], f"/operations/{sale['event_id']}/cancel", {})
    assert whole.status_code == 200, whole.content
    assert whole.json()["package_count"] == 2
    assert set(Package.objects.values_list("state", flat=True)) == {PackageState.IN_CIRCULATION}
    assert StockBalance.objects.get(owner=pharmacy).packages == 3


def test_a_package_that_is_not_in_the_operation_is_refused(clients, pharmacy, at_pharmacy, codes):
    batch = at_pharmacy(3)
    sale = services.packages_sell(actor=actor_for(pharmacy), codes=batch[:2])
    before = _db()
    body = error(
        _cancel(clients["pharmacy"], sale["event_id"], [batch[0], batch[2]]), 400, "operation_refused"
    )
    assert body["details"]["errors"] == [{"code": batch[2], "reason": "not_in_operation"}]
    assert _db() == before


def test_an_unknown_code_is_refused_as_not_in_the_operation(clients, pharmacy, at_pharmacy, codes):
    batch = at_pharmacy(1)
    sale = services.packages_sell(actor=actor_for(pharmacy), codes=batch)
    unknown = codes(1, start=900)[0]
    before = _db()
    body = error(
        _cancel(clients["pharmacy"], sale["event_id"], [unknown, "garbage"]), 400, "operation_refused"
    )
    assert {(e["code"], e["reason"]) for e in body["details"]["errors"]} == {
        (unknown, "not_in_operation"),
        ("garbage", "unknown_format"),
    }
    assert _db() == before


def test_outside_the_window_is_refused(clients, pharmacy, at_pharmacy):
    batch = at_pharmacy(2)
    sale = services.packages_sell(actor=actor_for(pharmacy), codes=batch)
    Event.objects.filter(event_id=sale["event_id"]).update(record_time=timezone.now() - timedelta(days=11))
    before = _db()
    body = error(_cancel(clients["pharmacy"], sale["event_id"], batch[:1]), 409, "cancel_window_passed")
    assert body["message"] == "The time allowed to cancel this operation has passed."
    assert _db() == before


def test_a_package_already_cancelled_is_refused(clients, pharmacy, at_pharmacy):
    batch = at_pharmacy(2)
    sale = services.packages_sell(actor=actor_for(pharmacy), codes=batch)
    assert _cancel(clients["pharmacy"], sale["event_id"], batch[:1]).status_code == 200
    before = _db()
    body = error(_cancel(clients["pharmacy"], sale["event_id"], batch[:1]), 400, "operation_refused")
    assert body["details"]["errors"] == [{"code": batch[0], "reason": "package_already_cancelled"}]
    assert _db() == before


def test_a_package_that_changed_since_is_refused(clients, pharmacy, at_pharmacy):
    batch = at_pharmacy(1)
    first = services.packages_sell(actor=actor_for(pharmacy), codes=batch, units=1)
    services.packages_sell(actor=actor_for(pharmacy), codes=batch, units=1)
    before = _db()
    body = error(_cancel(clients["pharmacy"], first["event_id"], batch), 400, "operation_refused")
    assert body["details"]["errors"] == [{"code": batch[0], "reason": "changed_since"}]
    assert _db() == before


def test_a_shipment_is_cancelled_whole_only(clients, importer, pharmacy, introduced):
    batch = introduced(2)
    sent = services.shipment_send(actor=actor_for(importer), receiver_id=pharmacy.external_id, codes=batch)
    before = _db()
    body = error(
        _cancel(clients["importer"], sent["event_id"], batch[:1]), 409, "not_cancellable_per_package"
    )
    assert body["message"] == "This operation is cancelled whole only (shipments, receiving and packing)."
    assert _db() == before


def test_another_participants_operation_is_not_found(clients, pharmacy, at_pharmacy):
    batch = at_pharmacy(1)
    sale = services.packages_sell(actor=actor_for(pharmacy), codes=batch)
    before = _db()
    error(_cancel(clients["other"], sale["event_id"], batch), 404, "event_not_found")
    assert _db() == before


def test_a_whole_cancelled_operation_cannot_lose_a_package(clients, pharmacy, at_pharmacy):
    batch = at_pharmacy(1)
    sale = services.packages_sell(actor=actor_for(pharmacy), codes=batch)
    services.operation_cancel(actor=actor_for(pharmacy), event_id=sale["event_id"])
    before = _db()
    error(_cancel(clients["pharmacy"], sale["event_id"], batch), 409, "already_cancelled")
    assert _db() == before


def test_no_codes_is_a_validation_error(clients, pharmacy, at_pharmacy):
    batch = at_pharmacy(1)
    sale = services.packages_sell(actor=actor_for(pharmacy), codes=batch)
    before = _db()
    assert _cancel(clients["pharmacy"], sale["event_id"], []).status_code == 422
    with pytest.raises(DomainError) as exc:
        services.operation_cancel_packages(actor=actor_for(pharmacy), event_id=sale["event_id"], codes=["  "])
    assert exc.value.code == "codes_required"
    assert _db() == before


def test_a_resend_with_the_same_key_cancels_once(clients, pharmacy, at_pharmacy):
    batch = at_pharmacy(2)
    sale = services.packages_sell(actor=actor_for(pharmacy), codes=batch)
    first = _cancel(clients["pharmacy"], sale["event_id"], batch[:1], HTTP_IDEMPOTENCY_KEY="ret-1")
    again = _cancel(clients["pharmacy"], sale["event_id"], batch[:1], HTTP_IDEMPOTENCY_KEY="ret-1")
    assert first.status_code == again.status_code == 200
    assert again.json()["event_id"] == first.json()["event_id"]
    assert Event.objects.filter(operation=OperationType.CANCEL).count() == 1


def test_a_cancelled_introduction_of_one_package(clients, importer, introduced):
    batch = introduced(2)
    event = Event.objects.get(operation=OperationType.INTRODUCE)
    response = _cancel(clients["importer"], event.event_id, batch[1:])
    assert response.status_code == 200, response.content
    states = sorted(Package.objects.values_list("state", flat=True))
    assert states == sorted([PackageState.IN_CIRCULATION, 0])
