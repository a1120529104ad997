"""Traceability fixtures: participants of each kind acting as API clients, a product, codes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from salamat.accounts.roles import roles_for_organization_type
from salamat.core.actors import Actor

GS = "\x1d"
EXPIRY = date(2030, 12, 31)


def actor_for(org) -> Actor:
    return Actor(organization=org, roles=frozenset(roles_for_organization_type(org.org_type)))


def element_string(gtin: str, serial: str, *, batch: str = "B1", expiry: str = "301231") -> str:
    """A GS1 DataMatrix element string as a scanner sends it (GS after the variable-length batch)."""
    return f"01{gtin}17{expiry}10{batch}{GS}21{serial}"


def sscc(n: int) -> str:
    from salamat.codes.checkdigit import gs1_check_digit

    body = f"0470000{n:010d}"
    return "00" + body + str(gs1_check_digit(body))


@pytest.fixture
def importer(make_org):
    return make_org("importer", name="Importer LLC")


@pytest.fixture
def wholesaler(make_org):
    return make_org("wholesaler", name="Warehouse LLC")


@pytest.fixture
def pharmacy(make_org):
    return make_org("pharmacy", name="Pharmacy One")


@pytest.fixture
def other_pharmacy(make_org):
    return make_org("pharmacy", name="Pharmacy Two", region="osh_city")


@pytest.fixture
def ministry(make_org):
    return make_org("ministry", name="Ministry of Health", ownership="public")


@pytest.fixture
def regulator(ministry, make_user):
    from salamat.accounts.selectors import actor_for_user

    return actor_for_user(make_user("regulator", ministry), ministry)


@pytest.fixture
def product(make_product):
    return make_product(units=10)


@pytest.fixture
def gtin(product) -> str:
    return product.gtins.first().gtin


@pytest.fixture
def codes(gtin) -> Callable[..., list[str]]:
    """codes(3) -> three element strings of the product, serials S000001…; codes(2, start=10)."""

    def _make(n: int, *, start: int = 1, **kw) -> list[str]:
        return [element_string(gtin, f"S{i:06d}", **kw) for i in range(start, start + n)]

    return _make


@pytest.fixture
def introduced(importer, codes):
    """introduced(n) -> n codes introduced by the importer."""
    from salamat.traceability import services

    def _make(n: int = 3, **kw) -> list[str]:
        batch = codes(n, **kw)
        services.packages_introduce(actor=actor_for(importer), codes=batch)
        return batch

    return _make


@pytest.fixture
def at_pharmacy(introduced, importer, pharmacy):
    """at_pharmacy(n) -> n codes shipped by the importer to the pharmacy and accepted there."""
    from salamat.traceability import services

    def _make(n: int = 3, **kw) -> list[str]:
        batch = introduced(n, **kw)
        sent = services.shipment_send(
            actor=actor_for(importer), receiver_id=pharmacy.external_id, codes=batch
        )
        services.shipment_accept(actor=actor_for(pharmacy), shipment_id=sent["shipment_id"])
        return batch

    return _make
