"""The citizen check: verdicts, the public API, rate limit, check log, reports, uploads, where to buy."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import override_settings
from PIL import Image

from salamat.portal.models import CheckLog
from salamat.stickers.testing import build_world
from salamat.traceability.models import Alert

pytestmark = pytest.mark.django_db

VERDICTS = [
    "genuine",
    "already_sold",
    "recalled",
    "expired",
    "not_tracked",
    "unknown",
    "sticker_not_in_circulation",
]


@pytest.fixture(autouse=True)
def _fresh_cache():
    from salamat.core import ratelimit

    cache.clear()
    ratelimit.forget()
    yield
    cache.clear()


@pytest.fixture
def world(make_org, make_product):
    return build_world(make_org, make_product)


def _png(size=(64, 64)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "white").save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("verdict", VERDICTS)
def test_public_api_gives_each_verdict(world, client, verdict):
    got = client.get(
        "/api/public/check", {"code": world.keys[verdict], "region": "bishkek"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert got.status_code == 200, got.content
    body = got.json()
    assert body["verdict"] == verdict
    assert body["title"] and body["advice"] and body["tone"] in {"ok", "warning", "danger", "info"}
    log = CheckLog.objects.latest("id")
    assert (log.verdict, log.channel, log.region) == (verdict, "api", "bishkek")


def test_genuine_answer_shows_the_product_and_the_pharmacy_and_no_other_codes(world, client):
    body = client.get("/api/public/check", {"code": world.keys["genuine"]}).json()
    assert body["product"]["trade_name"] == "Amoxidemo"
    assert body["product"]["registration_number"].startswith("KG-TEST")
    assert body["batch"] == "B42" and body["expiry"] == "2030-12-31"
    assert body["holder"]["name"] == "Dari-Darmek No. 5"
    text = str(body)
    for other in ("already_sold", "recalled", "expired", "unused"):
        assert world.keys[other] not in text


def test_sold_package_does_not_name_a_holder(world, client):
    assert client.get("/api/public/check", {"code": world.keys["already_sold"]}).json()["holder"] is None


def test_languages(world, client):
    ru = client.get("/api/public/check", {"code": world.keys["recalled"]}, HTTP_ACCEPT_LANGUAGE="ru").json()
    ky = client.get("/api/public/check", {"code": world.keys["recalled"]}, HTTP_ACCEPT_LANGUAGE="ky").json()
    en = client.get("/api/public/check", {"code": world.keys["recalled"]}, HTTP_ACCEPT_LANGUAGE="en").json()
    assert len({ru["title"], ky["title"], en["title"]}) == 3


def test_unreadable_input_is_logged_as_a_hash_never_as_text(world, client):
    client.get("/api/public/check", {"code": "my name is Aida"})
    log = CheckLog.objects.latest("id")
    assert log.verdict == "unknown" and log.key.startswith("sha256:") and "Aida" not in log.key


@override_settings(SALAMAT={"PUBLIC_RATE_LIMIT": 3, "PUBLIC_RATE_WINDOW_SECONDS": 60, "CHECK_LOG_BATCH": 1})
def test_rate_limit_answers_429_with_retry_after(world, client, monkeypatch):
    # The clock stands still mid-window: four requests can never straddle two windows.
    from salamat.core import ratelimit

    now = time.time()
    monkeypatch.setattr(ratelimit, "_clock", lambda: now - now % 60 + 30)
    for _ in range(3):
        assert client.get("/api/public/check", {"code": world.keys["genuine"]}).status_code == 200
    got = client.get("/api/public/check", {"code": world.keys["genuine"]})
    assert got.status_code == 429
    assert got.json()["code"] == "rate_limited"
    assert 1 <= int(got["Retry-After"]) <= 60
    page = client.get("/check", {"code": world.keys["genuine"]})
    assert page.status_code == 429 and page["Retry-After"]
    other = client.get("/api/public/check", {"code": world.keys["genuine"]}, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 200  # per client address


def test_public_api_skips_sessions_and_csrf(world, client):
    got = client.get("/api/public/check", {"code": world.keys["genuine"]})
    assert "Set-Cookie" not in got.headers and "Vary" not in got.headers
    assert got["Access-Control-Allow-Origin"] == "*"


def test_public_api_validation_and_docs(client):
    assert client.get("/api/public/check").status_code == 422
    schema = client.get("/api/public/openapi.json").json()
    assert {"/api/public/check", "/api/public/where"} <= set(schema["paths"])
    assert client.get("/api/public/docs").status_code == 200


def test_where_to_buy_lists_pharmacies_with_sellable_stock(world, client):
    got = client.get("/api/public/where", {"q": "amoxicillin", "region": "bishkek"}).json()
    assert got[0]["product"]["trade_name"] == "Amoxidemo"
    assert [p["organization"] for p in got[0]["pharmacies"]] == ["Dari-Darmek No. 5"]
    assert (
        got[0]["pharmacies"][0]["packages"] == 1
    )  # the genuine one: sold, recalled and expired are not for sale
    assert (
        client.get("/api/public/where", {"q": "amoxicillin", "region": "osh_city"}).json()[0]["pharmacies"]
        == []
    )


def test_sticker_link_answers_directly(world, client):
    page = client.get(f"/p/{world.keys['genuine']}")
    assert page.status_code == 200 and b'data-verdict="genuine"' in page.content
    unused = client.get(f"/p/{world.keys['unused']}")
    assert b'data-verdict="sticker_not_in_circulation"' in unused.content


def test_report_raises_an_alert_with_the_check_context(world, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    got = client.post(
        "/check/report",
        {"code": world.keys["already_sold"], "problem": "counterfeit", "where_bought": "Market stall, Osh bazaar",
         "phone": "+996 555 123 456", "photo": _upload("pack.jpg", _png())},
    )  # fmt: skip
    assert got.status_code == 200 and b"data-reported" in got.content
    alert = Alert.objects.get(kind="citizen_report")
    assert alert.codes == [f"sticker:{world.keys['already_sold']}"]
    assert alert.details["verdict"] == "already_sold" and alert.details["phone"] == "+996555123456"
    assert (tmp_path / alert.details["photo"]).exists()


def _upload(name: str, content: bytes, content_type: str = "image/jpeg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("photo.jpg", b"%PDF-1.4 not an image at all", "not_an_image"),  # disguised by name and type
        ("empty.jpg", b"", "empty_file"),
        ("big.png", b"\x89PNG" + b"0" * (10 * 1024 * 1024), "file_too_large"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_written(
    world, client, settings, tmp_path, name, content, code
):
    settings.MEDIA_ROOT = tmp_path
    report = client.post(
        "/check/report",
        {"code": world.keys["genuine"], "problem": "counterfeit", "photo": _upload(name, content)},
    )
    assert report.status_code == 422
    assert not Alert.objects.filter(kind="citizen_report").exists()
    assert not any(Path(tmp_path).rglob("*.*"))
    before = CheckLog.objects.count()
    check = client.post("/check", {"photo": _upload(name, content)})
    assert check.status_code == 422
    assert CheckLog.objects.count() == before


def test_photo_of_a_printed_sticker_is_decoded_on_the_server(world, client, settings):
    from salamat.stickers import pdf
    from salamat.stickers.testing import pdf_page_png

    body = pdf.render_stickers(
        serials=[world.keys["recalled"]], layout="roll_40x25", base_url=settings.PUBLIC_BASE_URL
    )
    got = client.post("/check", {"photo": _upload("sticker.png", pdf_page_png(body, dpi=300), "image/png")})
    assert got.status_code == 200 and b'data-verdict="recalled"' in got.content
    assert CheckLog.objects.latest("id").channel == "photo"


def test_check_answer_matches_its_documented_schema(world, client):
    from salamat.portal.api import CheckOut

    for verdict in VERDICTS:
        body = client.get("/api/public/check", {"code": world.keys[verdict]}).json()
        assert CheckOut.model_validate(body).model_dump(mode="json") == body


def test_short_path_and_documented_operation_answer_alike(world, client):
    code = world.keys["genuine"]
    fast = client.get("/api/public/check", {"code": code})
    framework = client.get("/api/public/check", {"code": code, "x": "1"})  # not the short path's shape
    assert fast.json() == framework.json()
    assert client.get("/api/public/check", {"code": code, "region": "atlantis"}).status_code == 422
