"""In a real browser at 360 px: every verdict (typed code and a photo of a printed sticker), the
report form and where to buy. Screenshots go to var/screenshots/check-*.png for people to look at."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache
from PIL import Image

from salamat.codes import sticker_url
from salamat.stickers import pdf
from salamat.stickers.testing import build_world, pdf_page_png
from salamat.traceability.models import Alert
from salamat.web.testing import camera_scene, datamatrix_image

pytestmark = pytest.mark.browser

VERDICTS = [
    "genuine",
    "already_sold",
    "recalled",
    "expired",
    "not_tracked",
    "unknown",
    "sticker_not_in_circulation",
]


@pytest.fixture
def world(make_org, make_product):
    cache.clear()
    return build_world(make_org, make_product)


def _no_horizontal_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_each_verdict_by_typed_code(world, page_at, shot):
    page = page_at(360, locale="ru-RU")
    page.goto("/check")
    shot(page, "check-start")
    for verdict in VERDICTS:
        page.goto("/check")
        page.fill("#code", world.keys[verdict])
        page.click(".code-form button[type=submit]")
        page.wait_for_selector(f'[data-verdict="{verdict}"]')
        _no_horizontal_scroll(page)
        shot(page, f"check-{verdict}")
    page.goto("/check")
    page.fill("#code", world.keys["genuine"].lower())  # typed casually: still found
    page.click(".code-form button[type=submit]")
    page.wait_for_selector('[data-verdict="genuine"]')
    assert page.get_by_text("Dari-Darmek No. 5").count() == 1


def test_verdict_in_kyrgyz_and_english(world, page_at, shot):
    for locale, name in (("ky-KG", "ky"), ("en-US", "en")):
        page = page_at(360, locale=locale)
        page.goto(f"/p/{world.keys['already_sold']}")
        page.wait_for_selector('[data-verdict="already_sold"]')
        shot(page, f"check-already_sold-{name}")


def test_photo_of_a_printed_sticker(world, page_at, shot, tmp_path):
    body = pdf.render_stickers(serials=[world.keys["genuine"]], layout="a4_3x8", base_url=settings.PUBLIC_BASE_URL,
                               label_text="Amoxidemo 625 mg")  # fmt: skip
    photo = tmp_path / "sticker.png"
    photo.write_bytes(pdf_page_png(body, dpi=150))
    page = page_at(360)
    page.goto("/check")
    page.set_input_files("#photo", str(photo))
    page.click(".photo-form button[type=submit]")
    page.wait_for_selector('[data-verdict="genuine"]')
    shot(page, "check-photo-genuine")


def test_report_a_suspicion(world, page_at, shot, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    page = page_at(360, locale="ru-RU")
    page.goto(f"/check?code={world.keys['already_sold']}")
    page.click("details.report summary")
    page.check("input[name=problem][value=counterfeit]")
    page.fill("input[name=where_bought]", "Ош базары, киоск 12")
    page.fill("input[name=phone]", "+996 555 123 456")
    shot(page, "check-report-form")
    page.click("details.report button[type=submit]")
    page.wait_for_selector("[data-reported]")
    shot(page, "check-report-sent")
    alert = Alert.objects.get(kind="citizen_report")
    assert alert.details["where_bought"] == "Ош базары, киоск 12"


def test_where_to_buy(world, page_at, shot):
    page = page_at(360, locale="ru-RU")
    page.goto("/where")
    page.fill("input[name=q]", "Amoxi")
    page.select_option("select[name=region]", "bishkek")
    page.click(".where-form button[type=submit]")
    page.wait_for_selector(".pharmacies li")
    assert page.get_by_text("Dari-Darmek No. 5").count() == 1
    _no_horizontal_scroll(page)
    shot(page, "check-where-to-buy")


# --- the camera: where the browser's BarcodeDetector cannot read DataMatrix (iPhone Safari,
# Firefox, desktop Chrome), the vendored zxing-wasm reads the frames ------------------------------

NO_DETECTOR = "delete window.BarcodeDetector;"


@pytest.mark.parametrize("kind", ["sticker", "gs1"])
def test_camera_reads_a_code_without_barcode_detector(world, camera_page_at, live_server, kind):
    if kind == "sticker":  # the sticker's DataMatrix holds its check URL
        code, verdict = sticker_url(world.keys["genuine"], settings.PUBLIC_BASE_URL), "genuine"
    else:  # a manufacturer's GS1 DataMatrix: GS after the batch (not registered here)
        code, verdict = f"01{world.product.gtins.get().gtin}10B1\x1d21NOSUCH1", "unknown"
    page = camera_page_at(camera_scene(datamatrix_image(code)), 360, init_script=NO_DETECTOR)
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/check")
    page.wait_for_load_state("networkidle")
    assert not [url for url in requested if "zxing" in url]
    page.click("[data-scan]")
    page.wait_for_selector(f'[data-verdict="{verdict}"]')
    assert "zxing_reader.wasm" in " ".join(requested)
    assert all(url.startswith(live_server.url) for url in requested)
    if kind == "gs1":
        assert "10B1%1D21NOSUCH1" in page.url  # the GS separator reached the server


def test_camera_screens(world, camera_page_at, page_at, shot):
    page = camera_page_at(camera_scene(Image.new("RGB", (150, 150), "white")), 360, init_script=NO_DETECTOR)
    page.goto("/check")
    shot(page, "check-camera-button")
    page.click("[data-scan]")
    page.wait_for_selector("[data-scanner][data-detector=zxing]")
    assert page.locator("[data-scan-status]").inner_text() == "Наведите камеру на квадратный код на упаковке."
    _no_horizontal_scroll(page)
    shot(page, "check-camera-open")
    page.click("[data-scan-stop]")
    assert page.locator("[data-scanner]").is_hidden() and page.locator("[data-scan]").is_visible()

    # a camera the browser may not use: said plainly, typing still possible
    page = page_at(360)
    page.add_init_script(
        "navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('denied', 'NotAllowedError'));"
    )
    page.goto("/check")
    page.click("[data-scan]")
    page.locator("[data-scan-status][role=alert]").wait_for()
    assert (
        page.locator("[data-scan]").is_visible() and page.locator("[data-scan-stop]").is_hidden()
    )  # try again
    shot(page, "check-camera-refused")
