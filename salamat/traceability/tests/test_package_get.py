"""`package_get`: the package by its key with its product, owner and site in one statement
(a prepared one on PostgreSQL: the scanning checks call it for every code)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from salamat.traceability import selectors, services
from salamat.traceability.models import Package
from salamat.traceability.tests.conftest import actor_for

pytestmark = pytest.mark.django_db


def _shown(package: Package) -> tuple:
    """What the callers read of the package's product, owner and site."""
    p, o, s = package.product, package.owner, package.site
    return (
        (p.pk, p.external_id, p.trade_name, p.strength, p.registration_number),
        None if o is None else (o.pk, o.external_id, o.name, o.short_name, o.org_type),
        None if s is None else (s.pk, s.external_id, s.name, s.region),
    )


def test_the_package_its_product_owner_and_site_come_in_one_statement(at_pharmacy, pharmacy):
    key = selectors.package_key_of(at_pharmacy(2)[1])
    expected = Package.objects.select_related("product", "owner", "site").get(key=key)
    with CaptureQueriesContext(connection) as queries:
        got = selectors.package_get(key=key)
        shown = _shown(got)
    assert len(queries) == 1, [q["sql"] for q in queries]
    assert shown == _shown(expected)
    assert shown[1][2] == pharmacy.name and shown[2] is not None
    for field in Package._meta.concrete_fields:
        assert getattr(got, field.attname) == getattr(expected, field.attname), field.name
    assert got._state.db == "default" and not got._state.adding
    # The columns not fetched load when first used, as with the ORM's `only()`.
    with CaptureQueriesContext(connection) as queries:
        assert got.product.inn == expected.product.inn
        assert got.owner.tax_id == expected.owner.tax_id
    assert len(queries) == 2
    assert selectors.package_out(got) == selectors.package_out(expected)


def test_a_package_without_owner_or_site_and_an_unknown_key(at_pharmacy, pharmacy):
    code = at_pharmacy(1)[0]
    services.packages_sell(actor=actor_for(pharmacy), codes=[code])
    key = selectors.package_key_of(code)
    Package.objects.filter(key=key).update(owner=None, site=None)  # withdrawn: no stock to keep
    with CaptureQueriesContext(connection) as queries:
        got = selectors.package_get(key=key)
        assert got.owner is None and got.site is None
        assert got.product.trade_name
    assert len(queries) == 1
    assert selectors.package_get(key=key + "0") is None


@pytest.mark.postgres_only
def test_on_postgresql_it_is_a_prepared_statement(introduced):
    key = selectors.package_key_of(introduced(1)[0])
    assert selectors.package_get(key=key) is not None
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ['%FROM "traceability_package"%"traceability_package"."key" = $1%'],
        )
        assert cur.fetchone()[0] == 1
