"""Stickers: order, print (codes decoded back from the rendered page), void, apply."""

from __future__ import annotations

import pytest
from django.conf import settings

from salamat.codes import sticker_serial_is_valid, sticker_url
from salamat.core.errors import DomainError, PermissionDenied
from salamat.core.models import AuditLog
from salamat.stickers import pdf, selectors, services
from salamat.stickers.models import Sticker, StickerStatus
from salamat.stickers.testing import EXPIRY, actor_for, decode_png, pdf_page_png
from salamat.traceability import services as trace
from salamat.traceability.models import Package, PackageState

pytestmark = pytest.mark.django_db


@pytest.fixture
def importer(make_org):
    return make_org("importer", name="Importer LLC")


@pytest.fixture
def product(make_product):
    return make_product(trade_name="Амоксиклав", strength="625 mg")


def test_order_issues_unique_random_serials_with_check_character_and_registers_packages(importer, product):
    order = services.sticker_order_create(
        actor=actor_for(importer), quantity=50, product_id=product.external_id, batch="B1", expiry=EXPIRY
    )
    serials = selectors.order_serials(order=order)
    assert len(serials) == len(set(serials)) == 50
    assert all(sticker_serial_is_valid(s) for s in serials)
    packages = Package.objects.filter(key__in=[f"sticker:{s}" for s in serials])
    assert packages.count() == 50
    assert set(packages.values_list("state", flat=True)) == {PackageState.REGISTERED}
    assert AuditLog.objects.filter(action="sticker.order", object_id=str(order.external_id)).exists()


def test_blank_order_registers_nothing_until_applied(importer, product):
    order = services.sticker_order_create(actor=actor_for(importer), quantity=2)
    serials = selectors.order_serials(order=order)
    assert not Package.objects.filter(key__in=[f"sticker:{s}" for s in serials]).exists()
    with pytest.raises(DomainError) as refused:
        services.stickers_apply(actor=actor_for(importer), serials=serials)
    assert {e["reason"] for e in refused.value.details["errors"]} == {"product_batch_expiry_required"}
    services.stickers_apply(
        actor=actor_for(importer), serials=serials, product_id=product.external_id, batch="B9", expiry=EXPIRY
    )
    states = set(
        Package.objects.filter(key__in=[f"sticker:{s}" for s in serials]).values_list("state", flat=True)
    )
    assert states == {PackageState.IN_CIRCULATION}


def test_pharmacy_may_not_order(make_org):
    with pytest.raises(PermissionDenied):
        services.sticker_order_create(actor=actor_for(make_org("pharmacy")), quantity=1)


def test_introduce_refuses_a_sticker_serial_never_issued(importer, product):
    from salamat.codes import sticker_serial_new

    with pytest.raises(trace.OperationRefused) as refused:
        trace.packages_introduce(
            actor=actor_for(importer), codes=[f"sticker:{sticker_serial_new()}"], product_id=product.external_id,
            batch="B1", expiry=EXPIRY,
        )  # fmt: skip
    assert refused.value.details["errors"][0]["reason"] == "sticker_not_issued"


def test_void_unused_only_all_or_nothing(importer, product):
    actor = actor_for(importer)
    order = services.sticker_order_create(
        actor=actor, quantity=3, product_id=product.external_id, batch="B1", expiry=EXPIRY
    )
    a, b, c = selectors.order_serials(order=order)
    services.stickers_apply(actor=actor, serials=[a])
    with pytest.raises(DomainError) as refused:
        services.stickers_void(actor=actor, serials=[a, b])
    assert refused.value.details["errors"] == [{"code": a, "reason": "already_applied"}]
    assert Sticker.objects.get(serial=b).status == StickerStatus.ISSUED
    assert services.stickers_void(actor=actor, serials=[b.lower(), c]) == 2
    assert not Package.objects.filter(key__in=[f"sticker:{b}", f"sticker:{c}"]).exists()
    with pytest.raises(trace.OperationRefused):
        trace.packages_introduce(
            actor=actor, codes=[f"sticker:{b}"]
        )  # a voided sticker never enters circulation
    assert AuditLog.objects.filter(action="sticker.void").count() == 1


def test_another_organisation_cannot_void_or_apply(importer, product, make_org):
    order = services.sticker_order_create(actor=actor_for(importer), quantity=1)
    (serial,) = selectors.order_serials(order=order)
    other = actor_for(make_org("importer"))
    with pytest.raises(DomainError):
        services.stickers_void(actor=other, serials=[serial])
    with pytest.raises(DomainError):
        services.stickers_apply(
            actor=other, serials=[serial], product_id=product.external_id, batch="X", expiry=EXPIRY
        )


@pytest.mark.parametrize(("layout", "per_page"), [("a4_3x8", 24), ("a4_4x10", 40), ("roll_40x25", 1)])
def test_pdf_codes_decode_back_to_the_sticker_urls(layout, per_page):
    from salamat.codes import sticker_serial_new

    serials = [sticker_serial_new() for _ in range(per_page + 1)]  # spills onto a second page
    body = pdf.render_stickers(
        serials=serials, layout=layout, base_url="https://salamat.kg", label_text="Амоксиклав 625 mg"
    )
    assert body.startswith(b"%PDF")
    decoded = decode_png(pdf_page_png(body, dpi=300 if layout == "roll_40x25" else 200))
    assert sorted(decoded) == sorted(sticker_url(s, "https://salamat.kg") for s in serials[:per_page])
    assert decode_png(pdf_page_png(body, page=2, dpi=300)) == [
        sticker_url(serials[per_page], "https://salamat.kg")
    ]


def test_api_order_pdf_reprint_is_audited_and_void(importer, product, make_token, api):
    client = api(make_token(importer))
    made = client.post(
        "/api/v1/stickers/orders",
        {"quantity": 3, "product": str(product.external_id), "batch": "B1", "expiry": "2030-12-31"},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    order = made.json()
    assert len(order["serials"]) == 3
    for _ in range(2):
        got = client.get(f"/api/v1/stickers/orders/{order['id']}/pdf?layout=a4_4x10")
        assert got.status_code == 200 and got["Content-Type"] == "application/pdf"
    actions = list(AuditLog.objects.filter(object_id=order["id"]).values_list("action", flat=True))
    assert actions.count("sticker.print") == 1 and actions.count("sticker.reprint") == 1
    decoded = decode_png(pdf_page_png(got.content))
    assert sorted(decoded) == sorted(sticker_url(s, settings.PUBLIC_BASE_URL) for s in order["serials"])
    voided = client.post(
        "/api/v1/stickers/void", {"serials": order["serials"][:1]}, content_type="application/json"
    )
    assert voided.json() == {"voided": 1}
    applied = client.post(
        "/api/v1/stickers/apply", {"serials": order["serials"][1:]}, content_type="application/json"
    )
    assert applied.status_code == 200 and applied.json()["package_count"] == 2


def test_stickers_page_orders_and_downloads(importer, product, make_user, client):
    user = make_user("warehouse_operator", importer)
    client.force_login(user)
    page = client.get("/stickers/")
    assert page.status_code == 200
    made = client.post("/stickers/", {"quantity": "2", "product": str(product.external_id)})
    assert made.status_code == 302
    order = selectors.orders_for(organization=importer).get()
    got = client.get(f"/stickers/{order.external_id}/roll_40x25.pdf")
    assert got.status_code == 200 and got.content.startswith(b"%PDF")
