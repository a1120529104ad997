"""The citizen check answers from one lookup of the package, whatever its verdict: a sold
package's when, why and where come with it (most packages ever checked have been sold)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from salamat.portal import selectors
from salamat.stickers.testing import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_org, make_product):
    return build_world(make_org, make_product)


def test_a_sold_package_is_answered_from_one_lookup(world):
    with CaptureQueriesContext(connection) as queries, translation.override("en"):
        result = selectors.package_check(code=world.keys["already_sold"])
    assert len(queries) == 1, [q["sql"] for q in queries]
    assert result.verdict == "already_sold"
    assert result.extra["left"] == {
        "on": timezone.localdate(), "reason": "sold", "place": "Dari-Darmek No. 5",
        "town": "Bishkek city", "recent": True,
    }  # fmt: skip


@pytest.mark.parametrize("verdict", ["genuine", "recalled", "expired", "sticker_not_in_circulation"])
def test_other_packages_are_answered_from_one_lookup_too(world, verdict):
    with CaptureQueriesContext(connection) as queries:
        result = selectors.package_check(code=world.keys[verdict])
    assert len(queries) == 1, [q["sql"] for q in queries]
    assert result.verdict == verdict and "left" not in result.extra


@pytest.mark.postgres_only
def test_on_postgresql_the_lookup_is_a_prepared_statement(world):
    selectors.package_check(code=world.keys["already_sold"])
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%p.withdraw_reason, p.withdrawn_on, s.district FROM traceability_package p%"],
        )
        assert cur.fetchone()[0] == 1
