"""The citizen pages name a medicine in the reader's language (issue 18, item 4): the check,
where to buy (found by a name in any language, with opening hours) and the public API."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from salamat.registry.testing import name_in_every_language
from salamat.stickers.testing import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_org, make_product):
    cache.clear()
    world = build_world(make_org, make_product)
    name_in_every_language(
        world.product,
        inn_ru="амоксициллин + клавулановая кислота",
        trade_name_ru="Амоксидемо",
        dosage_form="film-coated tablets",
    )
    site = world.pharmacy.sites.get()
    site.opening_hours = "08:00–20:00"
    site.save()
    return world


@pytest.mark.parametrize(
    ("language", "shown", "marked"),
    [
        (
            "ru",
            ["Амоксидемо", "амоксициллин + клавулановая кислота", "таблетки, покрытые плёночной оболочкой"],
            [],
        ),
        # No Kyrgyz INN or trade name yet: the Russian ones, marked; the dosage form from the list.
        (
            "ky",
            [
                "Амоксидемо",
                "амоксициллин + клавулановая кислота",
                "плёнка кабыгы менен капталган таблеткалар",
            ],
            ["RU"],
        ),
        ("en", ["Amoxidemo", "amoxicillin + clavulanic acid", "film-coated tablets"], []),
    ],
)
def test_the_check_names_the_medicine_in_the_pages_language(client, world, language, shown, marked):
    response = client.get("/check", {"code": world.keys["genuine"]}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    html = response.content.decode()
    for text in shown:
        assert text in html
    assert ("name-fallback" in html) == bool(marked)
    for tag in marked:
        assert f">{tag}</small>" in html


def test_where_to_buy_finds_a_russian_name_in_capitals_and_shows_the_hours(client, world):
    response = client.get("/where", {"q": "АМОКСИЦИЛЛИН"}, HTTP_ACCEPT_LANGUAGE="ru")
    html = response.content.decode()
    assert response.status_code == 200
    assert "data-no-results" not in html
    assert "Амоксидемо" in html
    assert "08:00–20:00" in html


def test_the_public_api_carries_the_names_in_each_language(client, world):
    response = client.get("/api/public/check", {"code": world.keys["genuine"]})
    assert response.status_code == 200, response.content
    product = response.json()["product"]
    assert (product["inn"], product["inn_ru"], product["inn_ky"], product["dosage_form_ky"]) == (
        "amoxicillin + clavulanic acid",
        "амоксициллин + клавулановая кислота",
        "",
        "плёнка кабыгы менен капталган таблеткалар",
    )
