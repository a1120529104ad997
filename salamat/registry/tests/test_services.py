"""Registry services: what each accepts, what it refuses (exact code) and that a refusal writes nothing."""

from __future__ import annotations

from datetime import date

import pytest

from salamat.core.actors import SYSTEM
from salamat.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from salamat.core.models import AuditLog
from salamat.registry import services
from salamat.registry.models import Product, ProductGtin, TrackingList
from salamat.registry.tests.helpers import gln13, gtin13, wrong_check_digit

pytestmark = pytest.mark.django_db


def org_fields(**overrides):
    fields = {
        "name": "Example Demo Pharmacy",
        "org_type": "pharmacy",
        "tax_id": "08100000000099",
        "region": "bishkek",
    }
    return {**fields, **overrides}


def product_fields(**overrides):
    fields = {
        "registration_number": "KG-T-0001",
        "registered_on": date(2024, 1, 1),
        "valid_until": date(2029, 1, 1),
        "trade_name": "Testamox",
        "inn": "amoxicillin",
        "atc_code": "J01CA04",
        "dosage_form": "capsules",
        "strength": "500 mg",
        "units_per_package": 20,
        "manufacturer_name": "Example Demo Pharma",
        "manufacturer_country": "KG",
        "gtins": [gtin13(1)],
    }
    return {**fields, **overrides}


def refused(snapshot, call, error=DomainError):
    """Runs `call`, expects `error`, proves the database is unchanged; returns the error."""
    before = snapshot()
    with pytest.raises(error) as caught:
        call()
    assert snapshot() == before
    return caught.value


# --- organisations -------------------------------------------------------------------------


def test_organization_create_by_ministry_is_audited(regulator):
    # when
    org = services.organization_create(actor=regulator, **org_fields(region="Osh-City"))
    # then
    assert org.status == "pending"
    assert org.region == "osh_city"
    row = AuditLog.objects.get(action="organization.create")
    assert row.object_id == str(org.external_id)
    assert row.actor_user == regulator.user
    assert row.changes["tax_id"]["new"] == "08100000000099"


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"tax_id": "12345"}, "tax_id_malformed", "tax_id"),
        ({"tax_id": "0810000000009X"}, "tax_id_malformed", "tax_id"),
        ({"region": "atlantis"}, "unknown_region", "region"),
        ({"org_type": "bakery"}, "unknown_org_type", "org_type"),
        ({"ownership": "mixed"}, "unknown_ownership", "ownership"),
        ({"name": "  "}, "required", "name"),
        ({"email": "not-an-address"}, "email_malformed", "email"),
        ({"status": "closed"}, "unknown_status", "status"),
    ],
)
def test_organization_create_refuses_bad_fields(regulator, snapshot, overrides, code, field):
    error = refused(
        snapshot,
        lambda: services.organization_create(actor=regulator, **org_fields(**overrides)),
        ValidationFailed,
    )
    assert error.code == code
    assert error.details["fields"][0]["field"] == field


def test_organization_create_reports_every_bad_field_at_once(regulator, snapshot):
    error = refused(
        snapshot,
        lambda: services.organization_create(actor=regulator, **org_fields(tax_id="1", region="mars")),
        ValidationFailed,
    )
    assert error.code == "validation_error"
    assert {(f["field"], f["code"]) for f in error.details["fields"]} == {
        ("tax_id", "tax_id_malformed"),
        ("region", "unknown_region"),
    }


def test_organization_create_refuses_taken_tax_id(regulator, make_org, snapshot):
    existing = make_org("pharmacy")
    error = refused(
        snapshot,
        lambda: services.organization_create(actor=regulator, **org_fields(tax_id=existing.tax_id)),
        Conflict,
    )
    assert error.code == "tax_id_taken"


def test_organization_create_refused_to_non_ministry(pharmacy_admin, snapshot):
    error = refused(
        snapshot, lambda: services.organization_create(actor=pharmacy_admin, **org_fields()), PermissionDenied
    )
    assert error.code == "ministry_only"


def test_organization_update_by_own_admin_contacts_only(pharmacy_admin, snapshot):
    org = pharmacy_admin.organization
    # when: the organisation's administrator changes its phone
    services.organization_update(actor=pharmacy_admin, organization=org, data={"phone": "+996 000 111 222"})
    # then
    org.refresh_from_db()
    assert org.phone == "+996 000 111 222"
    # the phone is personal data: the audit row says it changed, not to what
    assert AuditLog.objects.get(action="organization.update").changes == {"phone": "[hidden]"}
    # and the tax ID is the ministry's to change
    error = refused(
        snapshot,
        lambda: services.organization_update(
            actor=pharmacy_admin, organization=org, data={"tax_id": "08100000000011"}
        ),
        PermissionDenied,
    )
    assert error.code == "ministry_only_field"


def test_organization_update_refusals(regulator, make_org, pharmacy_admin, snapshot):
    org = make_org("wholesaler")
    other = make_org("pharmacy")
    cases = [
        ({"tax_id": other.tax_id}, "tax_id_taken"),
        ({"tax_id": "abc"}, "tax_id_malformed"),
        ({"region": "nowhere"}, "unknown_region"),
        ({"status": "active"}, "not_editable_here"),
        ({"colour": "red"}, "unknown_field"),
    ]
    for data, code in cases:
        error = refused(
            snapshot,
            lambda data=data: services.organization_update(actor=regulator, organization=org, data=data),
        )
        assert error.code == code, data
    # another organisation's administrator may not touch it at all
    error = refused(
        snapshot,
        lambda: services.organization_update(actor=pharmacy_admin, organization=org, data={"phone": "1"}),
        PermissionDenied,
    )
    assert error.code == "not_organization_admin"


def test_organization_update_without_change_writes_nothing(regulator, make_org, snapshot):
    org = make_org("pharmacy")
    before = snapshot()
    services.organization_update(actor=regulator, organization=org, data={"name": org.name})
    assert snapshot() == before


def test_organization_set_status(regulator, make_org, pharmacy_admin, snapshot):
    org = make_org("pharmacy")
    services.organization_set_status(
        actor=regulator, organization=org, status="suspended", reason="inspection"
    )
    org.refresh_from_db()
    assert org.status == "suspended"
    row = AuditLog.objects.get(action="organization.set_status")
    assert row.changes == {"status": {"old": "active", "new": "suspended"}, "reason": "inspection"}

    assert (
        refused(
            snapshot,
            lambda: services.organization_set_status(actor=regulator, organization=org, status="suspended"),
        ).code
        == "status_unchanged"
    )
    assert (
        refused(
            snapshot,
            lambda: services.organization_set_status(actor=regulator, organization=org, status="gone"),
        ).code
        == "unknown_status"
    )
    assert (
        refused(
            snapshot,
            lambda: services.organization_set_status(actor=pharmacy_admin, organization=org, status="active"),
        ).code
        == "ministry_only"
    )


# --- sites ------------------------------------------------------------------------------------


def test_site_create_by_own_admin(pharmacy_admin):
    site = services.site_create(
        actor=pharmacy_admin,
        organization=pharmacy_admin.organization,
        name="Branch 2",
        address="Example St. 2",
        region="talas",
        gln=gln13(1),
    )
    assert site.gln == gln13(1)
    assert AuditLog.objects.filter(action="site.create", object_id=str(site.external_id)).exists()


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"gln": wrong_check_digit(gln13(2))}, "bad_check_digit"),
        ({"gln": "47200000"}, "gln_malformed"),
        ({"region": "mordor"}, "unknown_region"),
        ({"address": ""}, "required"),
    ],
)
def test_site_create_refuses_bad_fields(regulator, make_org, snapshot, overrides, code):
    org = make_org("pharmacy")
    fields = {"name": "Branch", "address": "Example St. 1", "region": "naryn", **overrides}
    error = refused(snapshot, lambda: services.site_create(actor=regulator, organization=org, **fields))
    assert error.code == code


def test_site_gln_must_be_unique(regulator, make_org, snapshot):
    org = make_org("pharmacy")
    services.site_create(
        actor=regulator, organization=org, name="A", address="x 1", region="naryn", gln=gln13(3)
    )
    error = refused(
        snapshot,
        lambda: services.site_create(
            actor=regulator, organization=org, name="B", address="x 2", region="naryn", gln=gln13(3)
        ),
        Conflict,
    )
    assert error.code == "gln_taken"
    site = org.sites.exclude(gln=gln13(3)).first()
    error = refused(
        snapshot, lambda: services.site_update(actor=regulator, site=site, data={"gln": gln13(3)})
    )
    assert error.code == "gln_taken"


def test_site_of_another_organization_refused(pharmacy_admin, make_org, snapshot):
    other = make_org("pharmacy")
    error = refused(
        snapshot,
        lambda: services.site_create(
            actor=pharmacy_admin, organization=other, name="x", address="y 1", region="chuy"
        ),
        PermissionDenied,
    )
    assert error.code == "not_organization_admin"
    site = other.sites.get()
    error = refused(
        snapshot, lambda: services.site_update(actor=pharmacy_admin, site=site, data={"name": "z"})
    )
    assert error.code == "not_organization_admin"


# --- products ------------------------------------------------------------------------------------


@pytest.mark.parametrize("length", [8, 12, 13, 14])
def test_product_create_stores_any_gtin_as_gtin14(regulator, length):
    body = "4" * (length - 1)
    from salamat.codes.checkdigit import gs1_check_digit

    gtin = body + str(gs1_check_digit(body))
    product = services.product_create(actor=regulator, **product_fields(gtins=[gtin]))
    assert list(product.gtins.values_list("gtin", flat=True)) == [gtin.zfill(14)]
    assert AuditLog.objects.get(action="product.create").changes["gtins"] == [gtin.zfill(14)]


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"gtins": [wrong_check_digit(gtin13(5))]}, "bad_check_digit", "gtins"),
        ({"gtins": ["12345"]}, "gtin_malformed", "gtins"),
        ({"atc_code": "J1CA04"}, "atc_malformed", "atc_code"),
        ({"atc_code": "X01AA01"}, "atc_malformed", "atc_code"),
        ({"manufacturer_country": "XX"}, "unknown_country", "manufacturer_country"),
        ({"manufacturer_country": "KGZ"}, "unknown_country", "manufacturer_country"),
        ({"units_per_package": 0}, "not_positive_integer", "units_per_package"),
        ({"trade_name": ""}, "required", "trade_name"),
        ({"valid_until": date(2020, 1, 1)}, "valid_until_before_registered_on", "valid_until"),
    ],
)
def test_product_create_refuses_bad_fields(regulator, snapshot, overrides, code, field):
    error = refused(
        snapshot,
        lambda: services.product_create(actor=regulator, **product_fields(**overrides)),
        ValidationFailed,
    )
    assert error.code == code
    assert error.details["fields"][0]["field"] == field


def test_product_create_refuses_gtin_of_another_product(regulator, make_product, snapshot):
    other = make_product(gtin=gtin13(7))
    # when the same GTIN is given as 13 digits: it is the same GTIN-14
    error = refused(
        snapshot,
        lambda: services.product_create(actor=regulator, **product_fields(gtins=[gtin13(7)])),
        Conflict,
    )
    assert error.code == "gtin_taken"
    assert error.details["gtins"] == [gtin13(7).zfill(14)]
    assert other.gtins.count() == 1


def test_product_create_refuses_taken_registration_number(regulator, make_product, snapshot):
    make_product(registration_number="KG-T-0001")
    error = refused(snapshot, lambda: services.product_create(actor=regulator, **product_fields()), Conflict)
    assert error.code == "registration_number_taken"


@pytest.mark.parametrize("actor_kind", ["pharmacy_admin", "pharmacist"])
def test_product_writes_refused_to_participants(actor_kind, make_org, make_user, make_product, snapshot):
    from salamat.accounts.selectors import actor_for_user

    org = make_org("pharmacy")
    actor = actor_for_user(make_user("org_admin" if actor_kind == "pharmacy_admin" else "pharmacist", org))
    product = make_product()
    tracking_list = TrackingList.objects.create(code="l1", name="L1", mandatory_from=date(2026, 1, 1))
    calls = [
        lambda: services.product_create(actor=actor, **product_fields()),
        lambda: services.product_update(actor=actor, product=product, data={"trade_name": "x"}),
        lambda: services.product_add_gtin(actor=actor, product=product, gtin=gtin13(9)),
        lambda: services.tracking_list_create(
            actor=actor, code="x", name="x", mandatory_from=date(2027, 1, 1)
        ),
        lambda: services.tracking_list_add_products(
            actor=actor, tracking_list=tracking_list, products=[product]
        ),
    ]
    for call in calls:
        assert refused(snapshot, call, PermissionDenied).code == "ministry_only"


def test_api_client_of_ministry_may_write_registry(ministry, make_token):
    from salamat.accounts.selectors import actor_for_api_client, api_client_authenticate

    actor = actor_for_api_client(api_client_authenticate(make_token(ministry)))
    product = services.product_create(actor=actor, **product_fields())
    assert AuditLog.objects.get(action="product.create").actor_client == actor.api_client
    assert product.pk


def test_product_update(regulator, make_product, snapshot):
    product = make_product(trade_name="Oldname")
    services.product_update(
        actor=regulator, product=product, data={"trade_name": "Newname", "atc_code": "j01ca04"}
    )
    product.refresh_from_db()
    assert product.trade_name == "Newname"
    assert product.atc_code == "J01CA04"
    assert AuditLog.objects.get(action="product.update").changes["trade_name"] == {
        "old": "Oldname",
        "new": "Newname",
    }
    error = refused(
        snapshot,
        lambda: services.product_update(
            actor=regulator, product=product, data={"valid_until": date(2000, 1, 1)}
        ),
    )
    assert error.code == "valid_until_before_registered_on"
    error = refused(
        snapshot,
        lambda: services.product_update(actor=regulator, product=product, data={"gtins": [gtin13(1)]}),
    )
    assert error.code == "unknown_field"


def test_product_add_gtin(regulator, make_product, snapshot):
    product = make_product()
    other = make_product()
    row = services.product_add_gtin(actor=regulator, product=product, gtin=gtin13(11))
    assert row.gtin == "0" + gtin13(11)
    # adding it again is a no-op
    before = snapshot()
    assert services.product_add_gtin(actor=regulator, product=product, gtin="0" + gtin13(11)).pk == row.pk
    assert snapshot() == before
    assert (
        refused(
            snapshot, lambda: services.product_add_gtin(actor=regulator, product=other, gtin=gtin13(11))
        ).code
        == "gtin_taken"
    )
    assert (
        refused(
            snapshot,
            lambda: services.product_add_gtin(
                actor=regulator, product=other, gtin=wrong_check_digit(gtin13(12))
            ),
        ).code
        == "bad_check_digit"
    )


def test_product_manufacturer_must_be_a_manufacturer(regulator, make_org, snapshot):
    pharmacy = make_org("pharmacy")
    error = refused(
        snapshot, lambda: services.product_create(actor=regulator, **product_fields(manufacturer=pharmacy))
    )
    assert error.code == "not_a_manufacturer"
    maker = make_org("manufacturer")
    assert (
        services.product_create(actor=regulator, **product_fields(manufacturer=maker)).manufacturer == maker
    )


# --- tracking lists ------------------------------------------------------------------------------


def test_tracking_lists(regulator, make_product, snapshot):
    a, b = make_product(), make_product()
    first = services.tracking_list_create(
        actor=SYSTEM, code="first-list", name="First list", mandatory_from=date(2026, 1, 1)
    )
    assert services.tracking_list_add_products(actor=regulator, tracking_list=first, products=[a, b]) == 2
    # adding the same products again adds nothing and writes nothing
    before = snapshot()
    assert services.tracking_list_add_products(actor=regulator, tracking_list=first, products=[a]) == 0
    assert snapshot() == before
    assert set(first.products.all()) == {a, b}

    assert (
        refused(
            snapshot,
            lambda: services.tracking_list_create(
                actor=regulator, code="first-list", name="Again", mandatory_from=date(2026, 1, 1)
            ),
            Conflict,
        ).code
        == "tracking_list_code_taken"
    )
    assert (
        refused(
            snapshot,
            lambda: services.tracking_list_create(
                actor=regulator, code="Not a code!", name="x", mandatory_from=date(2026, 1, 1)
            ),
        ).code
        == "code_malformed"
    )
    all_drugs = services.tracking_list_create(
        actor=regulator, code="all", name="All", mandatory_from=date(2027, 1, 1), covers_all_products=True
    )
    assert (
        refused(
            snapshot,
            lambda: services.tracking_list_add_products(
                actor=regulator, tracking_list=all_drugs, products=[a]
            ),
        ).code
        == "list_covers_all_products"
    )
    assert services.tracking_list_remove_products(actor=regulator, tracking_list=first, products=[a]) == 1
    assert list(first.products.all()) == [b]


def test_services_leave_no_partial_rows_on_conflict(regulator, make_product):
    """A product whose second GTIN is taken is not created at all (one transaction)."""
    make_product(gtin=gtin13(21))
    with pytest.raises(Conflict):
        services.product_create(actor=regulator, **product_fields(gtins=[gtin13(20), gtin13(21)]))
    assert not Product.objects.filter(registration_number="KG-T-0001").exists()
    assert not ProductGtin.objects.filter(gtin="0" + gtin13(20)).exists()
