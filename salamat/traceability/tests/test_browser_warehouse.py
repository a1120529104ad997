"""Warehouse and pharmacy pages in headless Chromium, at 1280 and 360 px: introducing packages,
packing them into a box and unpacking it, receiving a shipment with discrepancies, and stock.
Codes are typed like a keyboard-wedge scanner (characters, GS separators, Enter)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from salamat.codes.checkdigit import gs1_check_digit
from salamat.codes.fast import lean_key
from salamat.traceability import services
from salamat.traceability.models import (
    Alert,
    Container,
    ContainerState,
    Event,
    OperationType,
    Package,
    PackageState,
    Shipment,
    ShipmentStatus,
    StockBalance,
)
from salamat.traceability.tests.conftest import GS, actor_for, element_string, sscc
from salamat.traceability.tests.test_browser import WIDTHS, assert_fits, logged_in_page, scan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


key_of = lean_key  # the canonical key of an element string


def wait_checked(page, ok: int) -> None:
    """Waits until every scanned code has the server's verdict and `ok` of them are legal."""
    page.wait_for_function("document.querySelectorAll('.scan-status.pending').length === 0")
    page.wait_for_function(f"document.querySelectorAll('.scan-row.ok').length === {ok}")


def row_of(page, code: str):
    """The scanned row showing `code` (GS shown as ‹GS›)."""
    return page.locator(".scan-row", has_text=code.replace(GS, "\u2039GS\u203a"))


@pytest.mark.parametrize("width", WIDTHS)
def test_introduce_page_checks_each_code_and_refuses_a_bad_submission_whole(
    page_at, live_server, shot, make_user, importer, gtin, width
):
    # given an importer's warehouse operator on the introduce page, and a product not on the registry
    unregistered = "0470000999999" + str(gs1_check_digit("0470000999999"))
    good = [
        element_string(gtin, "S000001", batch="LOT7", expiry="300630"),
        element_string(gtin, "S000002", batch="LOT7", expiry="300630"),
        element_string(gtin, "S000003", batch="LOT8", expiry="310131"),
    ]
    wrong_digit = element_string(gtin[:-1] + str((int(gtin[-1]) + 1) % 10), "S000004")
    not_registered = element_string(unregistered, "S000005")
    page = logged_in_page(page_at, live_server, make_user("warehouse_operator", importer), width)
    page.goto("/trace/scan/introduce/")

    # when codes are scanned, each shows its verdict at once: product, batch and expiry, or why not
    for code in (good[0], wrong_digit, good[1], not_registered, good[2]):
        scan(page, code)
    wait_checked(page, ok=3)
    assert page.locator(".scan-row.bad").count() == 2
    assert "Wrong check digit" in row_of(page, wrong_digit).inner_text()
    assert "The product is not registered" in row_of(page, not_registered).inner_text()
    assert "batch LOT8" in row_of(page, good[2]).inner_text()
    assert "exp. 2030-06-30" in row_of(page, good[0]).inner_text()
    assert page.locator("[data-count]").inner_text() == "5"
    assert page.locator("[data-bad]").inner_text() == "2"
    assert_fits(page, width)
    shot(page, f"trace-introduce-checked-{width}")

    # when submitted with the bad codes, nothing is written and every bad code is listed with its reason
    page.get_by_role("button", name="Introduce").click()
    page.locator("[data-refusal]").wait_for()
    assert "Nothing was recorded: 2 codes" in page.locator("[data-refusal]").inner_text()
    assert Package.objects.count() == 0
    assert Event.objects.count() == 0
    assert StockBalance.objects.count() == 0
    assert "Wrong check digit" in row_of(page, wrong_digit).inner_text()
    assert "The product is not registered" in row_of(page, not_registered).inner_text()
    wait_checked(page, ok=3)  # the others are checked again and stay legal
    assert page.locator(".scan-row.bad").count() == 2
    assert_fits(page, width)
    shot(page, f"trace-introduce-refused-{width}")

    # when the bad codes are removed and the list submitted again, the packages are introduced
    row_of(page, wrong_digit).locator("[data-remove]").click()
    row_of(page, not_registered).locator("[data-remove]").click()
    assert page.locator("[data-count]").inner_text() == "3"
    page.get_by_role("button", name="Introduce").click()
    page.locator(".messages").wait_for()
    assert "Packages introduced into circulation: 3." in page.locator(".messages").inner_text()
    packages = {p.key: p for p in Package.objects.select_related("product")}
    assert set(packages) == {key_of(c) for c in good}
    first, third = packages[key_of(good[0])], packages[key_of(good[2])]
    assert (first.batch, first.expiry) == ("LOT7", date(2030, 6, 30))
    assert (third.batch, third.expiry) == ("LOT8", date(2031, 1, 31))
    assert {(p.state, p.owner_id, p.product.gtins.first().gtin) for p in packages.values()} == {
        (PackageState.IN_CIRCULATION, importer.pk, gtin)
    }
    assert page.locator(".scan-row").count() == 0  # a fresh list for the next batch
    assert_fits(page, width)
    shot(page, f"trace-introduce-done-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_pack_into_a_box_then_unpack_it(page_at, live_server, shot, make_user, importer, introduced, width):
    # given three loose packages at the importer's warehouse
    batch = introduced(3)
    box = sscc(42)
    page = logged_in_page(page_at, live_server, make_user("warehouse_operator", importer), width)
    page.goto("/trace/scan/aggregate/")

    # when a misread box code is scanned into its field (Enter moves on to the codes), the packages
    # scanned and the list submitted, nothing is packed and the box code is what is wrong
    misread = box[:-1] + str((int(box[-1]) + 1) % 10)
    field = page.get_by_label("Box or pallet code (SSCC)")
    field.focus()
    page.keyboard.type(misread)
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "scan-input"
    for code in batch:
        scan(page, code)
    wait_checked(page, ok=3)
    assert_fits(page, width)
    shot(page, f"trace-aggregate-{width}")
    page.get_by_role("button", name="Pack").click()
    page.locator(".field-error").wait_for()
    assert "Wrong check digit" in page.locator("#scan-extra").inner_text()
    assert Container.objects.count() == 0
    assert not Event.objects.filter(operation=OperationType.AGGREGATE).exists()
    assert not Package.objects.exclude(container=None).exists()
    wait_checked(page, ok=3)
    assert_fits(page, width)
    shot(page, f"trace-aggregate-bad-box-{width}")

    # when the box code is scanned again, right this time, and the list submitted
    field.fill(box)
    page.get_by_role("button", name="Pack").click()
    page.locator(".messages").wait_for()

    # then the box exists, owned by the importer, with the three packages inside
    assert f"Packages packed into {box[2:]}: 3." in page.locator(".messages").inner_text()
    container = Container.objects.get()
    assert (container.key, container.owner_id, container.state) == (
        f"00/{box[2:]}",
        importer.pk,
        ContainerState.ACTIVE,
    )
    assert set(Package.objects.values_list("container_id", flat=True)) == {container.pk}
    shot(page, f"trace-aggregate-done-{width}")

    # when a packed package is scanned again for another box, it says where it is
    page.get_by_label("Box or pallet code (SSCC)").fill(sscc(43))
    scan(page, batch[0])
    wait_checked(page, ok=0)
    assert "Already packed in another box" in page.locator(".scan-row.bad").inner_text()

    # when the box is scanned on the unpacking page
    page.goto("/trace/scan/disaggregate/")
    scan(page, box)
    scan(page, batch[1])  # a package where a box is needed
    wait_checked(page, ok=1)
    assert "box or pallet · 3 packages inside" in page.locator(".scan-row.ok").inner_text()
    assert (
        "A package code where a box or pallet (SSCC) is needed" in page.locator(".scan-row.bad").inner_text()
    )
    page.locator(".scan-row.bad [data-remove]").click()
    assert_fits(page, width)
    shot(page, f"trace-disaggregate-{width}")
    page.get_by_role("button", name="Unpack").click()
    page.locator(".messages").wait_for()

    # then the box is dissolved and the packages are loose again, still the importer's
    assert "Packages unpacked: 3." in page.locator(".messages").inner_text()
    container.refresh_from_db()
    assert container.state == ContainerState.DISSOLVED
    assert set(Package.objects.values_list("container_id", "owner_id", "state")) == {
        (None, importer.pk, PackageState.IN_CIRCULATION)
    }
    assert_fits(page, width)
    shot(page, f"trace-disaggregate-done-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_receive_a_shipment_with_a_missing_and_an_extra_package(
    page_at, live_server, shot, make_user, importer, pharmacy, introduced, width
):
    # given four packages shipped by the importer to the pharmacy, and one more the importer kept
    shipped = introduced(4)
    kept = introduced(1, start=50)[0]
    sent = services.shipment_send(
        actor=actor_for(importer), receiver_id=pharmacy.external_id, codes=shipped, invoice_number="INV-7"
    )
    shipment = Shipment.objects.get(external_id=sent["shipment_id"])
    page = logged_in_page(page_at, live_server, make_user("pharmacist", pharmacy), width)
    page.goto("/trace/shipments/")
    page.locator(f'[data-shipment="{shipment.external_id}"]').get_by_role(
        "button", name="Scan what arrived"
    ).click()
    page.wait_for_url(f"**/trace/shipments/{shipment.external_id}/receive/")
    assert "INV-7" in page.locator(".notice").inner_text()
    assert "4 packages" in page.locator(".notice").inner_text()

    # when the pharmacist scans three of the four and a code that was not in the shipment
    missing = shipped[3]
    for code in (*shipped[:3], kept):
        scan(page, code)
    wait_checked(page, ok=3)
    assert "Not in this shipment" in row_of(page, kept).inner_text()
    assert_fits(page, width)
    shot(page, f"trace-receive-scanned-{width}")
    asked = []  # the confirmation before the unscanned package is reported missing
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Accept what was scanned").click()
    page.locator(".messages").wait_for()

    # then the three arrive at the pharmacy, the missing one is back with the importer,
    # and the regulator has one alert for the missing package and one for the extra code
    assert asked and asked[0].startswith("Packages not scanned: 1.")
    text = page.locator(".messages").inner_text()
    assert "Packages accepted: 3." in text
    assert "Missing: 1 (they stay with the sender); not in the shipment: 1." in text
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.ACCEPTED_WITH_DISCREPANCIES
    states = {p.key: (p.state, p.owner_id) for p in Package.objects.all()}
    assert states == {
        **{key_of(c): (PackageState.IN_CIRCULATION, pharmacy.pk) for c in shipped[:3]},
        key_of(missing): (PackageState.IN_CIRCULATION, importer.pk),
        key_of(kept): (PackageState.IN_CIRCULATION, importer.pk),
    }
    alerts = {a.kind: a for a in Alert.objects.all()}
    assert set(alerts) == {"shipment_missing", "shipment_extra"}
    assert alerts["shipment_missing"].codes == [key_of(missing)]
    assert alerts["shipment_missing"].organization_id == pharmacy.pk
    assert alerts["shipment_extra"].codes == [key_of(kept)]  # named by key, as the missing ones are
    assert alerts["shipment_extra"].details["shipment"] == str(shipment.external_id)
    badge = page.locator("tr", has_text="INV-7").locator(".badge")
    assert "discrepancies" in badge.inner_text().lower()
    assert_fits(page, width)
    shot(page, f"trace-receive-done-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_stock_by_product_batch_and_expiry(
    page_at, live_server, shot, make_user, make_product, importer, pharmacy, width
):
    # given a pharmacy holding two products: one in two batches, one of them expiring soon
    soon = timezone.localdate() + timedelta(days=30)
    amoxil = make_product(trade_name="Amoxicillin Long-Name Forte Retard", strength="875 mg + 125 mg")
    para = make_product(trade_name="Paracetamol", strength="500 mg")
    a_gtin, p_gtin = amoxil.gtins.get().gtin, para.gtins.get().gtin
    holdings = [
        [element_string(a_gtin, f"A{i:05d}", batch="AMX-2030-LONGBATCH", expiry="301231") for i in range(3)],
        [element_string(a_gtin, f"B{i:05d}", batch="AMX-SOON", expiry=soon.strftime("%y%m%d")) for i in range(2)],
        [element_string(p_gtin, f"P{i:05d}", batch="PAR1", expiry="290115") for i in range(4)],
    ]  # fmt: skip
    codes = [c for group in holdings for c in group]
    services.packages_introduce(actor=actor_for(importer), codes=codes)
    sent = services.shipment_send(actor=actor_for(importer), receiver_id=pharmacy.external_id, codes=codes)
    services.shipment_accept(actor=actor_for(pharmacy), shipment_id=sent["shipment_id"])
    services.packages_sell(actor=actor_for(pharmacy), codes=[holdings[2][0]])  # one sold: not in stock
    page = logged_in_page(page_at, live_server, make_user("pharmacist", pharmacy), width)

    # when the pharmacist opens the stock page
    page.goto("/trace/stock/")

    # then one row per product, batch and expiry with its count; the soon-expiring batch stands out
    rows = page.locator("[data-stock] tbody tr")
    assert rows.count() == 3
    assert "8 packages in stock." in page.locator(".result-count").inner_text()
    by_batch = {}
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td")
        by_batch[cells.nth(1).inner_text().strip()] = (
            cells.nth(0).inner_text(),
            cells.nth(2).inner_text(),
            cells.nth(3).inner_text().strip(),
            rows.nth(i).get_attribute("class") or "",
        )
    assert list(by_batch) == ["AMX-SOON", "AMX-2030-LONGBATCH", "PAR1"]  # by product, then expiry
    assert "Amoxicillin" in by_batch["AMX-SOON"][0] and "Paracetamol" in by_batch["PAR1"][0]
    assert by_batch["AMX-2030-LONGBATCH"][2] == "3"
    assert by_batch["AMX-SOON"][2] == "2"
    assert by_batch["PAR1"][2] == "3"
    assert "expiring soon" in by_batch["AMX-SOON"][1] and "expiring-soon" in by_batch["AMX-SOON"][3]
    assert "expiring soon" not in by_batch["PAR1"][1] and "expiring" not in by_batch["PAR1"][3]
    assert "2030" in by_batch["AMX-2030-LONGBATCH"][1]
    assert page.locator(".badge.warn", has_text="expiring soon").is_visible()
    assert_fits(page, width)
    shot(page, f"trace-stock-{width}")
