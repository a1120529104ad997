"""The Django admin for ministry staff: pages open, writes go through the services, the audit log is read-only."""

from __future__ import annotations

import pytest
from django.test import Client

from salamat.accounts.models import ApiClient
from salamat.core.models import AuditLog
from salamat.registry.models import Organization, Product
from salamat.registry.tests.helpers import gln13, gtin13, wrong_check_digit

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(regulator) -> Client:
    """A regulator of the ministry with the ministry staff group, logged in to the admin."""
    from salamat.accounts.demo import _ministry_staff_group

    user = regulator.user
    user.is_staff = True
    user.save()
    user.groups.add(_ministry_staff_group())
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def superuser_client(make_user) -> Client:
    user = make_user(username="root")
    user.is_staff = user.is_superuser = True
    user.save()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def management(prefix: str, total: int = 0, initial: int = 0) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/registry/organization/",
        "/admin/registry/organization/?org_type__exact=pharmacy&status__exact=active",
        "/admin/registry/site/",
        "/admin/registry/product/?q=4710000000013",
        "/admin/registry/product/?validity=valid&atc=J",
        "/admin/registry/trackinglist/",
        "/admin/core/auditlog/",
        "/admin/core/auditlog/?q=abc",
        "/admin/accounts/user/",
        "/admin/accounts/apiclient/",
    ],
)
def test_admin_pages_open_for_ministry_staff(staff_client, make_org, make_product, make_token, path):
    make_token(make_org("pharmacy"))
    make_product()
    assert staff_client.get(path).status_code == 200


def test_change_pages_open(staff_client, superuser_client, make_org, make_product, ministry):
    org = make_org("pharmacy")
    product = make_product()
    assert staff_client.get(f"/admin/registry/organization/{org.pk}/change/").status_code == 200
    assert staff_client.get(f"/admin/registry/product/{product.pk}/change/").status_code == 200
    user = ministry.memberships.first().user
    assert superuser_client.get(f"/admin/accounts/user/{user.pk}/change/").status_code == 200


def test_add_organization_goes_through_the_service(staff_client, regulator):
    # given
    data = {
        "name": "Admin Demo Pharmacy",
        "short_name": "",
        "org_type": "pharmacy",
        "ownership": "private",
        "tax_id": "08100000000777",
        "status": "active",
        "legal_address": "",
        "region": "talas",
        "email": "",
        "phone": "",
        "licence_number": "",
        **management("sites", total=1),
        "sites-0-name": "Main",
        "sites-0-address": "Example St. 7",
        "sites-0-region": "talas",
        "sites-0-district": "",
        "sites-0-gln": gln13(7),
        "sites-0-is_active": "on",
    }
    # when
    response = staff_client.post("/admin/registry/organization/add/", data)
    # then
    assert response.status_code == 302, response.content.decode()[:2000]
    org = Organization.objects.get(tax_id="08100000000777")
    assert org.sites.get().gln == gln13(7)
    assert AuditLog.objects.get(action="organization.create").actor_user == regulator.user
    assert AuditLog.objects.get(action="site.create").object_id == str(org.sites.get().external_id)


def test_admin_form_shows_the_service_errors(staff_client, snapshot):
    data = {
        "name": "Bad",
        "org_type": "pharmacy",
        "ownership": "private",
        "tax_id": "123",
        "status": "active",
        "region": "talas",
        **management("sites", total=1),
        "sites-0-name": "Main",
        "sites-0-address": "x 1",
        "sites-0-region": "talas",
        "sites-0-gln": wrong_check_digit(gln13(8)),
    }
    before = snapshot()
    response = staff_client.post("/admin/registry/organization/add/", data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "A tax ID is exactly 14 digits." in body
    assert "has a wrong check digit" in body
    assert snapshot() == before


def test_add_product_with_gtin13(staff_client):
    data = {
        "registration_number": "KG-ADM-1",
        "registered_on": "2024-01-01",
        "valid_until": "2029-01-01",
        "trade_name": "Admintest",
        "inn": "paracetamol",
        "atc_code": "n02be01",
        "dosage_form": "tablets",
        "strength": "500 mg",
        "units_per_package": "20",
        "manufacturer_name": "Example Demo Pharma",
        "manufacturer_country": "kg",
        "manufacturer": "",
        **management("gtins", total=1),
        "gtins-0-gtin": gtin13(40),
    }
    response = staff_client.post("/admin/registry/product/add/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    product = Product.objects.get(registration_number="KG-ADM-1")
    assert (product.atc_code, product.manufacturer_country) == ("N02BE01", "KG")
    assert list(product.gtins.values_list("gtin", flat=True)) == ["0" + gtin13(40)]
    assert AuditLog.objects.filter(action="product.add_gtin").exists()


def test_suspend_action(staff_client, make_org):
    org = make_org("pharmacy")
    response = staff_client.post(
        "/admin/registry/organization/", {"action": "suspend", "_selected_action": [org.pk]}
    )
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.status == "suspended"
    assert AuditLog.objects.get(action="organization.set_status").changes["reason"] == "admin action"


def test_non_ministry_staff_may_only_look(make_org, make_user, snapshot):
    from salamat.accounts.demo import _ministry_staff_group

    user = make_user("pharmacist", make_org("pharmacy"))
    user.is_staff = True
    user.save()
    user.groups.add(_ministry_staff_group())
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    assert client.get("/admin/registry/product/").status_code == 200
    before = snapshot()
    assert client.get("/admin/registry/product/add/").status_code == 403
    assert snapshot() == before


def test_audit_log_is_read_only(superuser_client, staff_client, make_org):
    make_org("pharmacy")
    from salamat.core.actors import SYSTEM
    from salamat.core.audit import audit_record

    row = audit_record(actor=SYSTEM, action="test.action", object_type="x", object_id="1")
    for client in (superuser_client, staff_client):
        assert client.get("/admin/core/auditlog/add/").status_code == 403
        assert client.post(f"/admin/core/auditlog/{row.pk}/delete/").status_code == 403
        page = client.get(f"/admin/core/auditlog/{row.pk}/change/")
        assert page.status_code == 200
        assert 'name="action"' not in page.content.decode()  # shown, not editable
    assert AuditLog.objects.filter(pk=row.pk).exists()


def test_revoke_api_client_action(superuser_client, make_org, make_token):
    make_token(make_org("pharmacy"))
    client_row = ApiClient.objects.get()
    response = superuser_client.post(
        "/admin/accounts/apiclient/", {"action": "revoke", "_selected_action": [client_row.pk]}
    )
    assert response.status_code == 302
    client_row.refresh_from_db()
    assert client_row.revoked_at is not None
    assert AuditLog.objects.filter(action="api_client.revoke").exists()
    # the token is never shown, not even its hash
    page = superuser_client.get(f"/admin/accounts/apiclient/{client_row.pk}/change/").content.decode()
    assert client_row.token_hash not in page


def test_user_pages_for_superuser(superuser_client, make_org, make_user):
    assert superuser_client.get("/admin/accounts/user/add/").status_code == 200
    response = superuser_client.post(
        "/admin/accounts/user/add/",
        {
            "username": "new-person",
            "password1": "a-long-enough-password-1",
            "password2": "a-long-enough-password-1",
            "usable_password": "true",
            **management("memberships"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert AuditLog.objects.filter(action="user.admin_create").exists()
