"""Operations through the services: every refusal leaves the database as it was."""

import uuid
from datetime import date, timedelta

import pytest
from django.utils import timezone

from salamat.codes import parse
from salamat.codes.fast import lean_key
from salamat.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from salamat.traceability import services, stock
from salamat.traceability.models import (
    Alert,
    Container,
    ContainerState,
    Event,
    EventPackage,
    Package,
    PackageState,
    Shipment,
    ShipmentStatus,
    WithdrawReason,
)
from salamat.traceability.services import Idempotency, OperationRefused
from salamat.traceability.tests.conftest import actor_for, element_string, sscc


def _gtin(body: str) -> str:
    from salamat.codes.checkdigit import gs1_check_digit

    return body + str(gs1_check_digit(body))


def db_state():
    """Everything an operation could change: packages, events, their rows, shipments, boxes."""
    return (
        list(Package.objects.order_by("id").values_list(
            "key", "state", "withdraw_reason", "owner_id", "site_id", "remaining_units", "container_id", "flags"
        )),
        Event.objects.count(),
        EventPackage.objects.count(),
        list(Shipment.objects.order_by("id").values_list("status", flat=True)),
        list(Container.objects.order_by("id").values_list("state", "parent_id", "owner_id")),
    )  # fmt: skip


def refused(call, *reasons, alerts=None):
    """Runs `call`, expects `operation_refused` listing exactly `reasons` and nothing written."""
    before, alerts_before = db_state(), Alert.objects.count()
    with pytest.raises(OperationRefused) as exc:
        call()
    assert exc.value.code == "operation_refused"
    assert sorted(e["reason"] for e in exc.value.details["errors"]) == sorted(reasons)
    assert db_state() == before
    if alerts is not None:
        assert Alert.objects.count() - alerts_before == alerts
    return exc.value


# --- introduce ------------------------------------------------------------------------------


def test_introduce_creates_packages_in_circulation_with_one_event(importer, codes):
    # when
    answer = services.packages_introduce(actor=actor_for(importer), codes=codes(5))
    # then
    assert answer["package_count"] == 5
    assert Package.objects.filter(state=PackageState.IN_CIRCULATION, owner=importer, batch="B1").count() == 5
    assert Package.objects.first().expiry == date(2030, 12, 31)
    event = Event.objects.get()
    assert (event.package_count, event.organization_id) == (5, importer.pk)
    assert EventPackage.objects.filter(event=event).count() == 5


def test_introduce_refuses_every_bad_code_at_once_and_writes_nothing(importer, introduced, codes, gtin):
    introduced(1)
    bad = [
        codes(1)[0],  # already introduced
        gtin,  # a plain GTIN: needs a sticker
        codes(1, start=2)[0],
        codes(1, start=2)[0],  # the same code twice
        element_string(_gtin("0470000999999"), "X1"),  # a GTIN not in the registry
        f"01{gtin}21NOBATCH",  # no batch, no expiry in the code nor the request
    ]
    refused(
        lambda: services.packages_introduce(actor=actor_for(importer), codes=bad),
        "needs_sticker",
        "duplicate_code",
        "already_introduced",
        "product_not_registered",
        "batch_required",
        alerts=1,
    )
    alert = Alert.objects.get()
    assert (alert.kind, alert.codes, alert.severity) == (
        "already_introduced",
        [f"01/{gtin}/21/S000001"],
        "high",
    )


def test_introduce_takes_batch_and_expiry_from_the_request_when_the_code_lacks_them(importer, gtin):
    services.packages_introduce(
        actor=actor_for(importer), codes=[f"01{gtin}21PLAIN1"], batch="LOT9", expiry=date(2031, 1, 31)
    )
    assert Package.objects.values_list("batch", "expiry").get() == ("LOT9", date(2031, 1, 31))


def test_introduce_refuses_expired_packages_and_products_not_yet_registered(importer, make_product, codes):
    refused(
        lambda: services.packages_introduce(actor=actor_for(importer), codes=codes(1, expiry="200101")),
        "expired",
    )
    later = make_product(registered_on=timezone.localdate() + timedelta(days=5))
    code = element_string(later.gtins.first().gtin, "L1")
    refused(
        lambda: services.packages_introduce(actor=actor_for(importer), codes=[code]), "product_not_registered"
    )


def test_only_active_manufacturers_and_importers_introduce(pharmacy, make_org, codes):
    with pytest.raises(PermissionDenied) as exc:
        services.packages_introduce(actor=actor_for(pharmacy), codes=codes(1))
    assert exc.value.code == "not_an_introducer"
    suspended = make_org("importer", status="suspended")
    with pytest.raises(PermissionDenied) as exc:
        services.packages_introduce(actor=actor_for(suspended), codes=codes(1))
    assert exc.value.code == "organization_not_active"
    assert Package.objects.count() == 0


@pytest.mark.parametrize(
    "offset",
    [timedelta(minutes=10), -timedelta(days=31)],
    ids=["future", "too-old"],
)
def test_event_time_is_checked(importer, codes, offset):
    # The time is taken when the test runs, not when it is collected: a long suite would
    # otherwise turn "ten minutes from now" into the past.
    when = timezone.now() + offset
    with pytest.raises(ValidationFailed) as exc:
        services.packages_introduce(actor=actor_for(importer), codes=codes(1), event_time=when)
    assert exc.value.code == "bad_event_time"
    assert Package.objects.count() == 0


def test_late_upload_within_the_window_is_accepted(importer, codes):
    when = timezone.now() - timedelta(days=3)
    answer = services.packages_introduce(actor=actor_for(importer), codes=codes(1), event_time=when)
    assert Event.objects.get(event_id=answer["event_id"]).event_time == when


def test_fifty_thousand_codes_failing_on_the_last_one_leave_nothing(importer, codes, gtin):
    batch = codes(49_999) + [gtin]  # the last one is a plain GTIN
    exc = refused(
        lambda: services.packages_introduce(actor=actor_for(importer), codes=batch), "needs_sticker"
    )
    assert exc.details["error_count"] == 1


# --- shipments -------------------------------------------------------------------------------


def test_ship_and_accept_whole(importer, pharmacy, introduced):
    batch = introduced(3)
    sent = services.shipment_send(
        actor=actor_for(importer), receiver_id=pharmacy.external_id, codes=batch, invoice_number="INV-7"
    )
    assert set(Package.objects.values_list("state", flat=True)) == {PackageState.IN_TRANSIT}
    accepted = services.shipment_accept(actor=actor_for(pharmacy), shipment_id=sent["shipment_id"])
    assert accepted["status"] == ShipmentStatus.ACCEPTED
    assert set(Package.objects.values_list("state", "owner_id", "previous_owner_id")) == {
        (PackageState.IN_CIRCULATION, pharmacy.pk, importer.pk)
    }
    assert Event.objects.get(event_id=accepted["event_id"]).biz_transactions[0]["id"] == "INV-7"


def test_accept_with_discrepancies_keeps_missing_with_sender_and_raises_alerts(
    importer, pharmacy, introduced, codes
):
    batch = introduced(3)
    sent = services.shipment_send(actor=actor_for(importer), receiver_id=pharmacy.external_id, codes=batch)
    stranger = codes(1, start=99)[0]
    answer = services.shipment_accept(
        actor=actor_for(pharmacy), shipment_id=sent["shipment_id"], codes=batch[:2] + [stranger]
    )
    assert answer["status"] == ShipmentStatus.ACCEPTED_WITH_DISCREPANCIES
    # both named by their canonical key
    assert (answer["missing"], answer["extra"]) == ([lean_key(batch[2])], [lean_key(stranger)])
    owners = dict(Package.objects.values_list("key", "owner_id"))
    assert sorted(owners.values()) == sorted([pharmacy.pk, pharmacy.pk, importer.pk])
    assert set(Package.objects.values_list("state", flat=True)) == {PackageState.IN_CIRCULATION}
    alerts = dict(Alert.objects.values_list("kind", "codes"))
    assert alerts == {"shipment_missing": [lean_key(batch[2])], "shipment_extra": [lean_key(stranger)]}


def test_accepting_someone_elses_shipment_is_refused_and_alerted(
    importer, pharmacy, other_pharmacy, introduced
):
    sent = services.shipment_send(
        actor=actor_for(importer), receiver_id=pharmacy.external_id, codes=introduced(2)
    )
    refused(
        lambda: services.shipment_accept(actor=actor_for(other_pharmacy), shipment_id=sent["shipment_id"]),
        "not_addressed_to_you",
        alerts=1,
    )
    assert Alert.objects.get().organization_id == other_pharmacy.pk


def test_reject_returns_the_packages_to_the_sender(importer, pharmacy, introduced):
    batch = introduced(2)
    sent = services.shipment_send(actor=actor_for(importer), receiver_id=pharmacy.external_id, codes=batch)
    services.shipment_reject(actor=actor_for(pharmacy), shipment_id=sent["shipment_id"], reason="damaged")
    assert set(Package.objects.values_list("state", "owner_id")) == {
        (PackageState.IN_CIRCULATION, importer.pk)
    }
    assert Shipment.objects.get().status == ShipmentStatus.REJECTED
    with pytest.raises(Conflict) as exc:
        services.shipment_accept(actor=actor_for(pharmacy), shipment_id=sent["shipment_id"])
    assert exc.value.code == "shipment_not_pending"


def test_ship_refusals(importer, pharmacy, make_org, introduced, at_pharmacy, codes):
    batch = introduced(2)
    with pytest.raises(DomainError) as exc:
        services.shipment_send(actor=actor_for(importer), receiver_id=make_org("pharmacy", status="suspended").external_id, codes=batch)  # fmt: skip
    assert exc.value.code == "receiver_not_active"
    with pytest.raises(ValidationFailed) as exc:
        services.shipment_send(actor=actor_for(importer), receiver_id=importer.external_id, codes=batch)
    assert exc.value.code == "receiver_is_sender"
    with pytest.raises(NotFound):
        services.shipment_send(actor=actor_for(importer), receiver_id="00000000-0000-0000-0000-000000000000", codes=batch)  # fmt: skip
    services.shipment_send(actor=actor_for(importer), receiver_id=pharmacy.external_id, codes=batch[:1])
    theirs = at_pharmacy(1, start=50)
    refused(
        lambda: services.shipment_send(
            actor=actor_for(importer),
            receiver_id=pharmacy.external_id,
            codes=batch + theirs + codes(1, start=70),
        ),
        "in_transit",
        "not_owner",
        "never_introduced",
        alerts=2,
    )


# --- sales and other withdrawals ------------------------------------------------------------------


def test_sell_whole_and_in_units(pharmacy, at_pharmacy):
    batch = at_pharmacy(2)
    services.packages_sell(actor=actor_for(pharmacy), codes=batch[:1])
    services.packages_sell(actor=actor_for(pharmacy), codes=batch[1:], units=4)
    rows = dict(Package.objects.values_list("key", "remaining_units"))
    assert sorted(rows.values(), key=str) == [6, None]
    answer = services.packages_sell(actor=actor_for(pharmacy), codes=batch[1:], units=6)
    assert answer["withdrawn_count"] == 1
    assert set(Package.objects.values_list("state", "withdraw_reason")) == {
        (PackageState.WITHDRAWN, WithdrawReason.SOLD)
    }


def test_sell_refusals_list_every_bad_code(pharmacy, other_pharmacy, at_pharmacy, codes):
    mine = at_pharmacy(3)
    services.packages_sell(actor=actor_for(pharmacy), codes=mine[:1])
    refused(
        lambda: services.packages_sell(
            actor=actor_for(pharmacy), codes=[*mine, codes(1, start=900)[0]], units=11
        ),
        "never_introduced",
        "already_sold",
        "too_many_units",
        "too_many_units",
        alerts=2,
    )
    refused(
        lambda: services.packages_sell(actor=actor_for(other_pharmacy), codes=mine[1:2]),
        "not_owner",
        alerts=1,
    )


def test_expired_package_cannot_be_sold_but_can_be_written_off(pharmacy, at_pharmacy):
    batch = at_pharmacy(1)
    Package.objects.update(expiry=timezone.localdate() - timedelta(days=1))
    stock.rebuild()  # the packages were edited behind the services' back
    refused(lambda: services.packages_sell(actor=actor_for(pharmacy), codes=batch), "expired", alerts=1)
    services.packages_write_off(actor=actor_for(pharmacy), codes=batch)
    assert Package.objects.get().withdraw_reason == WithdrawReason.WRITTEN_OFF


@pytest.mark.parametrize(
    ("service", "reason"),
    [
        (services.packages_dispense, WithdrawReason.DISPENSED),
        (services.packages_destroy, WithdrawReason.DESTROYED),
        (services.packages_write_off, WithdrawReason.WRITTEN_OFF),
    ],
)
def test_other_withdrawals(pharmacy, at_pharmacy, service, reason, make_user):
    from salamat.core.actors import Actor

    batch = at_pharmacy(2)
    actor = Actor(organization=pharmacy, roles=frozenset({"pharmacist", "warehouse_operator", "doctor"}))
    service(actor=actor, codes=batch)
    assert set(Package.objects.values_list("state", "withdraw_reason")) == {(PackageState.WITHDRAWN, reason)}
    refused(lambda: service(actor=actor, codes=batch), "withdrawn", "withdrawn")


def test_export_by_a_warehouse(importer, introduced):
    batch = introduced(2)
    services.packages_export(actor=actor_for(importer), codes=batch, country="kz")
    assert Event.objects.last().biz_transactions == [{"type": "export", "country": "KZ"}]
    assert set(Package.objects.values_list("withdraw_reason", flat=True)) == {WithdrawReason.EXPORTED}


def test_return_goes_back_to_the_previous_owner(importer, pharmacy, at_pharmacy, introduced):
    batch = at_pharmacy(2)
    services.packages_return(actor=actor_for(pharmacy), codes=batch)
    assert set(Package.objects.values_list("owner_id", "previous_owner_id")) == {(importer.pk, pharmacy.pk)}
    fresh = introduced(1, start=40)
    refused(lambda: services.packages_return(actor=actor_for(importer), codes=fresh), "no_previous_owner")


# --- containers ------------------------------------------------------------------------------------


def test_nested_boxes_travel_and_sell_as_one(importer, pharmacy, introduced):
    batch = introduced(4)
    box_a, box_b, pallet = sscc(1), sscc(2), sscc(3)
    services.containers_aggregate(actor=actor_for(importer), container_code=box_a, codes=batch[:2])
    services.containers_aggregate(actor=actor_for(importer), container_code=box_b, codes=batch[2:])
    services.containers_aggregate(actor=actor_for(importer), container_code=pallet, codes=[box_a, box_b])
    sent = services.shipment_send(actor=actor_for(importer), receiver_id=pharmacy.external_id, codes=[pallet])
    assert sent["package_count"] == 4
    assert set(Container.objects.values_list("state", flat=True)) == {ContainerState.IN_TRANSIT}
    services.shipment_accept(actor=actor_for(pharmacy), shipment_id=sent["shipment_id"], codes=[pallet])
    assert set(Container.objects.values_list("owner_id", "state")) == {(pharmacy.pk, ContainerState.ACTIVE)}
    answer = services.packages_sell(actor=actor_for(pharmacy), codes=[box_a])
    assert answer["package_count"] == 2
    assert Package.objects.filter(state=PackageState.WITHDRAWN).count() == 2


def test_aggregation_refusals(importer, introduced, at_pharmacy):
    batch = introduced(2)
    services.containers_aggregate(actor=actor_for(importer), container_code=sscc(1), codes=batch[:1])
    theirs = at_pharmacy(1, start=30)
    refused(
        lambda: services.containers_aggregate(
            actor=actor_for(importer), container_code=sscc(2), codes=[batch[0], *theirs, sscc(9)]
        ),
        "not_owner",
        "in_container",
        "unknown_container",
        alerts=1,
    )
    services.containers_aggregate(actor=actor_for(importer), container_code=sscc(2), codes=[sscc(1)])
    refused(
        lambda: services.containers_aggregate(
            actor=actor_for(importer), container_code=sscc(1), codes=[sscc(2)]
        ),
        "container_cycle",
    )
    with pytest.raises(ValidationFailed):
        services.containers_aggregate(actor=actor_for(importer), container_code=batch[1], codes=batch[1:])


def test_disaggregate_loosens_the_direct_contents(importer, introduced):
    batch = introduced(2)
    services.containers_aggregate(actor=actor_for(importer), container_code=sscc(1), codes=batch)
    services.containers_disaggregate(actor=actor_for(importer), codes=[sscc(1)])
    assert set(Package.objects.values_list("container_id", flat=True)) == {None}
    assert Container.objects.get().state == ContainerState.DISSOLVED
    refused(lambda: services.containers_disaggregate(actor=actor_for(importer), codes=[sscc(1), batch[0]]),
            "not_a_container", "container_dissolved")  # fmt: skip


# --- cancellation ------------------------------------------------------------------------------------


def test_cancel_a_sale_restores_the_package(pharmacy, at_pharmacy):
    batch = at_pharmacy(2)
    sale = services.packages_sell(actor=actor_for(pharmacy), codes=batch, units=3)
    services.operation_cancel(actor=actor_for(pharmacy), event_id=sale["event_id"])
    assert set(Package.objects.values_list("state", "remaining_units")) == {
        (PackageState.IN_CIRCULATION, None)
    }
    assert Event.objects.get(event_id=sale["event_id"]).cancelled_by is not None
    with pytest.raises(Conflict) as exc:
        services.operation_cancel(actor=actor_for(pharmacy), event_id=sale["event_id"])
    assert exc.value.code == "already_cancelled"


def test_cancel_an_introduction_keeps_the_packages_out_of_circulation(importer, pharmacy, codes, gtin):
    batch = codes(2, batch="WRONG")
    answer = services.packages_introduce(actor=actor_for(importer), codes=batch)
    cancel = services.operation_cancel(actor=actor_for(importer), event_id=answer["event_id"])
    # The rows stay (the two events still name them), in circulation nowhere and held by no one.
    assert set(Package.objects.values_list("state", "owner_id", "site_id", "introduced_on")) == {
        (PackageState.NOT_INTRODUCED, None, None, None)
    }
    named = EventPackage.objects.filter(event__event_id__in=[answer["event_id"], cancel["event_id"]])
    assert named.count() == 4
    assert not stock.differences()
    # Nothing can be done with them but a new introduction, and the attempt is as suspicious as an
    # unknown code.
    refused(
        lambda: services.shipment_send(actor=actor_for(importer), receiver_id=pharmacy.external_id, codes=batch),
        "never_introduced", "never_introduced", alerts=1,
    )  # fmt: skip
    # Introduced again, from what the (right) codes say: same rows, new batch.
    again = codes(2, batch="RIGHT")
    services.packages_introduce(actor=actor_for(importer), codes=again)
    assert Package.objects.count() == 2
    assert set(Package.objects.values_list("state", "owner_id", "batch")) == {
        (PackageState.IN_CIRCULATION, importer.pk, "RIGHT")
    }
    assert set(Package.objects.values_list("introduced_on", flat=True)) == {timezone.localdate()}
    assert not stock.differences()
    rows = EventPackage.objects.filter(package=Package.objects.order_by("id").first()).order_by("event_id")
    # introduced (from nothing), cancelled (from in circulation), introduced again (from nothing)
    assert [(r.event.operation, r.prev_state) for r in rows] == [(1, 0), (13, 16), (1, 0)]


def test_cancel_a_shipment_and_an_acceptance(importer, pharmacy, introduced):
    batch = introduced(2)
    sent = services.shipment_send(actor=actor_for(importer), receiver_id=pharmacy.external_id, codes=batch)
    services.operation_cancel(actor=actor_for(importer), event_id=sent["event_id"])
    assert Shipment.objects.get().status == ShipmentStatus.CANCELLED
    assert set(Package.objects.values_list("state", flat=True)) == {PackageState.IN_CIRCULATION}
    sent = services.shipment_send(actor=actor_for(importer), receiver_id=pharmacy.external_id, codes=batch)
    accepted = services.shipment_accept(actor=actor_for(pharmacy), shipment_id=sent["shipment_id"])
    services.operation_cancel(actor=actor_for(pharmacy), event_id=accepted["event_id"])
    assert set(Package.objects.values_list("state", "owner_id")) == {(PackageState.IN_TRANSIT, importer.pk)}
    assert Shipment.objects.get(external_id=sent["shipment_id"]).status == ShipmentStatus.SENT


def _box_key(n: int) -> str:
    return parse(sscc(n)).key


def test_cancel_a_packing_puts_packages_and_boxes_back(importer, introduced):
    batch = introduced(4)
    cancel = lambda answer: services.operation_cancel(actor=actor_for(importer), event_id=answer["event_id"])  # noqa: E731
    services.containers_aggregate(actor=actor_for(importer), container_code=sscc(1), codes=batch[:2])
    before = db_state()
    # a new pallet holding box 1 and two loose packages
    packed = services.containers_aggregate(
        actor=actor_for(importer), container_code=sscc(2), codes=[sscc(1), *batch[2:]]
    )
    pallet = Container.objects.get(key=_box_key(2))
    assert Container.objects.get(key=_box_key(1)).parent_id == pallet.pk
    answer = cancel(packed)
    assert answer["package_count"] == 2
    # everything as before, the pallet the packing created is gone, the cancellation is an event
    state = db_state()
    assert state[0] == before[0] and state[4] == before[4] and state[1] == before[1] + 2
    assert not Container.objects.filter(key=_box_key(2)).exists()
    assert Event.objects.get(event_id=packed["event_id"]).cancelled_by.event_id == uuid.UUID(
        answer["event_id"]
    )
    # the same SSCC can be packed again
    services.containers_aggregate(actor=actor_for(importer), container_code=sscc(2), codes=batch[2:])


def test_cancel_an_unpacking_repacks(importer, introduced):
    batch = introduced(3)
    services.containers_aggregate(actor=actor_for(importer), container_code=sscc(1), codes=batch[:2])
    services.containers_aggregate(
        actor=actor_for(importer), container_code=sscc(2), codes=[sscc(1), batch[2]]
    )
    before = db_state()
    unpacked = services.containers_disaggregate(actor=actor_for(importer), codes=[sscc(2)])
    assert Container.objects.get(key=_box_key(1)).parent_id is None
    services.operation_cancel(actor=actor_for(importer), event_id=unpacked["event_id"])
    state = db_state()
    assert state[0] == before[0] and state[4] == before[4]


def test_cancel_a_packing_refused_once_the_box_moved(importer, pharmacy, introduced):
    batch = introduced(2)
    services.containers_aggregate(actor=actor_for(importer), container_code=sscc(1), codes=batch[:1])
    packed = services.containers_aggregate(actor=actor_for(importer), container_code=sscc(2), codes=[sscc(1)])
    services.containers_aggregate(actor=actor_for(importer), container_code=sscc(2), codes=batch[1:])
    # something else went into the pallet since: cancelling would not empty it
    refused(
        lambda: services.operation_cancel(actor=actor_for(importer), event_id=packed["event_id"]),
        "changed_since",
    )
    unpack = services.containers_disaggregate(actor=actor_for(importer), codes=[sscc(2)])
    services.containers_aggregate(actor=actor_for(importer), container_code=sscc(3), codes=[sscc(1)])
    # box 1 was packed elsewhere after the unpacking
    refused(
        lambda: services.operation_cancel(actor=actor_for(importer), event_id=unpack["event_id"]),
        "changed_since",
    )


def test_cancel_refusals(importer, pharmacy, at_pharmacy, settings):
    batch = at_pharmacy(2)
    sale = services.packages_sell(actor=actor_for(pharmacy), codes=batch[:1], units=1)
    services.packages_sell(actor=actor_for(pharmacy), codes=batch[:1], units=1)
    refused(
        lambda: services.operation_cancel(actor=actor_for(pharmacy), event_id=sale["event_id"]),
        "changed_since",
    )
    with pytest.raises(NotFound):
        services.operation_cancel(actor=actor_for(importer), event_id=sale["event_id"])
    later = services.packages_sell(actor=actor_for(pharmacy), codes=batch[1:])
    Event.objects.filter(event_id=later["event_id"]).update(record_time=timezone.now() - timedelta(days=11))
    with pytest.raises(Conflict) as exc:
        services.operation_cancel(actor=actor_for(pharmacy), event_id=later["event_id"])
    assert exc.value.code == "cancel_window_passed"
    settings.SALAMAT = {**settings.SALAMAT, "CANCEL_WINDOW_DAYS": 12}
    services.operation_cancel(actor=actor_for(pharmacy), event_id=later["event_id"])


# --- recalls and alerts ------------------------------------------------------------------------------


def test_recall_of_a_batch_stops_sales_until_lifted(regulator, pharmacy, product, at_pharmacy):
    batch = at_pharmacy(2)
    recall = services.recall_create(
        actor=regulator, product_id=product.external_id, batch="B1", reason="bad lot"
    )
    assert recall.package_count == 2
    refused(
        lambda: services.packages_sell(actor=actor_for(pharmacy), codes=batch),
        "recalled",
        "recalled",
        alerts=1,
    )
    services.recall_lift(actor=regulator, recall_id=recall.external_id, reason="tests passed")
    services.packages_sell(actor=actor_for(pharmacy), codes=batch)


def test_packages_of_a_recalled_batch_cannot_be_introduced(regulator, importer, product, codes):
    services.recall_create(
        actor=regulator, product_id=product.external_id, batch="B1", reason="bad lot", confirm_no_match=True
    )
    refused(
        lambda: services.packages_introduce(actor=actor_for(importer), codes=codes(1)), "recalled", alerts=1
    )
    services.packages_introduce(actor=actor_for(importer), codes=codes(1, batch="B2"))


def test_block_by_package_list(regulator, pharmacy, at_pharmacy):
    batch = at_pharmacy(2)
    services.recall_create(actor=regulator, kind="block", package_codes=batch[:1], reason="investigation")
    refused(lambda: services.packages_sell(actor=actor_for(pharmacy), codes=batch), "blocked", alerts=1)


def test_only_the_regulator_recalls_and_resolves(pharmacy, regulator, product, at_pharmacy):
    with pytest.raises(PermissionDenied):
        services.recall_create(actor=actor_for(pharmacy), product_id=product.external_id, reason="x")
    batch = at_pharmacy(1)
    services.packages_sell(actor=actor_for(pharmacy), codes=batch)
    with pytest.raises(OperationRefused):
        services.packages_sell(actor=actor_for(pharmacy), codes=batch)
    alert = Alert.objects.get()
    with pytest.raises(PermissionDenied):
        services.alert_resolve(actor=actor_for(pharmacy), alert_id=alert.external_id, note="fine")
    services.alert_resolve(actor=regulator, alert_id=alert.external_id, note="cashier double-scanned")
    alert.refresh_from_db()
    assert (alert.status, alert.resolved_by_id) == ("resolved", regulator.user.pk)


# --- idempotency and bulk ------------------------------------------------------------------------------


def test_event_time_and_its_zone_offset(importer, codes):
    from datetime import timezone as dt_timezone

    # No time from the client: now, recorded with the platform's offset (Asia/Bishkek, +06:00).
    first = services.packages_introduce(actor=actor_for(importer), codes=codes(1))
    assert Event.objects.get(event_id=first["event_id"]).event_time_zone_offset == "+06:00"
    # The client's own time keeps the client's offset.
    at = (timezone.now() - timedelta(hours=1)).astimezone(dt_timezone(timedelta(hours=5)))
    second = services.packages_introduce(actor=actor_for(importer), codes=codes(1, start=2), event_time=at)
    event = Event.objects.get(event_id=second["event_id"])
    assert (event.event_time_zone_offset, event.event_time) == ("+05:00", at)


def test_idempotent_retry_returns_the_first_answer(pharmacy, at_pharmacy):
    batch = at_pharmacy(1)
    key = Idempotency("till-42-receipt-1", "hash-a")
    first = services.packages_sell(actor=actor_for(pharmacy), codes=batch, idempotency=key)
    again = services.packages_sell(actor=actor_for(pharmacy), codes=batch, idempotency=key)
    assert again["event_id"] == first["event_id"] and again["replayed"]
    assert Event.objects.filter(operation=7).count() == 1
    with pytest.raises(Conflict) as exc:
        services.packages_sell(
            actor=actor_for(pharmacy), codes=batch, idempotency=Idempotency(key.key, "hash-b")
        )
    assert exc.value.code == "idempotency_key_reused"


@pytest.mark.parametrize("operation", ["introduce", "ship", "sell"])
def test_queries_do_not_grow_with_the_number_of_codes(
    operation, importer, pharmacy, codes, django_assert_max_num_queries
):
    def run(n: int, start: int):
        batch = codes(n, start=start)
        if operation == "introduce":
            return lambda: services.packages_introduce(actor=actor_for(importer), codes=batch)
        services.packages_introduce(actor=actor_for(importer), codes=batch)
        if operation == "ship":
            return lambda: services.shipment_send(
                actor=actor_for(importer), receiver_id=pharmacy.external_id, codes=batch
            )
        sent = services.shipment_send(
            actor=actor_for(importer), receiver_id=pharmacy.external_id, codes=batch
        )
        services.shipment_accept(actor=actor_for(pharmacy), shipment_id=sent["shipment_id"])
        return lambda: services.packages_sell(actor=actor_for(pharmacy), codes=batch)

    small, large = run(10, 1), run(1000, 100)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        small()
    with django_assert_max_num_queries(len(few.captured_queries)):
        large()


@pytest.mark.postgres_only
@pytest.mark.parametrize("path", ["general", "fast"])
def test_pipelined_lookups_keep_the_query_count_constant(
    importer, pharmacy, codes, django_assert_max_num_queries, monkeypatch, path
):
    # From 4,000 codes the general path's parsing overlaps the lookups in a fixed number of
    # slices, and the fast path (PostgreSQL) sends one statement whatever the size: either way
    # 12,000 codes take no more queries than 4,000 (and every package is found and sold).
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from salamat.traceability.services import fast as fastpath

    if path == "general":
        monkeypatch.setattr(fastpath, "FAST_FROM", 10**9)
    elif connection.vendor != "postgresql":
        pytest.skip("the fast path is PostgreSQL's")

    def ready(n: int, start: int):
        batch = codes(n, start=start)
        services.packages_introduce(actor=actor_for(importer), codes=batch)
        sent = services.shipment_send(
            actor=actor_for(importer), receiver_id=pharmacy.external_id, codes=batch
        )
        services.shipment_accept(actor=actor_for(pharmacy), shipment_id=sent["shipment_id"])
        return batch

    small, large = ready(4000, 1), ready(12000, 10_000)
    with CaptureQueriesContext(connection) as few:
        services.packages_sell(actor=actor_for(pharmacy), codes=small)
    if path == "general":
        assert len(few.captured_queries) > services._PIPELINE_SLICES  # the pipelined slices are counted too
    # The large sale empties the pharmacy's balance of the batch: the fast path then drops it, in
    # one more statement whatever the size (the general path always sends that one).
    with django_assert_max_num_queries(len(few.captured_queries) + (path == "fast")):
        answer = services.packages_sell(actor=actor_for(pharmacy), codes=large)
    assert answer["package_count"] == 12000
    assert Package.objects.filter(state=PackageState.WITHDRAWN).count() == 16000


def test_remaining_refusals(importer, pharmacy, at_pharmacy, gtin, codes):
    # an SSCC where a package is needed; a code with a batch but no expiry anywhere
    refused(
        lambda: services.packages_introduce(
            actor=actor_for(importer), codes=[sscc(1), f"01{gtin}10LOT1\x1d21NOEXP"]
        ),
        "not_a_package",
        "expiry_required",
    )
    batch = at_pharmacy(1)
    refused(
        lambda: services.packages_return(actor=actor_for(pharmacy), codes=[*batch, sscc(2)]), "not_a_package"
    )


def test_sticker_issued_package_is_introduced_only_by_its_holder(importer, make_org, product, codes):
    # given a package registered for a sticker (as the stickers module records it), not yet introduced
    Package.objects.create(
        key="01/04700000000012/21/STK1", product=product, batch="S1", expiry=date(2031, 1, 1),
        state=PackageState.REGISTERED, owner=importer, updated_at=timezone.now(),
    )  # fmt: skip
    code = "01/04700000000012/21/STK1"
    pharmacy = make_org("pharmacy")
    refused(lambda: services.packages_sell(actor=actor_for(pharmacy), codes=[code]), "not_yet_introduced")
    other_importer = make_org("importer")
    refused(
        lambda: services.packages_introduce(actor=actor_for(other_importer), codes=[code]),
        "not_owner",
        alerts=1,
    )
    # when its holder introduces it
    services.packages_introduce(actor=actor_for(importer), codes=[code])
    # then it is in circulation with the sticker's product and batch
    assert Package.objects.values_list("state", "batch").get() == (PackageState.IN_CIRCULATION, "S1")
