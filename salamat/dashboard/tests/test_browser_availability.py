"""The dashboard in headless Chromium at 1280 px, in Russian: dates in the site's format, a
product found by typing in the picker, the map of the regions shaded by availability, a region
chosen on the map; and the map read by its titles."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from salamat.dashboard.tests.test_pages import tracked  # noqa: F401 - a fixture
from salamat.registry.models import Region

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _russian_page(page_at, live_server, user):
    """A browser in Russian with the user's session (the site speaks Russian by default)."""
    client = Client()
    client.force_login(user)
    page = page_at(1280, locale="ru-RU")
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
          "url": live_server.url}]
    )  # fmt: skip
    return page


def test_availability_picker_and_map(page_at, live_server, shot, make_user, make_org, tracked):  # noqa: F811
    page = _russian_page(page_at, live_server, make_user("regulator", make_org("ministry")))
    page.goto("/dashboard/?date_from=2026-11-01&date_to=2026-11-03")

    # the period reads as dates do on the rest of the site, and the date boxes keep it
    assert "01.11.2026 — 03.11.2026" in page.locator("section.panel").first.inner_text()
    assert page.locator("#id_date_from").input_value() == "2026-11-01"
    page.locator("#tracked-chart[data-rendered]").wait_for(state="attached")
    ticks = page.evaluate("window.salamatTrackedChart.data.labels")
    assert ticks == ["01.11.2026", "02.11.2026", "03.11.2026"]

    # when the regulator types part of a name, the picker suggests the product; Enter picks it
    picker = page.locator("[data-picker-input]")
    picker.fill("dasham")
    option = page.locator("[data-picker-options] [role=option]").first
    option.wait_for()
    assert option.inner_text().startswith("Dashamycin")
    shot(page, "dashboard-picker-1280")
    picker.press("ArrowDown")
    assert option.get_attribute("aria-selected") == "true"
    picker.press("Enter")
    page.locator("[data-region-map]").wait_for()

    # then the map shows all the regions, shaded by sellable packages, each with its title
    assert page.locator("[data-availability-product]").inner_text().startswith("Dashamycin")
    assert page.locator("[data-region-map] a").count() == len(Region.values) == 9
    chuy = page.locator('[data-region="chuy"]')
    assert chuy.get_attribute("aria-label") == "Чуйская область: 1 упаковка в наличии, мест: 1"
    assert page.locator('[data-region="naryn"]').get_attribute("data-level") == "0"
    fill = chuy.locator("path").evaluate("el => getComputedStyle(el).fill")
    empty = page.locator('[data-region="naryn"] path').evaluate("el => getComputedStyle(el).fill")
    assert fill != empty
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.locator("#availability").scroll_into_view_if_needed()
    shot(page, "dashboard-map-1280")

    # when Osh city is chosen on the map, its pharmacies with the product are listed
    page.locator('[data-region="osh_city"] circle').click()
    page.locator("[data-region-sites]").wait_for()
    assert page.locator("[data-region-title]").inner_text() == "город Ош"
    assert page.locator('[data-region="osh_city"]').get_attribute("aria-current") == "true"
    assert "Test pharmacy" in page.locator("[data-region-sites]").inner_text()
    assert page.locator('tr[data-region-row="osh_city"]').get_attribute("class") == "selected"
    page.locator("#availability").scroll_into_view_if_needed()
    shot(page, "dashboard-map-region-1280")


def test_the_series_is_exact_when_read_and_says_nothing_about_counting(
    page_at,
    live_server,
    shot,
    make_user,
    make_org,
    tracked,  # noqa: F811 - the fixture
):
    # The daily counters plus the deltas not folded yet: the page is exact whenever it is read,
    # so it no longer says when the counters were last counted (it did while they were recounted).
    from salamat.traceability import daily

    daily.summarise()
    page = _russian_page(page_at, live_server, make_user("regulator", make_org("ministry")))
    page.goto("/dashboard/")
    page.locator("#tracked-chart[data-rendered]").wait_for(state="attached")
    assert page.locator("[data-counted-at]").count() == 0
    assert "пересчитываются" not in page.locator("main").inner_text()
    shot(page, "dashboard-series-exact-1280")
