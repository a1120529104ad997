"""Whether tracking a product is mandatory on a given day: one table of cases."""

from __future__ import annotations

from datetime import date

import pytest

from salamat.core.actors import SYSTEM
from salamat.registry import selectors, services

pytestmark = pytest.mark.django_db


@pytest.fixture
def phased(make_product):
    """Products on the phased lists: first (2026-01-01), HTF (2026-04-01), essential (2026-09-01),
    and all drugs from 2027-07-01."""
    products = {
        "first": make_product(trade_name="On first"),
        "htf": make_product(trade_name="On HTF"),
        "first_and_essential": make_product(trade_name="On first and essential"),
        "essential": make_product(trade_name="On essential"),
        "unlisted": make_product(trade_name="On no list"),
    }
    for code, start, members in (
        ("first-list", date(2026, 1, 1), ["first", "first_and_essential"]),
        ("htf", date(2026, 4, 1), ["htf"]),
        ("essential-medicines", date(2026, 9, 1), ["essential", "first_and_essential"]),
    ):
        tracking_list = services.tracking_list_create(
            actor=SYSTEM, code=code, name=code, mandatory_from=start
        )
        services.tracking_list_add_products(
            actor=SYSTEM, tracking_list=tracking_list, products=[products[m] for m in members]
        )
    services.tracking_list_create(
        actor=SYSTEM, code="all-drugs", name="All", mandatory_from=date(2027, 7, 1), covers_all_products=True
    )
    return products


CASES = [
    # product, day, mandatory?
    ("first", date(2025, 12, 31), False),
    ("first", date(2026, 1, 1), True),  # the start day itself counts
    ("first", date(2026, 6, 1), True),
    ("htf", date(2026, 1, 1), False),
    ("htf", date(2026, 3, 31), False),
    ("htf", date(2026, 4, 1), True),
    ("first_and_essential", date(2026, 1, 1), True),  # the earliest of its lists decides
    ("essential", date(2026, 8, 31), False),
    ("essential", date(2026, 9, 1), True),
    ("unlisted", date(2026, 12, 31), False),
    ("unlisted", date(2027, 6, 30), False),
    ("unlisted", date(2027, 7, 1), True),  # "all drugs" covers it without an entry
    ("htf", date(2030, 1, 1), True),
]


@pytest.mark.parametrize(("key", "day", "expected"), CASES)
def test_product_tracking_mandatory(phased, key, day, expected):
    assert selectors.product_tracking_mandatory(product=phased[key], on=day) is expected


@pytest.mark.parametrize("day", sorted({day for _, day, _ in CASES}))
def test_bulk_selector_agrees_with_the_single_one(phased, day):
    bulk = set(selectors.products_tracking_mandatory(on=day))
    single = {p for p in phased.values() if selectors.product_tracking_mandatory(product=p, on=day)}
    assert bulk == single


@pytest.mark.parametrize(
    ("key", "since"),
    [
        ("first", date(2026, 1, 1)),
        ("first_and_essential", date(2026, 1, 1)),
        ("htf", date(2026, 4, 1)),
        ("unlisted", date(2027, 7, 1)),
    ],
)
def test_tracking_mandatory_since(phased, key, since):
    assert selectors.tracking_mandatory_since(product=phased[key]) == since
