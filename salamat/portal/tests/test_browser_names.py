"""Issue 18, item 4 in the browser: a medicine named in the reader's language on the citizen
pages at 360 px (the check in Kyrgyz with a marked Russian fallback, where to buy found by a
Russian name with opening hours, the registry search), and on a staff page at 1280 px (stock)."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache

from salamat.registry.testing import name_in_every_language
from salamat.stickers.testing import build_world
from salamat.traceability.tests.test_browser import log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def world(make_org, make_product):
    cache.clear()
    world = build_world(make_org, make_product)
    name_in_every_language(
        world.product,
        inn_ru="амоксициллин + клавулановая кислота",
        trade_name_ru="Амоксидемо",
        trade_name_ky="Амоксидемо",
        dosage_form="film-coated tablets",
    )
    site = world.pharmacy.sites.get()
    site.opening_hours = "08:00–20:00"
    site.save()
    return world


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_citizen_pages_name_the_medicine_in_the_readers_language_at_360px(world, page_at, shot):
    page = page_at(360, locale="ky-KG")
    page.goto(f"/check?code={world.keys['genuine']}")
    page.wait_for_selector('[data-verdict="genuine"]')
    assert (
        page.locator('[data-name="dosage_form"]').inner_text() == "плёнка кабыгы менен капталган таблеткалар"
    )
    # No Kyrgyz INN in the registry yet: the Russian one, visibly marked.
    assert page.locator('[data-name="inn"]').inner_text() == "амоксициллин + клавулановая кислота RU"
    assert page.locator('[data-name="inn"] .name-fallback').is_visible()
    _fits(page)
    shot(page, "names-check-ky-360")

    page = page_at(360, locale="ru-RU")
    page.goto("/where")
    page.fill("#id_q", "АМОКСИЦИЛЛИН")
    page.click(".where-form button[type=submit]")
    page.wait_for_selector("[data-pharmacy]")
    assert page.locator('[data-name="trade_name"]').first.inner_text() == "Амоксидемо"
    assert page.locator("[data-hours]").first.inner_text().endswith("08:00–20:00")
    _fits(page)
    shot(page, "names-where-ru-360")

    page.goto("/registry/products/?q=амоксициллин")
    assert page.locator("#results").get_by_text("Амоксидемо").is_visible()
    _fits(page)
    shot(page, "names-registry-search-ru-360")
    page.locator("#results").get_by_text("Амоксидемо").click()
    page.wait_for_selector('h1[data-name="trade_name"]')
    assert page.locator('dd[data-name="inn"]').inner_text() == (
        "амоксициллин + клавулановая кислота (amoxicillin + clavulanic acid)"
    )
    _fits(page)
    shot(page, "names-product-detail-ru-360")


def test_stock_names_the_medicine_in_russian_at_1280px(world, page_at, live_server, make_user, shot):
    page = log_in(page_at(1280), live_server, make_user("pharmacist", world.pharmacy))
    page.context.add_cookies(
        [{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": "ru", "url": live_server.url}]
    )
    page.goto("/trace/stock/")
    assert page.get_by_text("Амоксидемо").first.is_visible()
    shot(page, "names-stock-ru-1280")
