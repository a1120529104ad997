"""At 360 px: the check's finer answers (issue 18, items 1-3 and 6) — a typo, a product barcode,
a package still at the importer, a recent sale, and where to buy with phone and map links."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from salamat.stickers import services as stickers
from salamat.stickers.testing import actor_for, build_world

pytestmark = pytest.mark.browser


@pytest.fixture
def world(make_org, make_product):
    cache.clear()
    return build_world(make_org, make_product)


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_the_finer_answers_at_360px(world, page_at, shot):
    stickers.stickers_apply(actor=actor_for(world.importer), serials=[world.keys["spare"]])
    world.pharmacy.phone = "+996 312 123 456"
    world.pharmacy.save()
    page = page_at(360, locale="ru-RU")
    serial = world.keys["genuine"]
    typo = serial[:-1] + ("A" if serial[-1] != "A" else "B")
    cases = [
        (typo, "check-typo", "unknown"),
        (world.product.gtins.get().gtin[1:], "check-product-barcode", "unknown"),
        (world.keys["spare"], "check-at-importer", "genuine"),
        (world.keys["already_sold"], "check-sold-recently", "already_sold"),
    ]
    for code, name, verdict in cases:
        page.goto("/check")
        page.fill("#code", code)
        page.click(".code-form button[type=submit]")
        page.wait_for_selector(f'[data-verdict="{verdict}"]')
        _fits(page)
        shot(page, name)
    page.goto(f"/check?code={typo}")
    assert page.locator("#code").input_value() == typo  # the box keeps what was typed
    assert "символ" in page.locator(".verdict h1").inner_text()
    page.goto(f"/check?code={world.keys['spare']}")
    assert page.locator("[data-stage=importer]").inner_text().startswith("На складе импортёра")
    page.goto("/where?q=amoxicillin")
    pharmacy = page.locator("[data-pharmacy]").first
    assert pharmacy.locator("[data-phone]").get_attribute("href") == "tel:+996312123456"
    assert (
        pharmacy.locator("[data-map]")
        .get_attribute("href")
        .startswith("https://www.openstreetmap.org/search")
    )
    _fits(page)
    shot(page, "check-where-contacts")
