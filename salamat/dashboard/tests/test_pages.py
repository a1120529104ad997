"""The regulator's dashboard through the Django test client."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from django.urls import reverse

from salamat.traceability import services
from salamat.traceability.models import Package
from salamat.traceability.tests.conftest import actor_for, element_string

pytestmark = pytest.mark.django_db


@pytest.fixture
def tracked(make_org, make_product):
    """An importer that introduced 3 packages of a product on a tracking list and sold 1 at a pharmacy."""
    from salamat.registry.models import TrackingList, TrackingListEntry

    importer = make_org("importer", region="chuy")
    pharmacy = make_org("pharmacy", region="osh_city")
    product = make_product(trade_name="Dashamycin")
    other = make_product(trade_name="Untracked")
    tl = TrackingList.objects.create(code="first", name="First list", mandatory_from=date(2024, 1, 1))
    TrackingListEntry.objects.create(tracking_list=tl, product=product)
    TrackingListEntry.objects.create(tracking_list=tl, product=other)
    gtin = product.gtins.first().gtin
    codes = [element_string(gtin, f"D{i}") for i in range(3)]
    services.packages_introduce(actor=actor_for(importer), codes=codes)
    sent = services.shipment_send(
        actor=actor_for(importer), receiver_id=pharmacy.external_id, codes=codes[:2]
    )
    services.shipment_accept(actor=actor_for(pharmacy), shipment_id=sent["shipment_id"])
    services.packages_sell(actor=actor_for(pharmacy), codes=[codes[0]])
    return {"product": product, "list": tl, "codes": codes}


@pytest.fixture
def regulator_client(client, make_org, make_user):
    client.force_login(make_user("regulator", make_org("ministry")))
    return client


def test_dashboard_only_for_the_regulator(client, make_org, make_user):
    client.force_login(make_user("pharmacist", make_org("pharmacy")))
    assert client.get(reverse("dashboard:index")).status_code == 403
    client.logout()
    assert client.get(reverse("dashboard:index")).status_code == 302


def test_dashboard_numbers_match_the_database(regulator_client, tracked):
    today = date.today()
    response = regulator_client.get(
        reverse("dashboard:index"),
        {"tracking_list": "first", "date_from": (today - timedelta(days=6)).isoformat(), "date_to": today.isoformat(),
         "product": str(tracked["product"].external_id)},
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip
    html = response.content.decode()
    assert response.status_code == 200
    data = json.loads(
        re.search(r'<script id="tracked-data" type="application/json">(.*?)</script>', html).group(1)
    )
    assert len(data["labels"]) == 7 and data["labels"][-1] == today.isoformat()
    assert sum(data["introduced"]) == Package.objects.count() == 3
    assert sum(data["withdrawn"]) == 1
    assert data["in_circulation"][-1] == 2
    assert '<span class="kpi" data-total="in_circulation">2</span>' in html
    # coverage: 1 of 2 products on the list has packages
    assert "1 of 2 products" in html and "50%" in html
    # availability: the pharmacy's sellable package in Osh city, the importer's in Chuy
    assert "Osh city" in html and "Chuy Region" in html
    assert "vendor/chartjs/chart.umd.min.js" in html


def test_dashboard_reads_the_daily_counters_once_counted(regulator_client, tracked):
    from salamat.traceability import daily

    # given: the counters' job ran, then one more package was sold (its delta not folded yet)
    today = date.today()
    daily.summarise()
    pharmacy = Package.objects.get(key__endswith="D1").owner
    services.packages_sell(actor=actor_for(pharmacy), codes=[tracked["codes"][1]])

    # when
    response = regulator_client.get(
        reverse("dashboard:index"), {"tracking_list": "first", "date_to": today.isoformat()},
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip

    # then: the figures include the sale (the deltas not folded yet are counted): exact when read,
    # so the page no longer says when the counters were last counted
    html = response.content.decode()
    assert '<span class="kpi" data-total="in_circulation">1</span>' in html
    assert "data-counted-at" not in html and "recounted" not in html
    daily.summarise()
    html = regulator_client.get(reverse("dashboard:index"), {"tracking_list": "first"}).content.decode()
    assert '<span class="kpi" data-total="in_circulation">1</span>' in html


def test_dashboard_refuses_a_reversed_period(regulator_client):
    response = regulator_client.get(
        reverse("dashboard:index"), {"date_from": "2025-02-01", "date_to": "2025-01-01"}
    )
    assert response.status_code == 422


def test_dashboard_top_alert_kinds(regulator_client, tracked, make_org):
    stranger = make_org("pharmacy")
    with pytest.raises(services.OperationRefused):
        services.packages_sell(actor=actor_for(stranger), codes=[tracked["codes"][1]])
    html = regulator_client.get(reverse("dashboard:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Belongs to another participant" in html


def _capture_unknown_events(api, make_token, make_org, n: int) -> None:
    """`n` events captured through EPCIS about a product not on the registry: stored, not applied."""
    from datetime import UTC, datetime

    client = api(make_token(make_org("wholesaler")))
    when = (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="milliseconds")
    events = [
        {"type": "ObjectEvent", "eventTime": when, "eventTimeZoneOffset": "+06:00", "action": "OBSERVE",
         "bizStep": "shipping", "epcList": [f"urn:epc:id:sgtin:0614141.107346.{i}"]}
        for i in range(n)
    ]  # fmt: skip
    document = {"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
                "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": when,
                "epcisBody": {"eventList": events}}  # fmt: skip
    response = client.post("/epcis/capture", data=json.dumps(document), content_type="application/ld+json")
    job = client.get(response["Location"]).json()
    assert (job["capturedCount"], job["appliedCount"]) == (n, 0), job


@pytest.mark.parametrize(
    ("language", "label"),
    [("en", "EPCIS events not applied"), ("ru", "События EPCIS, не применённые"), ("ky", "EPCIS окуялары")],
)
def test_dashboard_counts_epcis_events_not_applied(
    regulator_client, api, make_token, make_org, language, label
):
    _capture_unknown_events(api, make_token, make_org, 3)
    html = regulator_client.get(reverse("dashboard:index"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert '<span class="kpi" data-total="epcis_not_applied">3</span>' in html
    assert label in html
    assert "/epcis/events" in html  # where to look at them
