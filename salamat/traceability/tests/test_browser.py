"""Scanning pages, the shipment inbox and the dashboard chart in headless Chromium,
typed like a keyboard-wedge scanner (characters, GS separators, Enter), at 1280 and 360 px."""

from __future__ import annotations

import json
import re

import pytest
from django.conf import settings as django_settings
from PIL import Image

from salamat.traceability import services
from salamat.traceability.models import Package, PackageState, Shipment
from salamat.traceability.tests.conftest import GS, actor_for
from salamat.web.testing import camera_scene, datamatrix_image

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [1280, 360]


def logged_in_page(page_at, live_server, user, width):
    """A browser page with the user's session (logged in through the Django test client)."""
    return log_in(page_at(width, locale="en-US"), live_server, user)


def log_in(page, live_server, user):
    """Gives `page` the user's session, in English."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
          "url": live_server.url}]
    )  # fmt: skip
    page.context.add_cookies(
        [{"name": django_settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
    )
    return page


def scan(page, code: str) -> None:
    """Types a code as a wedge scanner does: its characters (GS included) and Enter."""
    field = page.locator("#scan-input")
    field.focus()
    for i, part in enumerate(code.split(GS)):
        if i:
            page.keyboard.insert_text(GS)
        page.keyboard.type(part)
    page.keyboard.press("Enter")


def assert_fits(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", WIDTHS)
def test_sell_page_with_a_wedge_scanner(
    page_at, live_server, shot, make_user, pharmacy, at_pharmacy, codes, width
):
    good = at_pharmacy(2)
    sold = at_pharmacy(1, start=40)[0]
    services.packages_sell(actor=actor_for(pharmacy), codes=[sold])
    unknown = codes(1, start=900)[0]
    page = logged_in_page(page_at, live_server, make_user("pharmacist", pharmacy), width)
    page.goto("/trace/scan/sell/")

    # when codes are scanned, each is checked at once
    for code in (good[0], sold, unknown, good[1], good[0]):
        scan(page, code)
    page.wait_for_function("document.querySelectorAll('.scan-status.pending').length === 0")
    page.wait_for_function("document.querySelectorAll('.scan-row.ok').length === 2")
    assert page.locator(".scan-row.ok").count() == 2
    assert page.locator(".scan-row.bad").count() == 2
    assert page.locator(".scan-row.dup").count() == 1  # the second scan of good[0]
    assert page.locator("[data-count]").inner_text() == "4"
    assert "Already sold" in page.locator(".scan-list").inner_text()
    assert "Never introduced" in page.locator(".scan-list").inner_text()
    # the GS characters the scanner sent are still in the codes to submit
    values = page.eval_on_selector_all("input[name=codes]", "els => els.map(e => e.value).filter(Boolean)")
    assert good[0] in values and all(GS in v for v in values)
    assert_fits(page, width)
    shot(page, f"trace-sell-checked-{width}")

    # when submitted with the bad codes, nothing is recorded and each bad code is marked
    page.get_by_role("button", name="Record the sale").click()
    page.locator("[data-refusal]").wait_for()
    assert "Nothing was recorded: 2 codes" in page.locator("[data-refusal]").inner_text()
    assert page.locator(".scan-row.bad").count() == 2
    assert Package.objects.filter(state=PackageState.IN_CIRCULATION).count() == 2
    shot(page, f"trace-sell-refused-{width}")

    # when the bad codes are removed and the list submitted again, the sale is recorded
    for _ in range(2):
        page.locator(".scan-row.bad [data-remove]").first.click()
    assert page.locator("[data-count]").inner_text() == "2"
    page.get_by_role("button", name="Record the sale").click()
    page.locator(".messages").wait_for()
    assert "Packages sold: 2." in page.locator(".messages").inner_text()
    assert Package.objects.filter(state=PackageState.WITHDRAWN).count() == 3
    assert_fits(page, width)
    shot(page, f"trace-sell-done-{width}")


# --- the camera: BarcodeDetector where it reads DataMatrix, else the vendored zxing-wasm -----------

NO_DETECTOR = "delete window.BarcodeDetector;"
# A BarcodeDetector that cannot read DataMatrix (as some desktop builds): the fallback must run.
QR_ONLY_DETECTOR = """
window.BarcodeDetector = class { constructor() {} static getSupportedFormats() { return Promise.resolve(["qr_code"]); }
  detect() { return Promise.resolve([]); } };
"""


def native_detector(raw: str) -> str:
    """A BarcodeDetector that reads DataMatrix and sees `raw` in every frame."""
    return (
        "window.BarcodeDetector = class { constructor(o) { this.formats = o.formats; }"
        ' static getSupportedFormats() { return Promise.resolve(["data_matrix", "qr_code", "ean_13"]); }'
        f' detect() {{ return Promise.resolve([{{rawValue: {json.dumps(raw)}, format: "data_matrix"}}]); }} }};'
    )


def is_zxing(url: str) -> bool:
    return "zxing" in url


@pytest.mark.parametrize(
    "detector", [NO_DETECTOR, QR_ONLY_DETECTOR], ids=["no-barcode-detector", "no-data-matrix"]
)
def test_camera_reads_a_gs1_datamatrix_without_barcode_detector(
    camera_page_at, live_server, shot, make_user, pharmacy, at_pharmacy, detector
):
    # given a package at the pharmacy whose GS1 DataMatrix the phone films
    code = at_pharmacy(1)[0]
    assert GS in code
    page = camera_page_at(camera_scene(datamatrix_image(code)), 360, locale="en-US", init_script=detector)
    log_in(page, live_server, make_user("pharmacist", pharmacy))
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/trace/scan/sell/")
    page.wait_for_load_state("networkidle")
    assert not [url for url in requested if is_zxing(url)], (
        "the decoder is fetched only when the camera opens"
    )
    if detector == NO_DETECTOR:
        shot(page, "trace-camera-button-360")

    # when the camera is opened
    page.locator("[data-camera]").click()

    # then the fallback decoder, fetched from this site only, reads the code into the running list
    # and the server's verdict, exactly as for a code typed by a wedge scanner
    page.wait_for_selector("[data-camera-dialog][data-detector=zxing]")
    page.wait_for_selector(".scan-row.ok")
    assert page.eval_on_selector_all("input[name=codes]", "els => els.map(e => e.value)") == [code]
    assert page.locator("[data-count]").inner_text() == "1"
    assert [url for url in requested if is_zxing(url)] == [
        live_server.url + "/static/vendor/zxing-wasm/zxing_reader.js",
        live_server.url + "/static/vendor/zxing-wasm/zxing_reader.wasm",
    ]
    assert all(url.startswith(live_server.url) for url in requested)
    # the dialog shows the last code read with its verdict; the code stays in view: added once
    page.wait_for_selector("[data-camera-last].ok .scan-status.ok")
    assert "\u2039GS\u203a" in page.locator("[data-camera-last] .scan-code").inner_text()
    page.wait_for_timeout(1500)
    assert page.locator(".scan-row").count() == 1
    assert_fits(page, 360)
    shot(page, "trace-camera-read-360")

    # when the camera is closed and the list submitted, the sale is recorded
    page.get_by_role("button", name="Close the camera").click()
    page.get_by_role("button", name="Record the sale").click()
    page.locator(".messages").wait_for()
    assert "Packages sold: 1." in page.locator(".messages").inner_text()
    assert Package.objects.get().state == PackageState.WITHDRAWN


def test_camera_reads_an_already_sold_code_and_shows_why(
    camera_page_at, live_server, shot, make_user, pharmacy, at_pharmacy
):
    sold = at_pharmacy(1)[0]
    services.packages_sell(actor=actor_for(pharmacy), codes=[sold])
    page = camera_page_at(
        camera_scene(datamatrix_image(sold), angle=-35), 360, locale="en-US", init_script=NO_DETECTOR
    )
    log_in(page, live_server, make_user("pharmacist", pharmacy))
    page.goto("/trace/scan/sell/")
    page.locator("[data-camera]").click()
    page.wait_for_selector("[data-camera-last].bad [data-reason]")
    assert "Already sold" in page.locator("[data-camera-last]").inner_text()
    assert page.eval_on_selector_all("input[name=codes]", "els => els.map(e => e.value)") == [sold]
    shot(page, "trace-camera-sold-360")
    page.keyboard.press("Escape")  # the dialog closes, the row stays with its verdict
    assert "Already sold" in page.locator(".scan-row.bad").inner_text()


def test_camera_uses_the_browsers_barcode_detector_when_it_reads_datamatrix(
    camera_page_at, live_server, make_user, pharmacy, at_pharmacy
):
    code = at_pharmacy(1)[0]
    page = camera_page_at(camera_scene(Image.new("RGB", (120, 120), "white")), 360, locale="en-US",
                          init_script=native_detector(code))  # fmt: skip
    log_in(page, live_server, make_user("pharmacist", pharmacy))
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/trace/scan/sell/")
    page.locator("[data-camera]").click()
    page.wait_for_selector("[data-camera-dialog][data-detector=native]")
    page.wait_for_selector(".scan-row.ok")
    assert page.eval_on_selector_all("input[name=codes]", "els => els.map(e => e.value)") == [code]
    assert not [url for url in requested if is_zxing(url)]


def test_camera_refused_says_so(page_at, live_server, shot, make_user, pharmacy):
    page = logged_in_page(page_at, live_server, make_user("pharmacist", pharmacy), 360)
    page.add_init_script(
        "navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('denied', 'NotAllowedError'));"
    )
    page.goto("/trace/scan/sell/")
    page.locator("[data-camera]").click()
    status = page.locator("[data-camera-status]")
    status.filter(has_text="not allowed to use the camera").wait_for()
    assert status.get_attribute("role") == "alert"
    assert page.locator("[data-camera-video]").is_hidden()
    shot(page, "trace-camera-refused-360")
    page.get_by_role("button", name="Close the camera").click()
    assert page.locator("#scan-input").is_visible()


@pytest.mark.parametrize("width", WIDTHS)
def test_ship_then_inbox_accept(page_at, live_server, shot, make_user, importer, pharmacy, introduced, width):
    batch = introduced(3)
    page = logged_in_page(page_at, live_server, make_user("warehouse_operator", importer), width)
    page.goto("/trace/scan/ship/")
    page.get_by_label("Receiver").select_option(label=str(pharmacy))
    page.get_by_label("Invoice number").fill("INV-42")
    page.get_by_label("Invoice date").fill("2025-03-01")
    for code in batch:
        scan(page, code)
    page.wait_for_function("document.querySelectorAll('.scan-row.ok').length === 3")
    assert_fits(page, width)
    shot(page, f"trace-ship-{width}")
    page.get_by_role("button", name="Ship").click()
    page.locator(".messages").wait_for()
    assert Shipment.objects.get().invoice_number == "INV-42"

    # the pharmacist sees it in the inbox and accepts it whole
    page2 = logged_in_page(page_at, live_server, make_user("pharmacist", pharmacy), width)
    page2.goto("/trace/shipments/")
    row = page2.locator("[data-incoming] tbody tr")
    assert "INV-42" in row.inner_text()
    assert_fits(page2, width)
    shot(page2, f"trace-inbox-{width}")
    row.get_by_role("button", name="Accept whole").click()
    page2.locator(".messages").wait_for()
    assert "accepted, packages: 3." in page2.locator(".messages").inner_text()
    assert Shipment.objects.get().status == "accepted"
    assert Package.objects.filter(owner=pharmacy).count() == 3
    shot(page2, f"trace-inbox-accepted-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_dashboard_chart_renders_and_table_matches(
    page_at, live_server, shot, make_user, make_org, at_pharmacy, pharmacy, width
):
    batch = at_pharmacy(3)
    services.packages_sell(actor=actor_for(pharmacy), codes=batch[:1])
    page = logged_in_page(page_at, live_server, make_user("regulator", make_org("ministry")), width)
    page.goto("/dashboard/")
    page.wait_for_function("document.getElementById('tracked-chart').dataset.rendered === '1'")
    box = page.locator("#tracked-chart").bounding_box()
    assert box["width"] > 200 and box["height"] > 150
    # the canvas has pixels drawn on it
    drawn = page.evaluate(
        "(() => { const c = document.getElementById('tracked-chart'); const d = c.getContext('2d')"
        ".getImageData(0, 0, c.width, c.height).data; let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; })()"
    )
    assert drawn > 1000
    chart_total = page.evaluate("window.salamatTrackedChart.data.datasets[0].data.reduce((a, b) => a + b, 0)")
    assert chart_total == Package.objects.count() == 3
    page.locator("details summary", has_text="Numbers per day").click()
    last = page.locator("[data-series] tbody tr").last
    assert re.search(r"\b2\b", last.locator("td").nth(3).inner_text())
    assert page.locator("[data-total=in_circulation]").inner_text() == str(
        Package.objects.filter(state=PackageState.IN_CIRCULATION).count()
    )
    assert_fits(page, width)
    shot(page, f"trace-dashboard-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_recent_operations_cancel_a_mistaken_sale(
    page_at, live_server, shot, make_user, pharmacy, at_pharmacy, width
):
    batch = at_pharmacy(2)
    sale = services.packages_sell(actor=actor_for(pharmacy), codes=batch, receipt_number="R-1")
    user = make_user("pharmacist", pharmacy)
    page = logged_in_page(page_at, live_server, user, width)
    page.goto(f"{live_server.url}/trace/operations/")
    row = page.locator(f'tr[data-event="{sale["event_id"]}"]')
    assert "Sale" in row.inner_text()
    assert_fits(page, width)
    shot(page, f"operations-{width}")
    page.once("dialog", lambda dialog: dialog.accept())  # the confirmation
    row.get_by_role("button", name="Cancel").click()
    page.wait_for_selector(".messages")
    assert "Operation cancelled; packages restored: 2." in page.locator(".messages").inner_text()
    assert "Already cancelled" in page.locator(f'tr[data-event="{sale["event_id"]}"]').inner_text()
    assert set(Package.objects.values_list("state", flat=True)) == {PackageState.IN_CIRCULATION}
    assert_fits(page, width)
    shot(page, f"operations-cancelled-{width}")
