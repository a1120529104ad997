"""The pharmacy counter through outages, in headless Chromium at 1280 px: the scanned list stays
on the device, is sent again by itself and is recorded exactly once; a refused code beeps and
can be left out; receiving counts against the expected list and can be finished later."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone

from salamat.traceability import services
from salamat.traceability.models import (
    Event,
    IdempotencyRecord,
    OperationType,
    Package,
    PackageState,
    Shipment,
    ShipmentStatus,
)
from salamat.traceability.tests.conftest import actor_for
from salamat.traceability.tests.test_browser import assert_fits, logged_in_page, scan
from salamat.traceability.tests.test_browser_warehouse import wait_checked

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 1280


def sync_state(page) -> str:
    return page.locator("[data-sync]").get_attribute("data-state") or ""


def test_a_sale_survives_an_outage_and_a_reload_and_is_recorded_once(
    page_at, live_server, shot, make_user, pharmacy, at_pharmacy
):
    batch = at_pharmacy(2)
    page = logged_in_page(page_at, live_server, make_user("pharmacist", pharmacy), WIDTH)
    page.goto("/trace/scan/sell/")
    for code in batch:
        scan(page, code)
    wait_checked(page, ok=2)

    # when the connection drops and the sale is submitted
    page.context.set_offline(True)
    page.get_by_role("button", name="Record the sale").click()
    page.wait_for_function("document.querySelector('[data-sync]').dataset.state === 'waiting'")

    # then the page says nothing is recorded yet and the list is kept, waiting, on the device
    assert "No connection: nothing is recorded yet" in page.locator("[data-sync]").inner_text()
    assert page.locator(".scan-row.waiting").count() == 2
    assert page.locator("[data-submit]").is_disabled()
    assert not Event.objects.filter(operation=OperationType.SELL).exists()
    assert_fits(page, WIDTH)
    shot(page, "counter-offline-waiting-1280")

    # when the connection is back but the server is still out of reach, and the page is reloaded
    sell_posts = []

    def unreachable(route):
        sell_posts.append("aborted")
        route.abort("internetdisconnected")

    page.route(
        "**/trace/scan/sell/",
        lambda route: unreachable(route) if route.request.method == "POST" else route.continue_(),
    )
    page.context.set_offline(False)
    page.reload()

    # then the list is back from the device, still waiting, and nothing is recorded
    page.wait_for_function("document.querySelector('[data-sync]').dataset.state === 'waiting'")
    assert page.locator(".scan-row").count() == 2
    assert page.locator("[data-count]").inner_text() == "2"
    assert not Event.objects.filter(operation=OperationType.SELL).exists()
    shot(page, "counter-reloaded-waiting-1280")

    # when the next resend reaches the server but its answer is lost on the way back
    page.unroute("**/trace/scan/sell/")
    lost = []

    def answer_lost(route):
        if route.request.method != "POST":
            route.continue_()
            return
        if not lost:
            lost.append(route.request.headers.get("accept"))
            route.fetch()  # the server records the sale…
            route.abort("connectionreset")  # …and the page never hears of it
            return
        route.continue_()

    page.route("**/trace/scan/sell/", answer_lost)

    # then the page sends it again by itself, with the same key, and is told it is recorded
    page.locator(".messages").wait_for(timeout=30_000)
    assert lost, "the first resend went through the lossy route"
    assert "Packages sold: 2." in page.locator(".messages").inner_text()

    # and the sale is recorded exactly once
    assert Event.objects.filter(operation=OperationType.SELL).count() == 1
    assert IdempotencyRecord.objects.count() == 1
    assert set(Package.objects.values_list("state", flat=True)) == {PackageState.WITHDRAWN}
    # the page is clean for the next customer, also after a reload
    page.reload()
    assert page.locator(".scan-row").count() == 0
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('salamat.scan:')).length") == 0
    shot(page, "counter-recorded-once-1280")


def test_scanned_codes_survive_a_reload_before_submitting(
    page_at, live_server, shot, make_user, pharmacy, at_pharmacy
):
    batch = at_pharmacy(2)
    page = logged_in_page(page_at, live_server, make_user("pharmacist", pharmacy), WIDTH)
    page.goto("/trace/scan/sell/")
    page.get_by_label("Receipt number").fill("R-77")
    for code in batch:
        scan(page, code)
    wait_checked(page, ok=2)
    page.reload()
    wait_checked(page, ok=2)
    assert page.locator("[data-count]").inner_text() == "2"
    assert page.get_by_label("Receipt number").input_value() == "R-77"
    page.get_by_role("button", name="Record the sale").click()
    page.locator(".messages").wait_for()
    event = Event.objects.get(operation=OperationType.SELL)
    assert event.package_count == 2
    assert any(t.get("id") == "R-77" for t in event.biz_transactions)  # the field came back too


def test_a_refused_code_beeps_and_can_be_left_out(
    page_at, live_server, shot, make_user, pharmacy, at_pharmacy, codes
):
    good = at_pharmacy(2)
    unknown = codes(1, start=900)[0]
    page = logged_in_page(page_at, live_server, make_user("pharmacist", pharmacy), WIDTH)
    page.goto("/trace/scan/sell/")
    for code in (good[0], unknown, good[1]):
        scan(page, code)
    wait_checked(page, ok=2)
    # the refused code made the error sound (counted on the form, where a test can read it)
    page.wait_for_function("+document.getElementById('scan-form').dataset.beeps >= 1")

    # when the list is submitted with the refused code, nothing is recorded and a way on is offered
    page.get_by_role("button", name="Record the sale").click()
    page.locator("[data-refusal]").wait_for()
    assert "Nothing was recorded: 1 code" in page.locator("[data-refusal]").inner_text()
    assert not Event.objects.filter(operation=OperationType.SELL).exists()
    assert_fits(page, WIDTH)
    shot(page, "counter-refused-offer-1280")

    # when the pharmacist chooses to remove the refused codes and go on
    page.get_by_role("button", name="Remove the refused codes and go on").click()
    page.locator(".messages").wait_for()

    # then the two good packages are sold, in one sale
    assert "Packages sold: 2." in page.locator(".messages").inner_text()
    event = Event.objects.get(operation=OperationType.SELL)
    assert event.package_count == 2
    assert Package.objects.filter(state=PackageState.WITHDRAWN).count() == 2
    shot(page, "counter-refused-left-out-1280")


def test_receiving_counts_against_the_expected_list_and_is_finished_later(
    page_at, live_server, shot, make_user, importer, pharmacy, introduced
):
    shipped = introduced(5)
    sent = services.shipment_send(
        actor=actor_for(importer), receiver_id=pharmacy.external_id, codes=shipped, invoice_number="INV-9"
    )
    shipment = Shipment.objects.get(external_id=sent["shipment_id"])
    page = logged_in_page(page_at, live_server, make_user("pharmacist", pharmacy), WIDTH)
    page.goto(f"/trace/shipments/{shipment.external_id}/receive/")
    assert page.locator("[data-expected] tbody tr").count() == 1
    assert "5" in page.locator("[data-expected] tbody tr").inner_text()

    # when two of five are scanned, the page counts them
    for code in shipped[:2]:
        scan(page, code)
    wait_checked(page, ok=2)
    assert page.locator("[data-progress]").inner_text() == "2 of 5 scanned"

    # when the count is saved to be finished later
    page.get_by_role("button", name="Save the count and finish later").click()
    page.wait_for_url("**/trace/shipments/")
    # then the inbox says a count is in progress, and coming back shows it
    assert (
        "Count in progress: 2 scanned"
        in page.locator(f'[data-shipment="{shipment.external_id}"]').inner_text()
    )
    shot(page, "counter-inbox-count-saved-1280")
    page.goto(f"/trace/shipments/{shipment.external_id}/receive/")
    wait_checked(page, ok=2)
    for code in shipped[2:4]:
        scan(page, code)
    wait_checked(page, ok=4)
    assert page.locator("[data-progress]").inner_text() == "4 of 5 scanned"

    # when accepting with one package not scanned, the pharmacist is asked first; saying no records nothing
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Accept what was scanned").click()
    page.wait_for_timeout(300)
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.SENT
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Accept what was scanned").click()
    page.locator(".messages").wait_for()
    assert asked[0].startswith("Packages not scanned: 1.")
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.ACCEPTED_WITH_DISCREPANCIES
    assert Package.objects.filter(owner=pharmacy).count() == 4
    shot(page, "counter-receive-finished-1280")


def test_operations_list_searched_by_a_scanned_code_and_one_pack_returned(
    page_at, live_server, shot, make_user, pharmacy, at_pharmacy
):
    batch = at_pharmacy(3)
    sale = services.packages_sell(actor=actor_for(pharmacy), codes=batch, receipt_number="R-5")
    page = logged_in_page(page_at, live_server, make_user("pharmacist", pharmacy), WIDTH)
    page.goto("/trace/operations/")
    row = page.locator(f'tr[data-event="{sale["event_id"]}"]')
    assert "Testomycin 1" in row.locator("[data-products]").inner_text()
    assert "× 3" in row.locator("[data-products]").inner_text()

    # when the pharmacist scans the returned pack into the search box
    page.get_by_label("Search").fill(batch[1])
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/trace/operations/?q=*")
    assert page.locator("tr[data-event]").count() == 2  # the sale and the acceptance that brought it
    assert_fits(page, WIDTH)
    shot(page, "operations-search-by-code-1280")

    # when only that pack is put back
    row = page.locator(f'tr[data-event="{sale["event_id"]}"]')
    row.locator("summary", has_text="Only some packages").click()
    row.get_by_label("Scan the packages brought back, one a line").fill(batch[1])
    shot(page, "operations-some-packages-1280")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Put these packages back").click()
    page.locator(".messages").wait_for()

    # then the page says so, the search is kept, and only that pack is back in stock
    assert "1 package of the operation cancelled" in page.locator(".messages").inner_text()
    assert "q=" in page.url
    assert Package.objects.filter(state=PackageState.IN_CIRCULATION).count() == 1
    assert Event.objects.get(event_id=sale["event_id"]).cancelled_by_id is None
    shot(page, "operations-one-pack-back-1280")

    # and the list downloads as Excel
    with page.expect_download() as download:
        page.locator("[data-export=xlsx]").click()
    assert download.value.suggested_filename.startswith("operations-")
    assert download.value.suggested_filename.endswith(".xlsx")


def test_stock_searched_sorted_and_downloaded(page_at, live_server, shot, make_user, pharmacy, at_pharmacy):
    at_pharmacy(3)
    page = logged_in_page(page_at, live_server, make_user("pharmacist", pharmacy), WIDTH)
    page.goto("/trace/stock/")
    page.get_by_label("Search").fill("testo")
    page.get_by_label("Sort").select_option("expiry")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**q=testo*")
    assert page.locator("[data-stock] tbody tr").count() == 1
    assert "3 packages in stock." in page.locator(".result-count").inner_text()
    assert_fits(page, WIDTH)
    shot(page, "stock-search-1280")
    with page.expect_download() as download:
        page.locator("[data-export=csv]").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.splitlines()[1].startswith("Testomycin 1,")
    page.get_by_label("Search").fill("nothing like it")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**q=nothing*")
    assert "Nothing in stock matches the search." in page.locator(".empty-state").inner_text()


def test_ship_page_receiver_picked_by_typing_and_invoice_dated_today(
    page_at, live_server, shot, make_user, make_org, importer, pharmacy, introduced
):
    make_org("pharmacy", name="Another Pharmacy")
    make_org("wholesaler", name="Wholesale Depot")
    batch = introduced(1)
    page = logged_in_page(page_at, live_server, make_user("warehouse_operator", importer), WIDTH)
    page.goto("/trace/scan/ship/")
    # the invoice date is today unless changed
    assert page.get_by_label("Invoice date").input_value() == timezone.localdate().isoformat()

    # when the operator types part of the receiver's name and type
    search = page.get_by_role("combobox", name="Type to search: name, type, address, tax ID")
    search.fill("pharm one")
    options = page.locator(".picker-results [role=option]")
    assert options.count() == 1
    assert (
        "Pharmacy One" in options.first.inner_text()
        and "Pharmacy" in options.first.locator("span").inner_text()
    )
    shot(page, "ship-picker-1280")
    search.press("Enter")

    # then the receiver is chosen, with its type and address shown under it
    assert page.get_by_label("Receiver").input_value() == str(pharmacy.external_id)
    assert "Pharmacy" in page.locator(".picker-detail").first.inner_text()
    search.fill("depot")
    assert page.locator(".picker-results [role=option]").count() == 1
    search.fill("nothing like this")
    assert "Nothing matches" in page.locator(".picker-results").inner_text()
    search.press("Escape")

    page.get_by_label("Invoice number").fill("INV-100")
    scan(page, batch[0])
    wait_checked(page, ok=1)
    assert_fits(page, WIDTH)
    page.get_by_role("button", name="Ship").click()
    page.locator(".messages").wait_for()
    shipment = Shipment.objects.get()
    assert (shipment.receiver_id, shipment.invoice_date) == (pharmacy.pk, timezone.localdate())


def test_introduce_page_product_picker_shows_the_inn(
    page_at, live_server, shot, make_user, importer, product
):
    page = logged_in_page(page_at, live_server, make_user("warehouse_operator", importer), WIDTH)
    page.goto("/trace/scan/introduce/")
    search = page.locator("[data-picker-search]")
    search.fill(product.inn[:5])
    first = page.locator(".picker-results [role=option]").first
    assert product.trade_name in first.inner_text() and product.inn in first.inner_text()
    search.press("Enter")
    assert page.get_by_label("Product (when the code carries no GTIN)").input_value() == str(
        product.external_id
    )
    shot(page, "introduce-product-picker-1280")


def test_stickers_page_in_the_style_of_the_others(page_at, live_server, shot, make_user, importer, product):
    page = logged_in_page(page_at, live_server, make_user("warehouse_operator", importer), WIDTH)
    page.goto("/stickers/")
    assert page.locator(".page-head h1").inner_text() == "Stickers"
    assert page.locator(".empty-state").is_visible()
    page.get_by_label("Product").select_option(label=str(product))
    page.locator("input[name=quantity]").fill("2")
    page.get_by_role("button", name="Order", exact=True).click()
    page.locator("[data-orders] tbody tr").first.wait_for()
    assert product.trade_name in page.locator("[data-orders] tbody tr").first.inner_text()
    assert_fits(page, WIDTH)
    shot(page, "stickers-1280")
