"""Traceability web pages through the Django test client: each page per role, the code check
endpoint for each refusal reason, and all-or-nothing submissions that show every bad code."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.urls import reverse

from salamat.traceability import services, stock
from salamat.traceability.models import Alert, Event, Package, PackageState, Shipment
from salamat.traceability.tests.conftest import GS, actor_for, element_string, sscc

pytestmark = pytest.mark.django_db


def _html(response) -> str:
    return response.content.decode()


@pytest.fixture
def login(client, make_user):
    """login(org, role) → the test client logged in as a person with that role in `org`."""

    def _login(org, role):
        client.force_login(make_user(role, org))
        return client

    return _login


# --- who may open which page -------------------------------------------------------------


@pytest.mark.parametrize(
    ("org_fixture", "role", "slug", "allowed"),
    [
        ("importer", "warehouse_operator", "introduce", True),
        ("wholesaler", "warehouse_operator", "introduce", False),  # not a manufacturer or importer
        ("pharmacy", "pharmacist", "introduce", False),
        ("pharmacy", "pharmacist", "sell", True),
        ("wholesaler", "warehouse_operator", "sell", False),
        ("wholesaler", "warehouse_operator", "ship", True),
        ("wholesaler", "warehouse_operator", "export", True),
        ("pharmacy", "pharmacist", "export", False),
        ("pharmacy", "pharmacist", "dispense", True),
        ("pharmacy", "pharmacist", "return", True),
        ("pharmacy", "pharmacist", "write-off", True),
        ("pharmacy", "pharmacist", "destroy", True),
        ("wholesaler", "warehouse_operator", "aggregate", True),
        ("wholesaler", "warehouse_operator", "disaggregate", True),
        ("ministry", "regulator", "sell", False),
    ],
)
def test_scan_page_per_role(request, login, org_fixture, role, slug, allowed):
    client = login(request.getfixturevalue(org_fixture), role)
    response = client.get(reverse("traceability:scan", args=[slug]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == (200 if allowed else 403)
    if allowed:
        html = _html(response)
        assert 'id="scan-input"' in html and "data-camera" in html and 'name="csrfmiddlewaretoken"' in html


def test_scan_pages_need_login(client):
    response = client.get(reverse("traceability:scan", args=["sell"]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_unknown_operation_is_404(login, pharmacy):
    assert login(pharmacy, "pharmacist").get("/trace/scan/teleport/").status_code == 404


@pytest.mark.parametrize(
    ("org_fixture", "role", "url_name", "allowed"),
    [
        ("pharmacy", "pharmacist", "traceability:shipments", True),
        ("pharmacy", "pharmacist", "traceability:stock", True),
        ("pharmacy", "pharmacist", "traceability:history", True),
        ("pharmacy", "pharmacist", "traceability:alerts", False),
        ("pharmacy", "pharmacist", "traceability:recalls", False),
        ("pharmacy", "org_admin", "traceability:stock", False),
        ("ministry", "regulator", "traceability:alerts", True),
        ("ministry", "regulator", "traceability:recalls", True),
        ("ministry", "regulator", "traceability:history", True),
        ("ministry", "regulator", "traceability:shipments", False),
    ],
)
def test_pages_per_role(request, login, org_fixture, role, url_name, allowed):
    client = login(request.getfixturevalue(org_fixture), role)
    assert client.get(reverse(url_name)).status_code == (200 if allowed else 403)


def test_home_shows_the_cards_of_the_role(login, pharmacy):
    html = _html(login(pharmacy, "pharmacist").get("/", HTTP_ACCEPT_LANGUAGE="en"))
    assert reverse("traceability:scan_sell") in html
    assert reverse("traceability:shipments") in html
    assert reverse("traceability:scan_introduce") not in html  # a pharmacy does not introduce
    assert reverse("traceability:alerts") not in html


# --- the code check endpoint ---------------------------------------------------------------


def _check(client, slug, code, **extra):
    response = client.post(
        reverse("traceability:code_check", args=[slug]), {"code": code, **extra}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    return _html(response)


def test_check_accepts_a_legal_code_and_keeps_gs(login, pharmacy, at_pharmacy, product):
    code = at_pharmacy(1)[0]
    assert GS in code
    html = _check(login(pharmacy, "pharmacist"), "sell", code)
    assert 'data-ok="1"' in html and product.trade_name in html and "B1" in html


def test_check_after_a_cancelled_introduction(login, importer, codes):
    code = codes(1, batch="OLD")[0]
    intro = services.packages_introduce(actor=actor_for(importer), codes=[code])
    services.operation_cancel(actor=actor_for(importer), event_id=intro["event_id"])
    client = login(importer, "warehouse_operator")
    assert 'data-ok="1"' in _check(client, "introduce", codes(1, batch="NEW")[0])  # may come in again
    html = _check(client, "ship", code)
    assert 'data-ok="1"' not in html and "Never introduced" in html


@pytest.mark.parametrize(
    ("setup", "slug", "reason", "text"),
    [
        ("unknown", "sell", "never_introduced", "Never introduced"),
        ("sold", "sell", "already_sold", "Already sold"),
        ("other_owner", "sell", "not_owner", "Belongs to another participant"),
        ("recalled", "sell", "recalled", "Recalled by the regulator"),
        ("expired", "sell", "expired", "Expired"),
        ("garbage", "sell", "unknown_format", "Unknown code format"),
        ("bad_check", "sell", "bad_check_digit", "Wrong check digit"),
        ("gtin_only", "sell", "needs_sticker", "system sticker"),
        ("empty", "sell", "empty", "Empty code"),
        ("sscc", "return", "not_a_package", "box or pallet code"),
        ("unknown_box", "sell", "unknown_container", "Unknown box or pallet"),
        ("mine", "disaggregate", "not_a_container", "SSCC"),
        ("in_transit", "sell", "in_transit", "In transit"),
        ("mine", "return", None, None),
        ("mine_units", "sell", "too_many_units", "More units"),
    ],
)
def test_check_shows_each_refusal_reason(
    login, pharmacy, other_pharmacy, importer, at_pharmacy, codes, gtin, regulator, setup, slug, reason, text
):
    client = login(pharmacy, "pharmacist")
    extra = {}
    if setup == "unknown":
        code = codes(1, start=900)[0]
    elif setup == "sold":
        code = at_pharmacy(1)[0]
        services.packages_sell(actor=actor_for(pharmacy), codes=[code])
    elif setup == "other_owner":
        code = at_pharmacy(1)[0]
        client = login(other_pharmacy, "pharmacist")
    elif setup == "recalled":
        code = at_pharmacy(1)[0]
        services.recall_create(actor=regulator, reason="quality", package_codes=[code])
    elif setup == "expired":
        code = at_pharmacy(1)[0]
        Package.objects.update(expiry=date(2020, 1, 1))
        stock.rebuild()  # the packages were edited behind the services' back
    elif setup == "garbage":
        code = "hello world"
    elif setup == "bad_check":
        code = element_string(gtin[:-1] + str((int(gtin[-1]) + 1) % 10), "S1")
    elif setup == "gtin_only":
        code = gtin[1:]
    elif setup == "empty":
        code = ""
    elif setup in ("sscc", "unknown_box"):
        code = sscc(77)
    elif setup in ("mine", "mine_units"):
        code = at_pharmacy(1)[0]
        if setup == "mine_units":
            extra = {"x-units": "11"}  # the product has 10 units per package
    elif setup == "in_transit":
        code = at_pharmacy(1)[0]
        services.shipment_send(
            actor=actor_for(pharmacy), receiver_id=other_pharmacy.external_id, codes=[code]
        )
    html = _check(client, slug, code, **extra)
    if reason is None:
        assert 'data-ok="1"' in html
    else:
        assert f'data-reason="{reason}"' in html, html
        assert text in html
    assert Alert.objects.count() == 0  # a check never raises an alert: only a submission does


def test_check_refuses_a_page_the_role_may_not_use(login, wholesaler):
    response = login(wholesaler, "warehouse_operator").post(
        reverse("traceability:code_check", args=["sell"]), {"code": "x"}
    )
    assert response.status_code == 403


def test_check_for_introduction_reads_batch_and_expiry_fields(login, importer, gtin, codes):
    client = login(importer, "warehouse_operator")
    bare = f"01{gtin}21SERIAL9"  # no batch, no expiry in the code
    assert 'data-reason="batch_required"' in _check(client, "introduce", bare)
    assert 'data-reason="expiry_required"' in _check(client, "introduce", bare, **{"x-batch": "L1"})
    assert 'data-ok="1"' in _check(client, "introduce", bare, **{"x-batch": "L1", "x-expiry": "2031-01-31"})
    introduced = codes(1)[0]
    services.packages_introduce(actor=actor_for(importer), codes=[introduced])
    assert 'data-reason="already_introduced"' in _check(client, "introduce", introduced)


def test_check_for_introduction_gives_the_services_verdict_on_a_recalled_batch(
    login, importer, regulator, codes, product
):
    # The page asks the same rule the service applies: a batch under recall is refused on the
    # page as it is on submission (the page used to say it was fine).
    services.recall_create(
        actor=regulator, product_id=product.external_id, batch="BAD", reason="bad lot", confirm_no_match=True
    )
    client = login(importer, "warehouse_operator")
    code = codes(1, batch="BAD")[0]
    assert 'data-reason="recalled"' in _check(client, "introduce", code)
    assert 'data-ok="1"' in _check(client, "introduce", codes(1, batch="GOOD")[0])
    with pytest.raises(services.OperationRefused) as refused:
        services.packages_introduce(actor=actor_for(importer), codes=[code])
    assert [e["reason"] for e in refused.value.details["errors"]] == ["recalled"]


def test_check_for_introduction_of_a_sticker_never_issued(login, importer):
    from salamat.codes.sticker import sticker_serial_new

    html = _check(login(importer, "warehouse_operator"), "introduce", sticker_serial_new())
    assert 'data-reason="sticker_not_issued"' in html and "No such system sticker was issued" in html


# --- submissions ---------------------------------------------------------------------------


def test_sell_submission_records_the_sale(login, pharmacy, at_pharmacy):
    batch = at_pharmacy(2)
    client = login(pharmacy, "pharmacist")
    response = client.post(
        reverse("traceability:scan", args=["sell"]), {"codes": batch}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 302
    assert Package.objects.filter(state=PackageState.WITHDRAWN).count() == 2
    assert "Packages sold: 2." in _html(client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en"))


def test_refused_submission_writes_nothing_and_marks_every_bad_code(login, pharmacy, at_pharmacy, codes):
    good = at_pharmacy(2)
    sold = at_pharmacy(1, start=50)[0]
    services.packages_sell(actor=actor_for(pharmacy), codes=[sold])
    unknown = codes(1, start=700)[0]
    events_before = Event.objects.count()
    client = login(pharmacy, "pharmacist")
    response = client.post(
        reverse("traceability:scan", args=["sell"]),
        {"codes": [*good, sold, unknown, "garbage"]},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    html = _html(response)
    assert response.status_code == 422
    assert "Nothing was recorded: 3 codes" in html
    assert html.count('data-reason="') == 3
    for reason in ("already_sold", "never_introduced", "unknown_format"):
        assert f'data-reason="{reason}"' in html
    # every scanned code is still in the list (GS kept), so the person can fix and resubmit
    assert len(re.findall(r'name="codes" value="[^"]+"', html)) == 5
    assert good[0] in html
    assert Event.objects.count() == events_before
    assert Package.objects.filter(state=PackageState.IN_CIRCULATION).count() == 2


def test_ship_page_sends_a_shipment_with_invoice(login, wholesaler, pharmacy, importer, introduced):
    batch = introduced(2)
    client = login(importer, "warehouse_operator")
    response = client.post(
        reverse("traceability:scan", args=["ship"]),
        {
            "codes": batch,
            "x-receiver": str(pharmacy.external_id),
            "x-invoice_number": "INV-7",
            "x-invoice_date": "2025-01-31",
        },
    )
    assert response.status_code == 302
    shipment = Shipment.objects.get()
    assert (shipment.invoice_number, shipment.receiver_id, shipment.package_count) == (
        "INV-7",
        pharmacy.pk,
        2,
    )


def test_ship_page_requires_the_receiver(login, importer, introduced):
    response = login(importer, "warehouse_operator").post(
        reverse("traceability:scan", args=["ship"]), {"codes": introduced(1)}
    )
    assert response.status_code == 422 and Shipment.objects.count() == 0


def test_introduce_page(login, importer, codes, product):
    client = login(importer, "warehouse_operator")
    response = client.post(reverse("traceability:scan", args=["introduce"]), {"codes": codes(3)})
    assert response.status_code == 302 and Package.objects.count() == 3


# --- shipments -----------------------------------------------------------------------------------


@pytest.fixture
def sent(importer, pharmacy, introduced):
    def _send(n=3):
        batch = introduced(n)
        answer = services.shipment_send(
            actor=actor_for(importer), receiver_id=pharmacy.external_id, codes=batch, invoice_number="INV-1"
        )
        return Shipment.objects.get(external_id=answer["shipment_id"]), batch

    return _send


def test_inbox_accept_whole(login, pharmacy, importer, sent):
    shipment, _batch = sent()
    client = login(pharmacy, "pharmacist")
    html = _html(client.get(reverse("traceability:shipments"), HTTP_ACCEPT_LANGUAGE="en"))
    assert "INV-1" in html and str(importer) in html
    response = client.post(reverse("traceability:shipment_accept", args=[shipment.external_id]))
    assert response.status_code == 302
    shipment.refresh_from_db()
    assert shipment.status == "accepted"
    assert Package.objects.filter(owner=pharmacy).count() == 3


def test_inbox_reject(login, pharmacy, importer, sent):
    shipment, _batch = sent()
    login(pharmacy, "pharmacist").post(
        reverse("traceability:shipment_reject", args=[shipment.external_id]), {"reason": "damaged"}
    )
    shipment.refresh_from_db()
    assert shipment.status == "rejected" and Package.objects.filter(owner=importer).count() == 3


def test_receive_with_discrepancies(login, pharmacy, sent, codes):
    shipment, batch = sent(3)
    client = login(pharmacy, "pharmacist")
    check = client.post(
        reverse("traceability:shipment_check", args=[shipment.external_id]), {"code": codes(1, start=500)[0]}
    )
    assert 'data-reason="not_in_shipment"' in _html(check) or 'data-reason="never_introduced"' in _html(check)
    assert 'data-ok="1"' in _html(
        client.post(reverse("traceability:shipment_check", args=[shipment.external_id]), {"code": batch[0]})
    )
    response = client.post(
        reverse("traceability:shipment_receive", args=[shipment.external_id]), {"codes": batch[:2]}
    )
    assert response.status_code == 302
    shipment.refresh_from_db()
    assert shipment.status == "accepted_with_discrepancies"
    assert Alert.objects.filter(kind="shipment_missing").count() == 1


def test_receive_check_of_a_pallet_of_boxes(login, importer, pharmacy, introduced):
    # a pallet holding a box holding the packages: its packages sit in the inner box, not in it
    batch = introduced(2)
    services.containers_aggregate(actor=actor_for(importer), container_code=sscc(1), codes=batch)
    services.containers_aggregate(actor=actor_for(importer), container_code=sscc(2), codes=[sscc(1)])
    sent = services.shipment_send(
        actor=actor_for(importer), receiver_id=pharmacy.external_id, codes=[sscc(2)]
    )
    check = login(pharmacy, "pharmacist").post(
        reverse("traceability:shipment_check", args=[sent["shipment_id"]]), {"code": sscc(2)},
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip
    html = _html(check)
    # as the service (which takes the pallet whole): in this shipment, two packages inside
    assert 'data-ok="1"' in html and "2 packages inside" in html


def test_another_participant_cannot_see_or_accept_the_shipment(login, other_pharmacy, sent):
    shipment, _batch = sent()
    client = login(other_pharmacy, "pharmacist")
    assert (
        client.get(reverse("traceability:shipment_receive", args=[shipment.external_id])).status_code == 404
    )
    client.post(reverse("traceability:shipment_accept", args=[shipment.external_id]))
    shipment.refresh_from_db()
    assert shipment.status == "sent"


# --- stock and history ------------------------------------------------------------------------


def test_stock_highlights_expiring_soon(login, pharmacy, at_pharmacy):
    at_pharmacy(2)
    Package.objects.filter(owner=pharmacy).update(expiry=date.today().replace(year=date.today().year + 5))
    first = Package.objects.filter(owner=pharmacy).first()
    Package.objects.filter(pk=first.pk).update(expiry=date.today(), batch="SOON")
    stock.rebuild()  # the packages were edited behind the services' back
    html = _html(login(pharmacy, "pharmacist").get(reverse("traceability:stock"), HTTP_ACCEPT_LANGUAGE="en"))
    assert "expiring-soon" in html and "SOON" in html and "2 packages in stock." in html


def test_stock_filters_by_site(login, pharmacy, at_pharmacy):
    from salamat.registry.models import Site

    at_pharmacy(2)
    other_site = Site.objects.create(
        organization=pharmacy, name="Second counter", address="x", region="bishkek"
    )
    html = _html(
        login(pharmacy, "pharmacist").get(
            reverse("traceability:stock"), {"site": str(other_site.external_id)}, HTTP_ACCEPT_LANGUAGE="en"
        )
    )
    assert "0 packages in stock." in html


def test_history_for_owner_and_regulator_not_for_strangers(
    login, pharmacy, other_pharmacy, at_pharmacy, make_user, ministry, client
):
    code = at_pharmacy(1)[0]
    url = reverse("traceability:history")
    html = _html(login(pharmacy, "pharmacist").get(url, {"code": code}, HTTP_ACCEPT_LANGUAGE="en"))
    assert "Introduction into circulation" in html and "Shipment" in html and "Acceptance" in html
    client.force_login(make_user("regulator", ministry))
    assert client.get(url, {"code": code}).status_code == 200
    client.force_login(make_user("pharmacist", other_pharmacy))
    assert client.get(url, {"code": code}).status_code == 404


# --- regulator -------------------------------------------------------------------------------------


def test_alert_inbox_filters_and_resolves(login, ministry, pharmacy, at_pharmacy):
    code = at_pharmacy(1)[0]
    services.packages_sell(actor=actor_for(pharmacy), codes=[code])
    with pytest.raises(services.OperationRefused):
        services.packages_sell(actor=actor_for(pharmacy), codes=[code])
    alert = Alert.objects.get(kind="already_sold")
    client = login(ministry, "regulator")
    html = _html(client.get(reverse("traceability:alerts"), {"severity": "high"}, HTTP_ACCEPT_LANGUAGE="en"))
    assert "Already sold" in html and str(alert.external_id) in html
    assert str(alert.external_id) not in _html(
        client.get(reverse("traceability:alerts"), {"severity": "low"})
    )
    client.post(
        reverse("traceability:alert_resolve", args=[alert.external_id]), {"note": "checked with the pharmacy"}
    )
    alert.refresh_from_db()
    assert alert.status == "resolved" and alert.resolution_note == "checked with the pharmacy"


def test_alert_inbox_shows_three_codes_and_says_how_many_more(login, ministry, pharmacy, at_pharmacy, codes):
    # five codes never introduced, refused in one sale: one alert naming all five
    with pytest.raises(services.OperationRefused):
        services.packages_sell(actor=actor_for(pharmacy), codes=codes(5, start=100))
    alert = Alert.objects.get(kind="never_introduced")
    assert alert.code_count == 5
    html = _html(login(ministry, "regulator").get(reverse("traceability:alerts"), HTTP_ACCEPT_LANGUAGE="en"))
    cell = html[html.index('class="codes-cell"') :].split("</td>")[0]
    assert [c in cell for c in alert.codes] == [True, True, True, False, False]
    assert "and 2 more" in cell


def test_recall_create_and_lift(login, ministry, at_pharmacy, product):
    at_pharmacy(2)
    client = login(ministry, "regulator")
    response = client.post(
        reverse("traceability:recalls"),
        {"kind": "recall", "product": str(product.external_id), "batch": "B1", "reason": "contamination"},
    )
    assert response.status_code == 302
    assert Package.objects.filter(flags=1).count() == 2
    from salamat.traceability.models import Recall

    recall = Recall.objects.get()
    client.post(reverse("traceability:recall_lift", args=[recall.external_id]), {"reason": "lab cleared"})
    assert Package.objects.filter(flags=0).count() == 2


def test_recall_form_refuses_bad_codes(login, ministry):
    response = login(ministry, "regulator").post(
        reverse("traceability:recalls"),
        {"kind": "recall", "package_codes": "garbage\n", "reason": "x"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 422 and "Unknown code format" in _html(response)


@pytest.mark.parametrize(
    ("language", "title", "reason"),
    [
        ("ru", "Провести продажу", "Не вводилась в оборот"),
        ("ky", "Сатууну каттоо", "Жүгүртүүгө киргизилген эмес"),
    ],
)
def test_pages_speak_russian_and_kyrgyz(login, pharmacy, codes, language, title, reason):
    client = login(pharmacy, "pharmacist")
    assert title in _html(
        client.get(reverse("traceability:scan", args=["sell"]), HTTP_ACCEPT_LANGUAGE=language)
    )
    check = client.post(
        reverse("traceability:code_check", args=["sell"]),
        {"code": codes(1)[0]},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert reason in _html(check)


# --- recent operations and cancellation ----------------------------------------------------------


def test_recent_operations_cancel_a_sale(login, pharmacy, at_pharmacy, importer):
    batch = at_pharmacy(2)
    sale = services.packages_sell(actor=actor_for(pharmacy), codes=batch, receipt_number="R-7")
    client = login(pharmacy, "pharmacist")
    html = _html(client.get(reverse("traceability:operations"), HTTP_ACCEPT_LANGUAGE="en"))
    row = html.split(f'data-event="{sale["event_id"]}"')[1].split("</tr>")[0]
    assert "Sale" in row and "receipt: R-7" in row and ">Cancel</button>" in row
    # the importer's operations are not listed for the pharmacy
    assert html.count("data-event=") == 2  # the sale and the pharmacy's acceptance
    response = client.post(
        reverse("traceability:operation_cancel", args=[sale["event_id"]]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 302
    assert set(Package.objects.values_list("state", flat=True)) == {PackageState.IN_CIRCULATION}
    html = _html(client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en"))
    assert "Operation cancelled; packages restored: 2." in html
    row = html.split(f'data-event="{sale["event_id"]}"')[1].split("</tr>")[0]
    assert "Already cancelled" in row and "<button" not in row


def test_recent_operations_refused_cancellation_changes_nothing(login, pharmacy, at_pharmacy):
    batch = at_pharmacy(1)
    accepted = Event.objects.filter(organization=pharmacy).latest("id")
    services.packages_sell(actor=actor_for(pharmacy), codes=batch)
    client = login(pharmacy, "pharmacist")
    before = list(Package.objects.values_list("state", "owner_id")), Event.objects.count()
    response = client.post(
        reverse("traceability:operation_cancel", args=[accepted.event_id]), HTTP_ACCEPT_LANGUAGE="en"
    )
    html = _html(client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en"))
    assert "The operation was not cancelled:" in html and "Something happened to this package since" in html
    assert (list(Package.objects.values_list("state", "owner_id")), Event.objects.count()) == before


def test_recent_operations_of_another_organisation_cannot_be_cancelled(login, pharmacy, importer, introduced):
    batch = introduced(1)
    event = Event.objects.filter(organization=importer).latest("id")
    client = login(pharmacy, "pharmacist")
    response = client.post(
        reverse("traceability:operation_cancel", args=[event.event_id]), HTTP_ACCEPT_LANGUAGE="en"
    )
    html = _html(client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en"))
    assert "No such operation of your organisation." in html
    assert len(batch) == 1 and Package.objects.get().state == PackageState.IN_CIRCULATION
    assert login(pharmacy, "doctor").get(reverse("traceability:operations")).status_code == 200
    assert login(importer, "org_admin").get(reverse("traceability:operations")).status_code == 403
