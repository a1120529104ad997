"""The stickers page at 1280 px in Russian (issue 18, items 4 and 7): the product named in
Russian, and the PDF downloaded from it saying batch, expiry and where to check, its code the
sticker's https link."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings as django_settings

from salamat.codes import sticker_url
from salamat.registry.testing import name_in_every_language
from salamat.stickers import selectors, services
from salamat.stickers.testing import EXPIRY, actor_for, decode_png, pdf_page_png
from salamat.stickers.tests.test_labels import pdf_text
from salamat.traceability.tests.test_browser import log_in

pytestmark = pytest.mark.browser


def test_stickers_page_names_the_product_in_russian_and_prints_full_labels(
    page_at, live_server, make_org, make_product, make_user, shot
):
    importer = make_org("importer", name="Importer LLC")
    product = make_product(trade_name="Amoxidemo", strength="625 mg", inn="amoxicillin")
    name_in_every_language(product, trade_name_ru="Амоксидемо", dosage_form="капсулы")
    order = services.sticker_order_create(
        actor=actor_for(importer), quantity=2, product_id=product.external_id, batch="B42", expiry=EXPIRY
    )
    page = log_in(page_at(1280), live_server, make_user("warehouse_operator", importer))
    page.context.add_cookies(
        [{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": "ru", "url": live_server.url}]
    )
    page.goto("/stickers/")
    row = page.locator("tbody tr").first
    # the orders table names the product in Russian, its batch beneath it
    assert "Амоксидемо 625 mg капсулы" in row.inner_text() and "B42" in row.inner_text()
    assert "Амоксидемо 625 mg капсулы" in page.locator("#id_product").inner_text()
    shot(page, "stickers-names-ru-1280")
    with page.expect_download() as info:
        row.get_by_role("link").first.click()
    body = Path(info.value.path()).read_bytes()
    text = pdf_text(body)
    assert text.count("Серия B42") == 2 and text.count(f"Годен до {EXPIRY:%d.%m.%Y}") == 2
    assert text.count("Проверить на") == 2
    serials = selectors.order_serials(order=order)
    assert sorted(decode_png(pdf_page_png(body))) == sorted(
        sticker_url(s, django_settings.PUBLIC_BASE_URL) for s in serials
    )
