"""The regulator adds a labelling scheme in its pages and tries a code; a pharmacist's scanning
page then accepts a pack labelled in it (1280 px, headless Chromium)."""

from __future__ import annotations

from datetime import date

import pytest

from salamat.codes.checkdigit import ALGORITHMS
from salamat.core.actors import SYSTEM
from salamat.traceability import services as trace
from salamat.traceability.tests.conftest import actor_for
from salamat.traceability.tests.test_browser import assert_fits, log_in, scan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PRODUCT_CODE = "1234" + ALGORITHMS["luhn"].compute("1234")


def test_regulator_adds_a_scheme_tries_a_code_and_a_pharmacy_scans_it(
    page_at, live_server, make_org, make_user, make_product, shot
):
    from salamat.registry.labelling import services
    from salamat.registry.models import LabellingScheme

    ministry, importer, pharmacy = (
        make_org("ministry", ownership="public"),
        make_org("importer"),
        make_org("pharmacy"),
    )
    regulator, pharmacist = make_user("regulator", ministry), make_user("pharmacist", pharmacy)
    product = make_product()
    # given the regulator on the add page
    page = log_in(page_at(1280, locale="en-US"), live_server, regulator)
    page.goto("/registry/labelling-schemes/")
    # (the shipped rows may be gone: a transactional test flushes what the data migration wrote)
    assert page.locator("[data-schemes]").count() == 1
    page.get_by_role("link", name="Add a scheme").click()
    # when it fills the definition in
    page.fill("#id_code", "acme")
    page.fill("#id_name_ru", "ACME Pharma")
    page.fill("#id_prefix", "AC*")
    page.fill("#id_pattern", r"(?P<product>[0-9]{5})-(?P<serial>[A-Z0-9]{4,12})")
    page.fill("#id_checks", '{"product": "luhn"}')
    shot(page, "labelling-add-1280")
    page.get_by_role("button", name="Save").click()
    # then the scheme's page shows it, and the try box reads a code of it
    page.wait_for_url("**/registry/labelling-schemes/acme/")
    page.goto("/registry/labelling-schemes/")
    assert page.locator("[data-scheme=acme]").count() == 1
    shot(page, "labelling-list-1280")
    page.goto("/registry/labelling-schemes/acme/")
    assert LabellingScheme.objects.get(code="acme").is_active
    page.fill("#try-code", f"AC*{PRODUCT_CODE}-PACK0001")
    page.get_by_role("button", name="Try").click()
    page.wait_for_selector("[data-try-result]")
    # no product mapped yet: the reason is named
    assert "product_not_mapped" in page.locator("#try-result").inner_text()
    services.scheme_products_import(
        actor=SYSTEM,
        scheme=LabellingScheme.objects.get(code="acme"),
        text=f"code,registration_number\n{PRODUCT_CODE},{product.registration_number}\n",
    )
    page.fill("#try-code", f"AC*{PRODUCT_CODE}-PACK0001")
    page.get_by_role("button", name="Try").click()
    page.wait_for_selector("[data-try-result=ok]")
    assert page.locator("[data-key]").inner_text() == f"acme:{PRODUCT_CODE}/PACK0001"
    assert_fits(page, 1280)
    shot(page, "labelling-try-1280")
    # a bad definition is refused with its reason, on the page
    page.goto("/registry/labelling-schemes/add")
    page.fill("#id_code", "greedy")
    page.fill("#id_name_ru", "Greedy")
    page.fill("#id_pattern", r"(?P<serial>[0-9A-Za-z]{1,20})")
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("[data-error=collides_with_gs1]")
    shot(page, "labelling-refused-1280")
    assert not LabellingScheme.objects.filter(code="greedy").exists()

    # and packs labelled in it reach the pharmacy, whose scanning page accepts them
    codes = [f"AC*{PRODUCT_CODE}-PACK{i:04d}" for i in (1, 2)]
    trace.packages_introduce(actor=actor_for(importer), codes=codes, batch="B1", expiry=date(2030, 1, 31))
    sent = trace.shipment_send(actor=actor_for(importer), receiver_id=pharmacy.external_id, codes=codes)
    trace.shipment_accept(actor=actor_for(pharmacy), shipment_id=sent["shipment_id"])
    scanner = log_in(page_at(1280, locale="en-US"), live_server, pharmacist)
    scanner.goto("/trace/scan/sell/")
    scan(scanner, codes[0])
    scan(scanner, f"https://salamat.example.kg/id/acme/{PRODUCT_CODE}/PACK0002")
    scanner.wait_for_function("document.querySelectorAll('.scan-status.pending').length === 0")
    scanner.wait_for_function("document.querySelectorAll('.scan-row.ok').length === 2")
    shot(scanner, "labelling-pharmacy-scan-1280")
