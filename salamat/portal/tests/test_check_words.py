"""What the citizen check says beyond the verdict (issue 18, items 1-3): when and where a package
left circulation, a recent purchase told apart from a counterfeit, a typo and a product barcode
told apart from an unknown code, and where a genuine package is in the chain."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from salamat.stickers import services as stickers
from salamat.stickers.testing import actor_for, build_world
from salamat.traceability.models import Package

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(make_org, make_product):
    return build_world(make_org, make_product)


def check(client, code: str, lang: str = "en") -> tuple[dict, str]:
    api = client.get("/api/public/check", {"code": code}, HTTP_ACCEPT_LANGUAGE=lang).json()
    page = client.get("/check", {"code": code}, HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    return api, page


def test_a_package_sold_in_the_last_days_reads_sold_on_at_not_counterfeit(world, client):
    today = timezone.localdate().strftime("%d.%m.%Y")
    api, page = check(client, world.keys["already_sold"])
    assert api["verdict"] == "already_sold" and api["tone"] == "info"
    assert api["title"] == f"Sold on {today} at Dari-Darmek No. 5, Bishkek city"
    assert "possibly counterfeit" not in page and "Dari-Darmek No. 5" in page and today in page
    ru, _page = check(client, world.keys["already_sold"], "ru")
    assert ru["title"].startswith("Продано ")


def test_an_old_sale_is_still_an_alarm_but_says_when_and_where(world, client, settings):
    key = f"sticker:{world.keys['already_sold']}"
    long_ago = timezone.localdate() - timedelta(days=30)
    Package.objects.filter(key=key).update(withdrawn_on=long_ago)
    api, page = check(client, world.keys["already_sold"])
    assert (api["title"], api["tone"]) == ("Already sold — possibly counterfeit", "danger")
    assert f"on {long_ago:%d.%m.%Y} (sold) at Dari-Darmek No. 5, Bishkek city" in api["advice"]
    assert "data-left" in page
    # the window is a platform setting
    settings.SALAMAT = {**settings.SALAMAT, "CHECK_RECENT_SALE_DAYS": 31}
    assert check(client, world.keys["already_sold"])[0]["tone"] == "info"


def test_a_mistyped_character_is_a_typo_not_an_unknown_code_and_the_box_keeps_it(world, client):
    serial = world.keys["genuine"]
    wrong = serial[:-1] + ("A" if serial[-1] != "A" else "B")
    api, page = check(client, wrong)
    assert api["verdict"] == "unknown"
    assert api["title"] == "Check the code: a character looks wrong"
    assert f'value="{wrong}"' in page


def test_the_product_barcode_says_look_for_the_square_code(world, client):
    ean13 = world.product.gtins.get().gtin[1:]
    api, page = check(client, ean13)
    assert api["verdict"] == "unknown" and api["tone"] == "info"
    assert api["title"] == "This barcode is the product's, not the package's"
    assert api["product"]["trade_name"] == "Amoxidemo" and "square code" in api["advice"]
    # a code of no known format stays "unknown"
    assert check(client, "hello world")[0]["title"] == "Unknown code"


def test_a_package_at_the_importer_is_not_a_green_you_can_buy(world, client):
    stickers.stickers_apply(actor=actor_for(world.importer), serials=[world.keys["spare"]])
    api, page = check(client, world.keys["spare"])
    assert api["verdict"] == "genuine" and api["tone"] == "info"
    assert api["title"] == "Genuine, but not yet at a pharmacy"
    assert "at the importer's warehouse" in api["advice"] and "You can buy it" not in api["advice"]
    assert 'data-stage="importer"' in page and "Importer LLC" in page
    # at the pharmacy it is the plain green answer
    assert check(client, world.keys["genuine"])[0]["tone"] == "ok"


def test_where_to_buy_gives_each_pharmacy_address_town_phone_and_a_map_link(world, client):
    world.pharmacy.phone = "+996 312 123 456"
    world.pharmacy.save()
    world.pharmacy.sites.update(address="Chui Ave 100", district="Pervomaisky district")
    page = client.get("/where", {"q": "amoxicillin"}, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Chui Ave 100, Pervomaisky district" in page
    assert 'href="tel:+996312123456"' in page
    assert (
        "https://www.openstreetmap.org/search?query=Chui+Ave+100%2C+Pervomaisky+district%2C+Kyrgyzstan"
        in page
    )
    assert "1 упаковка в наличии" in page
    api = client.get("/api/public/where", {"q": "amoxicillin"}).json()
    assert api[0]["pharmacies"][0]["site"]["phone"] == "+996 312 123 456"
