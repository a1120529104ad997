"""The stock and operations lists: search, sort, CSV and Excel downloads; the operations list's
products and search by package code; cancelling some packages of an operation from the page."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from salamat.traceability import services
from salamat.traceability.models import Event, OperationType, Package, PackageState
from salamat.traceability.tests.conftest import GS, actor_for, element_string

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def counter(client, make_user, pharmacy):
    client.force_login(make_user("pharmacist", pharmacy))
    return client


@pytest.fixture
def two_products(make_product, importer, pharmacy):
    """The pharmacy holds 3 Amoxicillin (batch AMX) and 2 Paracetamol (batch PAR)."""
    amox = make_product(trade_name="Amoxicillin", strength="500 mg")
    para = make_product(trade_name="Paracetamol", strength="200 mg")
    codes = [element_string(amox.gtins.get().gtin, f"A{i}", batch="AMX", expiry="301231") for i in range(3)]
    codes += [element_string(para.gtins.get().gtin, f"P{i}", batch="PAR", expiry="290115") for i in range(2)]
    services.packages_introduce(actor=actor_for(importer), codes=codes)
    sent = services.shipment_send(actor=actor_for(importer), receiver_id=pharmacy.external_id, codes=codes)
    services.shipment_accept(actor=actor_for(pharmacy), shipment_id=sent["shipment_id"])
    return codes


def _csv_rows(response):
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # spreadsheet programs read the Cyrillic right
    return list(csv.reader(io.StringIO(text[1:])))


def test_stock_search_sort_and_downloads(counter, two_products):
    url = reverse("traceability:stock")
    html = counter.get(url, {"q": "parac"}, **EN).content.decode()
    assert "Paracetamol" in html and "Amoxicillin" not in html
    assert "2 packages in stock." in html

    html = counter.get(url, {"sort": "expiry"}, **EN).content.decode()
    assert html.index("PAR") < html.index("AMX")  # 2029 before 2030
    html = counter.get(url, {"sort": "-packages"}, **EN).content.decode()
    assert html.index("AMX") < html.index("PAR")

    response = counter.get(url, {"format": "csv", "sort": "expiry"}, **EN)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="stock-')
    rows = _csv_rows(response)
    assert rows[0][:6] == ["Product", "Strength", "INN", "Batch", "Expiry", "Packages"]
    assert [(r[0], r[3], r[4], r[5]) for r in rows[1:]] == [
        ("Paracetamol", "PAR", "2029-01-15", "2"),
        ("Amoxicillin", "AMX", "2030-12-31", "3"),
    ]

    response = counter.get(url, {"format": "xlsx", "q": "amox"}, **EN)
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "Product" and len(values) == 2
    assert values[1][0] == "Amoxicillin" and values[1][5] == 3  # a number, not text


def test_operations_list_shows_products_and_is_searched_by_code(counter, pharmacy, two_products):
    sale = services.packages_sell(actor=actor_for(pharmacy), codes=[two_products[0], two_products[3]])
    other = services.packages_sell(actor=actor_for(pharmacy), codes=[two_products[1]])
    url = reverse("traceability:operations")
    html = counter.get(url, **EN).content.decode()
    row = html.split(f'data-event="{sale["event_id"]}"')[1].split("</tr>")[0]
    assert "Amoxicillin" in row and "Paracetamol" in row and "× 1" in row

    # a package's code (as a scanner sends it, GS included) finds the operations that named it
    html = counter.get(url, {"q": two_products[1]}, **EN).content.decode()
    assert f'data-event="{other["event_id"]}"' in html and f'data-event="{sale["event_id"]}"' not in html
    assert html.count("data-event=") == 2  # the sale and the acceptance that brought it in
    # a product's name finds the operations with its packages
    html = counter.get(url, {"q": "paracet"}, **EN).content.decode()
    assert f'data-event="{sale["event_id"]}"' in html and f'data-event="{other["event_id"]}"' not in html
    html = counter.get(url, {"q": "no such thing"}, **EN).content.decode()
    assert "No operation in this period matches the search." in html

    rows = _csv_rows(counter.get(url, {"format": "csv", "sort": "recorded"}, **EN))
    assert rows[0][:4] == ["Recorded", "Operation", "Packages", "Products"]
    assert [r[1] for r in rows[1:]] == ["Acceptance", "Sale", "Sale"]
    assert "Amoxicillin 500 mg × 1" in rows[2][3]
    sheet = load_workbook(io.BytesIO(counter.get(url, {"format": "xlsx"}, **EN).content)).active
    assert sheet.max_row == 4


def test_a_downloaded_text_cell_is_never_a_formula():
    from salamat.traceability.views.export import _csv

    rows = list(csv.reader(io.StringIO(_csv(["a", "b", "c", "d"], [["=1+1", "@x", 5, -3]]).decode()[1:])))
    assert rows[1] == ["'=1+1", "'@x", "5", "-3"]  # text defused, numbers kept


def test_the_page_cancels_one_package_of_a_sale(counter, pharmacy, at_pharmacy):
    batch = at_pharmacy(2)
    assert GS in batch[0]
    sale = services.packages_sell(actor=actor_for(pharmacy), codes=batch)
    url = reverse("traceability:operations")
    html = counter.get(url, **EN).content.decode()
    row = html.split(f'data-event="{sale["event_id"]}"')[1].split("</tr>")[0]
    assert "Put these packages back" in row

    response = counter.post(
        reverse("traceability:operation_cancel_packages", args=[sale["event_id"]]),
        {"codes": batch[1] + "\r\n", "next": url + "?sort=recorded"},
        **EN,
    )

    assert response.status_code == 302 and response["Location"] == url + "?sort=recorded"
    assert "1 package of the operation cancelled" in counter.get(url, **EN).content.decode()
    states = {p.key: p.state for p in Package.objects.all()}
    assert sorted(states.values()) == [PackageState.IN_CIRCULATION, PackageState.WITHDRAWN]


def test_the_page_refuses_a_package_not_in_the_operation_and_changes_nothing(counter, pharmacy, at_pharmacy):
    batch = at_pharmacy(3)
    sale = services.packages_sell(actor=actor_for(pharmacy), codes=batch[:2])
    before = sorted(Package.objects.values_list("key", "state")), Event.objects.count()
    response = counter.post(
        reverse("traceability:operation_cancel_packages", args=[sale["event_id"]]), {"codes": batch[2]}, **EN
    )
    html = counter.get(response["Location"], **EN).content.decode()
    assert "Nothing was cancelled:" in html and "Not a package of this operation" in html
    assert (sorted(Package.objects.values_list("key", "state")), Event.objects.count()) == before
    assert not Event.objects.filter(operation=OperationType.CANCEL).exists()


def test_the_page_refuses_outside_the_window_and_changes_nothing(counter, pharmacy, at_pharmacy):
    from datetime import timedelta

    from django.utils import timezone

    batch = at_pharmacy(2)
    sale = services.packages_sell(actor=actor_for(pharmacy), codes=batch)
    Event.objects.filter(event_id=sale["event_id"]).update(record_time=timezone.now() - timedelta(days=30))
    before = sorted(Package.objects.values_list("key", "state")), Event.objects.count()
    response = counter.post(
        reverse("traceability:operation_cancel_packages", args=[sale["event_id"]]), {"codes": batch[0]}, **EN
    )
    html = counter.get(response["Location"], **EN).content.decode()
    assert "The time allowed to cancel this operation has passed." in html
    assert (sorted(Package.objects.values_list("key", "state")), Event.objects.count()) == before
