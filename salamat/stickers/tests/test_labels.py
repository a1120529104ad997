"""Issue 18, item 7: what a printed sticker says and what a phone's camera does with it.

Each label carries the product's short name in the reader's language, the batch and expiry,
and "Check at <host>" (read back from the PDF with poppler's pdftotext); its 2D code, decoded
from the rendered page with zxing-cpp, is an https link to the public check, and that link,
opened as a phone's camera app opens it or typed into the check page, gives the verdict."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.utils import translation

from salamat.codes import sticker_serial_display, sticker_url
from salamat.registry.testing import name_in_every_language
from salamat.stickers import pdf, selectors, services
from salamat.stickers.testing import EXPIRY, actor_for, decode_png, pdf_page_png

pytestmark = pytest.mark.django_db


def pdf_text(body: bytes) -> str:
    """The text of a PDF as poppler reads it, in drawing order, its whitespace collapsed (a line
    wrapped on a narrow label reads on)."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.pdf"
        src.write_bytes(body)
        pdftotext = shutil.which("pdftotext") or "/usr/bin/pdftotext"
        done = subprocess.run([pdftotext, "-raw", str(src), "-"], check=True, capture_output=True)  # noqa: S603
        return " ".join(done.stdout.decode().split())


@pytest.fixture
def importer(make_org):
    return make_org("importer", name="Importer LLC")


@pytest.fixture
def order(importer, make_product):
    product = make_product(trade_name="Amoxidemo", strength="625 mg", inn="amoxicillin")
    name_in_every_language(product, trade_name_ru="Амоксидемо", trade_name_ky="Амоксидемо")
    return services.sticker_order_create(
        actor=actor_for(importer), quantity=3, product_id=product.external_id, batch="B42", expiry=EXPIRY
    )


@pytest.mark.parametrize("layout", ["a4_3x8", "a4_4x10", "roll_40x25"])
def test_every_label_says_product_batch_expiry_and_where_to_check(order, layout):
    serials = selectors.order_serials(order=order)
    with translation.override("ru"):
        body = pdf.render_stickers(
            serials=serials, layout=layout, base_url="https://salamat.gov.kg", label_text=selectors.label_text(order),
            batch=order.batch, expiry=order.expiry,
        )  # fmt: skip
    text = pdf_text(body)
    # Each label (one per page on the roll) repeats every line.
    expected = {
        "Амоксидемо": 3,
        "Серия B42": 3,
        f"Годен до {EXPIRY:%d.%m.%Y}": 3,
        "salamat.gov.kg": 3,
        "Проверить на": 3,
    }
    for line, count in expected.items():
        assert text.count(line) == count, (line, text)
    for serial in serials:
        groups = sticker_serial_display(serial).split("-")
        assert groups[0] in text and groups[-1] in text


def test_blank_stickers_carry_only_the_serial_and_the_check_line(importer):
    blank = services.sticker_order_create(actor=actor_for(importer), quantity=1)
    with translation.override("en"):
        body = pdf.render_stickers(
            serials=selectors.order_serials(order=blank), layout="a4_3x8", base_url="http://127.0.0.1:8000",
            label_text=selectors.label_text(blank), batch=blank.batch, expiry=blank.expiry,
        )  # fmt: skip
    text = pdf_text(body)
    assert "Check at 127.0.0.1:8000" in text
    assert "Batch" not in text and "Exp." not in text


def test_the_code_is_an_https_link_that_opens_the_check_and_the_check_page_takes_it(client, importer, order):
    # given the order's stickers applied (the packages are now at the importer)
    serials = selectors.order_serials(order=order)
    services.stickers_apply(actor=actor_for(importer), serials=serials)
    base = "https://salamat.gov.kg"
    body = pdf.render_stickers(serials=serials, layout="a4_4x10", base_url=base, label_text="x")
    # when a camera reads the printed page
    decoded = sorted(decode_png(pdf_page_png(body)))
    # then each code is the https link of its sticker
    assert decoded == sorted(sticker_url(s, base) for s in serials)
    link = decoded[0]
    assert link.startswith("https://salamat.gov.kg/p/")
    # opening the link (what the camera app does) gives the verdict at once
    opened = client.get(urlsplit(link).path, HTTP_ACCEPT_LANGUAGE="ru")
    assert opened.status_code == 200
    assert 'data-verdict="genuine"' in opened.content.decode()
    # and the whole link typed or scanned into the check page, or sent to the public API, too
    typed = client.get("/check", {"code": link}, HTTP_ACCEPT_LANGUAGE="ru")
    assert 'data-verdict="genuine"' in typed.content.decode()
    answer = client.get("/api/public/check", {"code": link})
    assert answer.status_code == 200 and answer.json()["verdict"] == "genuine"


def test_the_page_download_prints_in_the_readers_language(client, make_user, importer, order):
    client.force_login(make_user("warehouse_operator", importer))
    response = client.get(f"/stickers/{order.external_id}/a4_3x8.pdf", HTTP_ACCEPT_LANGUAGE="ky")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    host = urlsplit(settings.PUBLIC_BASE_URL).netloc
    assert text.count("Серия B42") == 3
    assert text.count(host) == 3
    assert "Текшерүү:" in text
