"""The dashboard's dates in the site's format, and availability by region: the searchable
product picker and the map of the regions, through the Django test client."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.urls import reverse

from salamat.dashboard.regions import legend, region_cells
from salamat.dashboard.tests.test_pages import tracked  # noqa: F401 - a fixture
from salamat.registry.models import Region

pytestmark = pytest.mark.django_db


@pytest.fixture
def regulator_client(client, make_org, make_user):
    client.force_login(make_user("regulator", make_org("ministry")))
    return client


def _chart(html: str) -> dict:
    return json.loads(
        re.search(r'<script id="tracked-data" type="application/json">(.*?)</script>', html).group(1)
    )


def test_dates_in_the_sites_format_and_the_period_kept_in_the_form(regulator_client):
    # in Russian (the default), a period chosen in the form
    html = regulator_client.get(
        reverse("dashboard:index"), {"date_from": "2026-11-01", "date_to": "2026-11-03"}
    ).content.decode()
    # the date boxes keep the period (a date box takes ISO dates and shows them the person's way)
    assert 'type="date" name="date_from" value="2026-11-01"' in html
    assert 'type="date" name="date_to" value="2026-11-03"' in html
    # the period, the table and the chart's axis read as dates do elsewhere on the site
    assert "01.11.2026 — 03.11.2026" in html
    chart = _chart(html)
    assert chart["display_labels"] == ["01.11.2026", "02.11.2026", "03.11.2026"]
    assert chart["labels"] == ["2026-11-01", "2026-11-02", "2026-11-03"]
    # with no period asked, the boxes show the default one: the last 30 days
    html = regulator_client.get(reverse("dashboard:index")).content.decode()
    today = date.today()
    assert f'name="date_to" value="{today.isoformat()}"' in html
    assert f'name="date_from" value="{(today - timedelta(days=29)).isoformat()}"' in html


def test_a_typed_name_finds_the_product_and_the_map_shades_its_regions(regulator_client, tracked):  # noqa: F811
    regulator_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = regulator_client.get(reverse("dashboard:index"), {"product_q": "dasham"}).content.decode()
    # one product matches: it is picked, and its availability shown on the map of all 9 regions
    assert "data-availability-product>Dashamycin" in html
    regions = dict(re.findall(r'data-region="(\w+)" data-level="(\d)"', html))
    assert set(regions) == set(Region.values)
    assert (regions["chuy"], regions["osh_city"], regions["naryn"]) == ("4", "4", "0")
    assert 'aria-label="Chuy Region: 1 package in stock, sites: 1"' in html
    assert "<title>Naryn Region: 0 packages in stock, sites: 0</title>" in html

    # a region chosen on the map lists where the product is there
    product = tracked["product"]
    html = regulator_client.get(
        reverse("dashboard:index"), {"product": str(product.external_id), "region": "osh_city"}
    ).content.decode()
    assert 'data-region="osh_city" data-level="4" class="lvl-4 selected" aria-current="true"' in html
    sites = re.search(r"<table class=\"responsive\" data-region-sites>(.*?)</table>", html, re.S).group(1)
    assert "Test pharmacy" in sites and sites.count("<tr>") == 2  # the header and the pharmacy


def test_the_picker_suggests_and_a_vague_name_offers_a_choice(regulator_client, tracked, make_product):  # noqa: F811
    regulator_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    make_product(trade_name="Dashavit")
    options = regulator_client.get(reverse("dashboard:product_suggestions"), {"q": "dash"}).content.decode()
    assert re.findall(r'data-label="([^"]+)"', options)[0].startswith("Dashamycin")
    assert options.count('role="option"') == 2
    assert (
        "No product matches."
        in regulator_client.get(reverse("dashboard:product_suggestions"), {"q": "zzz"}).content.decode()
    )
    assert regulator_client.get(reverse("dashboard:product_suggestions"), {"q": "d"}).content.strip() == b""

    # without scripts: a name that matches two products lists them, one that matches none says so
    html = regulator_client.get(reverse("dashboard:index"), {"product_q": "dash"}).content.decode()
    assert html.count('#availability">Dasha') == 2 and "data-region-map" not in html
    html = regulator_client.get(reverse("dashboard:index"), {"product_q": "nothing like it"}).content.decode()
    assert "No product matches “nothing like it”." in html


def test_suggestions_are_for_the_regulator_only(client, make_org, make_user):
    client.force_login(make_user("pharmacist", make_org("pharmacy")))
    assert client.get(reverse("dashboard:product_suggestions"), {"q": "dash"}).status_code == 403


def test_shades_and_legend_split_the_largest_count_in_four():
    rows = [{"region": "chuy", "packages": 100, "sites": 4}, {"region": "talas", "packages": 26, "sites": 1},
            {"region": "naryn", "packages": 25, "sites": 1}]  # fmt: skip
    levels = {c.code: c.level for c in region_cells(rows)}
    assert (levels["chuy"], levels["talas"], levels["naryn"], levels["batken"]) == (4, 2, 1, 0)
    assert legend(rows) == [
        {"level": 1, "low": 1, "high": 25}, {"level": 2, "low": 26, "high": 50},
        {"level": 3, "low": 51, "high": 75}, {"level": 4, "low": 76, "high": 100},
    ]  # fmt: skip
    assert legend([{"region": "chuy", "packages": 2, "sites": 1}]) == [
        {"level": 2, "low": 1, "high": 1}, {"level": 4, "low": 2, "high": 2},
    ]  # fmt: skip
    assert [c.code for c in region_cells([])][-2:] == ["bishkek", "osh_city"]  # cities drawn on top
