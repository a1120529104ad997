"""The traceability API per role: allowed and refused, in the one error shape."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from salamat.traceability.models import Alert, Event, Package, PackageState
from salamat.traceability.tests.conftest import actor_for, sscc


def post(client, path, body, **headers):
    return client.post(f"/api/v1{path}", data=json.dumps(body), content_type="application/json", **headers)


def error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "details"} and body["code"] == code
    return body


@pytest.fixture
def clients(api, make_token, importer, pharmacy, other_pharmacy):
    return {
        "importer": api(make_token(importer)),
        "pharmacy": api(make_token(pharmacy)),
        "other": api(make_token(other_pharmacy)),
    }


def _through_pharmacy(clients, pharmacy, codes):
    assert post(clients["importer"], "/packages/introduce", {"codes": codes}).status_code == 200
    sent = post(
        clients["importer"],
        "/shipments",
        {"codes": codes, "receiver": str(pharmacy.external_id), "invoice_number": "F-1"},
    )
    assert sent.status_code == 201, sent.content
    accepted = post(clients["pharmacy"], f"/shipments/{sent.json()['shipment_id']}/accept", {})
    assert accepted.status_code == 200, accepted.content
    return sent.json()


def test_full_journey_and_history(clients, pharmacy, codes, make_token, regulator, api, ministry):
    batch = codes(3)
    _through_pharmacy(clients, pharmacy, batch)
    incoming = clients["pharmacy"].get("/api/v1/shipments?direction=incoming").json()
    assert incoming["count"] == 1 and incoming["items"][0]["status"] == "accepted"
    sale = post(clients["pharmacy"], "/packages/sell", {"codes": batch[:1], "units": 2})
    assert sale.status_code == 200 and sale.json()["withdrawn_count"] == 0
    key = Package.objects.order_by("id").first().key
    history = clients["pharmacy"].get(f"/api/v1/packages/{key}")
    assert history.status_code == 200, history.content
    body = history.json()
    assert body["package"]["remaining_units"] == 8
    assert [e["operation"] for e in body["history"]] == ["introduce", "ship", "accept", "sell"]
    assert body["history"][1]["destination"]["id"] == str(pharmacy.external_id)
    # a stranger does not even learn the package exists
    error(clients["other"].get(f"/api/v1/packages/{key}"), 404, "package_not_found")


def test_refusal_lists_every_code_and_alerts(clients, pharmacy, codes):
    batch = codes(2)
    _through_pharmacy(clients, pharmacy, batch)
    post(clients["pharmacy"], "/packages/sell", {"codes": batch[:1]})
    body = error(
        post(clients["pharmacy"], "/packages/sell", {"codes": batch + codes(1, start=50)}),
        400,
        "operation_refused",
    )
    assert sorted(e["reason"] for e in body["details"]["errors"]) == ["already_sold", "never_introduced"]
    assert Package.objects.filter(state=PackageState.WITHDRAWN).count() == 1
    assert sorted(Alert.objects.values_list("kind", flat=True)) == ["already_sold", "never_introduced"]


def test_idempotency_key_replays_and_refuses_reuse(clients, pharmacy, codes):
    batch = codes(2)
    _through_pharmacy(clients, pharmacy, batch)
    headers = {"HTTP_IDEMPOTENCY_KEY": "till-1-receipt-77"}
    first = post(clients["pharmacy"], "/packages/sell", {"codes": batch[:1]}, **headers)
    again = post(clients["pharmacy"], "/packages/sell", {"codes": batch[:1]}, **headers)
    assert first.status_code == again.status_code == 200
    assert again.json()["event_id"] == first.json()["event_id"] and again.json()["replayed"] is True
    assert Event.objects.filter(operation=7).count() == 1
    error(
        post(clients["pharmacy"], "/packages/sell", {"codes": batch[1:]}, **headers),
        409,
        "idempotency_key_reused",
    )
    # another organisation's identical key is its own
    assert Package.objects.filter(state=PackageState.WITHDRAWN).count() == 1


def test_validation_and_event_time(clients, codes):
    error(post(clients["importer"], "/packages/introduce", {"codes": []}), 422, "validation_error")
    naive = post(
        clients["importer"], "/packages/introduce", {"codes": codes(1), "event_time": "2025-01-01T10:00:00"}
    )
    error(naive, 422, "validation_error")
    future = (timezone.now() + timedelta(hours=1)).isoformat()
    error(
        post(clients["importer"], "/packages/introduce", {"codes": codes(1), "event_time": future}),
        422,
        "bad_event_time",
    )
    assert Package.objects.count() == 0


def test_roles(clients, pharmacy, codes, api):
    error(post(clients["pharmacy"], "/packages/introduce", {"codes": codes(1)}), 403, "not_an_introducer")
    error(clients["pharmacy"].get("/api/v1/alerts"), 403, "role_required")
    error(post(api(), "/packages/sell", {"codes": codes(1)}), 401, "not_authenticated")


def test_accept_refused_for_someone_else(clients, pharmacy, codes):
    batch = codes(1)
    post(clients["importer"], "/packages/introduce", {"codes": batch})
    sent = post(
        clients["importer"], "/shipments", {"codes": batch, "receiver": str(pharmacy.external_id)}
    ).json()
    error(post(clients["other"], f"/shipments/{sent['shipment_id']}/accept", {}), 400, "operation_refused")
    assert Alert.objects.get().kind == "not_addressed_to_you"
    reject = post(clients["pharmacy"], f"/shipments/{sent['shipment_id']}/reject", {"reason": "wrong order"})
    assert reject.status_code == 200 and reject.json()["status"] == "rejected"


def test_cancel_through_the_api(clients, pharmacy, codes):
    batch = codes(1)
    _through_pharmacy(clients, pharmacy, batch)
    sale = post(clients["pharmacy"], "/packages/sell", {"codes": batch}).json()
    error(post(clients["other"], f"/operations/{sale['event_id']}/cancel", {}), 404, "event_not_found")
    cancel = post(clients["pharmacy"], f"/operations/{sale['event_id']}/cancel", {})
    assert cancel.status_code == 200 and cancel.json()["cancelled_event_id"] == sale["event_id"]
    assert Package.objects.get().state == PackageState.IN_CIRCULATION


def test_containers_through_the_api(clients, codes):
    batch = codes(2)
    post(clients["importer"], "/packages/introduce", {"codes": batch})
    packed = post(clients["importer"], "/containers/aggregate", {"container": sscc(5), "codes": batch})
    assert packed.status_code == 200 and packed.json()["package_count"] == 2
    unpacked = post(clients["importer"], "/containers/disaggregate", {"codes": [sscc(5)]})
    assert unpacked.status_code == 200


def test_stock_and_availability(clients, pharmacy, codes, product):
    _through_pharmacy(clients, pharmacy, codes(3))
    stock = clients["pharmacy"].get("/api/v1/stock").json()
    assert [(r["batch"], r["packages"], r["expiring_soon"]) for r in stock] == [("B1", 3, False)]
    assert clients["importer"].get("/api/v1/stock").json() == []
    where = clients["other"].get(f"/api/v1/availability?product={product.external_id}").json()
    assert [(r["region"], r["packages"], r["organization"]) for r in where] == [
        ("bishkek", 3, "Pharmacy One")
    ]
    assert (
        clients["other"].get(f"/api/v1/availability?product={product.external_id}&region=osh_city").json()
        == []
    )


def test_regulator_recalls_alerts_and_stats(clients, pharmacy, codes, product, regulator, client):
    batch = codes(2)
    _through_pharmacy(clients, pharmacy, batch)
    client.force_login(regulator.user)
    created = post(
        client, "/recalls", {"product": str(product.external_id), "batch": "B1", "reason": "sterility"}
    )
    assert created.status_code == 201, created.content
    assert created.json()["package_count"] == 2
    error(post(clients["pharmacy"], "/packages/sell", {"codes": batch}), 400, "operation_refused")
    alerts = client.get("/api/v1/alerts?status=open").json()
    assert alerts["count"] == 1 and alerts["items"][0]["kind"] == "recalled"
    headers = {"HTTP_IDEMPOTENCY_KEY": "resolve-1"}
    resolved = post(
        client, f"/alerts/{alerts['items'][0]['id']}/resolve", {"note": "pharmacy informed"}, **headers
    )
    assert resolved.json()["status"] == "resolved"
    again = post(
        client, f"/alerts/{alerts['items'][0]['id']}/resolve", {"note": "pharmacy informed"}, **headers
    )
    assert again.status_code == 200 and again.json()["id"] == resolved.json()["id"]
    lifted = post(client, f"/recalls/{created.json()['id']}/lift", {"reason": "retested"})
    assert lifted.json()["status"] == "lifted"
    assert client.get("/api/v1/recalls").json()["count"] == 1
    today = timezone.localdate().isoformat()
    days = client.get(f"/api/v1/stats/tracked?from={today}&to={today}").json()
    assert days == [{"day": today, "introduced": 2, "withdrawn": 0, "in_circulation": 2}]
    coverage = client.get("/api/v1/stats/coverage").json()
    assert set(coverage) >= {"products", "introduced", "share", "lists"}


def test_regulator_sees_any_package_history(clients, pharmacy, codes, regulator, client):
    _through_pharmacy(clients, pharmacy, codes(1))
    client.force_login(regulator.user)
    key = Package.objects.get().key
    assert client.get(f"/api/v1/packages/{key}").status_code == 200
    error(client.get("/api/v1/packages/01/04700000000012/21/NOPE"), 404, "package_not_found")


def test_service_actor_helper_matches_api_roles(importer):
    assert "warehouse_operator" in actor_for(importer).roles


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ru", "Ничего не записано: 1 код"),
        ("ky", "Эч нерсе жазылган жок"),
        ("en", "Nothing was recorded: 1 code"),
    ],
)
def test_refusal_message_in_the_request_language(clients, codes, language, expected):
    body = error(
        post(clients["pharmacy"], "/packages/sell", {"codes": codes(1)}, HTTP_ACCEPT_LANGUAGE=language),
        400,
        "operation_refused",
    )
    assert body["message"].startswith(expected)


def test_a_cancelled_introduction_keeps_its_history(clients, codes, regulator, client, importer, product):
    from datetime import date

    from salamat.registry.models import TrackingList, TrackingListEntry

    tracked = TrackingList.objects.create(code="all", name="All", mandatory_from=date(2024, 1, 1))
    TrackingListEntry.objects.create(tracking_list=tracked, product=product)
    batch = codes(1)
    intro = post(clients["importer"], "/packages/introduce", {"codes": batch}).json()
    cancel = post(clients["importer"], f"/operations/{intro['event_id']}/cancel", {})
    assert cancel.status_code == 200, cancel.content
    key = Package.objects.get().key
    # The introducer and the regulator still read the package and both events.
    for reader in (clients["importer"], None):
        if reader is None:
            client.force_login(regulator.user)
            reader = client
        body = reader.get(f"/api/v1/packages/{key}").json()
        assert body["package"]["state"] == "not_introduced"
        assert [e["operation"] for e in body["history"]] == ["introduce", "cancel"]
        assert body["history"][0]["cancelled_by"] == cancel.json()["event_id"]
    # A citizen is told what a code never introduced gets (its product is on a list in force).
    check = client.get("/api/public/check", {"code": batch[0]}, HTTP_ACCEPT_LANGUAGE="en").json()
    assert check["verdict"] == "unknown"
    # The regulator's figures count it nowhere.
    today = timezone.localdate().isoformat()
    days = client.get("/api/v1/stats/tracked", {"from": today, "to": today}).json()
    assert (days[0]["introduced"], days[0]["in_circulation"]) == (0, 0)
    assert client.get("/api/v1/stats/coverage").json()["introduced"] == 0
    # Introduced again: in circulation, its history tells all three.
    assert post(clients["importer"], "/packages/introduce", {"codes": batch}).status_code == 200
    body = client.get(f"/api/v1/packages/{key}").json()
    assert body["package"]["state"] == "in_circulation"
    assert [e["operation"] for e in body["history"]] == ["introduce", "cancel", "introduce"]
    assert client.get("/api/v1/stats/coverage").json()["introduced"] == 1


def test_package_history_lists_the_recalls_that_cover_it(clients, codes, regulator, client, product):
    from salamat.traceability import services

    batch = codes(2) + codes(1, start=10, batch="B2")
    assert post(clients["importer"], "/packages/introduce", {"codes": batch}).status_code == 200
    keys = list(Package.objects.order_by("id").values_list("key", flat=True))
    recall = services.recall_create(
        actor=regulator, product_id=product.external_id, batch="B1", reason="Lab test"
    )
    services.recall_lift(actor=regulator, recall_id=recall.external_id, reason="Retest passed")
    block = services.recall_create(actor=regulator, kind="block", package_codes=batch[:1], reason="Case 7")
    first = clients["importer"].get(f"/api/v1/packages/{keys[0]}").json()["recalls"]
    assert [(r["id"], r["kind"], r["status"]) for r in first] == [
        (str(recall.external_id), "recall", "lifted"), (str(block.external_id), "block", "active"),
    ]  # fmt: skip
    assert first[0]["lift_reason"] == "Retest passed" and "package_keys" not in first[1]
    # the block names another package, the recall another batch
    assert [r["kind"] for r in clients["importer"].get(f"/api/v1/packages/{keys[1]}").json()["recalls"]] == [
        "recall"
    ]
    assert clients["importer"].get(f"/api/v1/packages/{keys[2]}").json()["recalls"] == []
