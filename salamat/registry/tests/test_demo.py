"""The demo country (`seed_demo`) and demo API tokens (`demo_token`)."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from salamat.accounts.models import Membership, Role, User
from salamat.codes.checkdigit import is_valid_gln, is_valid_gtin
from salamat.core.demo import DEMO_PASSWORD
from salamat.core.identifiers import parse_pin, validate_atc, validate_tax_id
from salamat.core.models import AuditLog
from salamat.registry.models import (
    Organization,
    OrganizationType,
    Product,
    ProductGtin,
    Region,
    Site,
    TrackingList,
    TrackingListEntry,
)

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def table_rows() -> dict:
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (
            Organization,
            Site,
            Product,
            ProductGtin,
            TrackingList,
            TrackingListEntry,
            User,
            Membership,
            AuditLog,
        )
    }


@pytest.fixture
def demo(db):
    seed()


def test_seed_demo(demo, client):
    """One seeding (it takes a second or two) checked from every side."""
    check_every_type_region_and_role()
    check_identifiers_are_valid()
    check_products_and_tracking_lists()
    check_demo_users_log_in(client)
    # given: the demo country is loaded
    before = table_rows()
    # when: it is seeded again
    out = seed()
    # then: nothing at all changed, not even the audit log
    assert "nothing to do" in out
    assert table_rows() == before


def check_every_type_region_and_role():
    types = set(Organization.objects.values_list("org_type", flat=True))
    assert types == set(OrganizationType.values)
    assert Organization.objects.filter(org_type="medical", ownership="public").exists()
    assert Organization.objects.filter(org_type="medical", ownership="private").exists()
    assert set(Site.objects.values_list("region", flat=True)) == set(Region.values)
    assert set(Organization.objects.values_list("region", flat=True)) == set(Region.values)
    for region in Region.values:
        present = set(Organization.objects.filter(region=region).values_list("org_type", flat=True))
        assert {"wholesaler", "pharmacy", "medical"} <= present, region
    roles = set(Membership.objects.values_list("role", flat=True))
    assert roles == set(Role.values)
    assert Organization.objects.filter(status="suspended").exists()
    assert Organization.objects.filter(status="pending").exists()


def check_identifiers_are_valid():
    for tax_id in Organization.objects.values_list("tax_id", flat=True):
        validate_tax_id(tax_id)
    for gln in Site.objects.values_list("gln", flat=True):
        assert gln and is_valid_gln(gln)
    gtins = list(ProductGtin.objects.values_list("gtin", flat=True))
    assert len(gtins) == len(set(gtins))
    for gtin in gtins:
        assert gtin.startswith("04709") and is_valid_gtin(gtin) and is_valid_gtin(gtin[1:])
    for atc in Product.objects.values_list("atc_code", flat=True):
        validate_atc(atc)
    for pin in User.objects.exclude(pin=None).values_list("pin", flat=True):
        parse_pin(pin)


def check_products_and_tracking_lists():
    assert 190 <= Product.objects.count() <= 210
    lists = {tl.code: tl for tl in TrackingList.objects.all()}
    assert {code: str(tl.mandatory_from) for code, tl in lists.items()} == {
        "first-list": "2026-01-01",
        "htf": "2026-04-01",
        "essential-medicines": "2026-09-01",
        "all-drugs": "2027-07-01",
    }
    assert lists["all-drugs"].covers_all_products
    for code in ("first-list", "htf", "essential-medicines"):
        assert lists[code].entries.count() >= 20, code


def check_demo_users_log_in(client):
    usernames = set(User.objects.filter(username__startswith="demo-").values_list("username", flat=True))
    expected = {
        "demo-admin",
        "demo-pharmacist",
        "demo-warehouse",
        "demo-importer",
        "demo-doctor",
        "demo-chair",
        "demo-reviewer",
        "demo-regulator",
        "demo-citizen",
        "demo-clinic-admin",
    }
    assert expected <= usernames
    assert User.objects.get(username="demo-admin").is_superuser
    assert not User.objects.get(username="demo-citizen").memberships.exists()
    for username in ("demo-pharmacist", "demo-citizen", "demo-regulator"):
        assert client.login(username=username, password=DEMO_PASSWORD), username
        client.logout()


@override_settings(DEV_MODE=False)
def test_seed_demo_refused_outside_development(db):
    with pytest.raises(CommandError, match="development"):
        seed()
    assert not Organization.objects.exists()


TOKEN_KINDS = [
    ("manufacturer", "manufacturer", ["warehouse_operator"]),
    ("importer", "importer", ["warehouse_operator"]),
    ("wholesaler", "wholesaler", ["warehouse_operator"]),
    ("pharmacy", "pharmacy", ["pharmacist", "warehouse_operator"]),
    ("clinic", "medical", ["doctor"]),
    ("regulator", "ministry", ["regulator"]),
    ("social_fund", "social_fund", []),
]


def test_demo_token_authenticates(demo, api):
    for kind, org_type, roles in TOKEN_KINDS:
        # when
        out, err = io.StringIO(), io.StringIO()
        call_command("demo_token", kind, stdout=out, stderr=err)
        token = out.getvalue().strip()
        # then: only the token is on standard output, and it works
        assert token.startswith("slm_") and "\n" not in token, kind
        body = api(token).get("/api/v1/whoami").json()
        assert body["kind"] == "api_client", kind
        assert body["organization"]["org_type"] == org_type, kind
        assert body["roles"] == roles, kind


def test_demo_token_unknown_type_lists_valid_ones(db):
    with pytest.raises(CommandError) as caught:
        call_command("demo_token", "bakery", stdout=io.StringIO())
    message = str(caught.value)
    for kind in ("manufacturer", "importer", "wholesaler", "pharmacy", "clinic", "regulator", "social_fund"):
        assert kind in message


def test_demo_token_without_demo_data(db):
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("demo_token", "pharmacy", stdout=io.StringIO())


@override_settings(DEV_MODE=False)
def test_demo_token_refused_outside_development(db):
    with pytest.raises(CommandError, match="development"):
        call_command("demo_token", "pharmacy", stdout=io.StringIO())


def test_demo_data_does_not_depend_on_the_language():
    from django.utils import translation

    from salamat.registry.demo import organization_specs, product_specs

    with translation.override("ru"):
        russian = (organization_specs(), product_specs())
    with translation.override("en"):
        english = (organization_specs(), product_specs())
    assert russian == english
    assert "Demo Public Hospital of Bishkek" in {spec.name for spec in english[0]}
