"""The registry over HTTP: product search and the organisation directory, per caller."""

from __future__ import annotations

import pytest

from salamat.registry.tests.helpers import gtin13

pytestmark = pytest.mark.django_db


@pytest.fixture
def pharmacy_client(api, make_org, make_token):
    return api(make_token(make_org("pharmacy", name="Calling Pharmacy")))


@pytest.fixture
def catalogue(make_product):
    return {
        "amox": make_product(
            trade_name="Amoxitest", inn="amoxicillin", atc_code="J01CA04", gtin="0" + gtin13(1)
        ),
        "cipro": make_product(
            trade_name="Ciprotest", inn="ciprofloxacin", atc_code="J01MA02", gtin="0" + gtin13(2)
        ),
        "para": make_product(
            trade_name="Paratest", inn="paracetamol", atc_code="N02BE01", gtin="0" + gtin13(3)
        ),
    }


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["trade_name"] for item in response.json()["items"]]


def test_products_need_authentication(api, catalogue):
    response = api().get("/api/v1/products")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": gtin13(2)}, ["Ciprotest"]),  # a GTIN-13 typed as 13 digits
        ({"gtin": gtin13(2)}, ["Ciprotest"]),
        ({"gtin": "0" + gtin13(1)}, ["Amoxitest"]),  # or as GTIN-14
        ({"q": "ciprotest"}, ["Ciprotest"]),  # trade name, any case
        ({"q": "paracetamol"}, ["Paratest"]),  # INN in the free text
        ({"inn": "amoxi"}, ["Amoxitest"]),
        ({"atc": "J01"}, ["Amoxitest", "Ciprotest"]),  # ATC prefix
        ({"atc": "j01ca"}, ["Amoxitest"]),
        ({"atc": "N"}, ["Paratest"]),
        ({"q": "nothing-like-this"}, []),
    ],
)
def test_product_search(pharmacy_client, catalogue, query, expected):
    assert names(pharmacy_client.get("/api/v1/products", query)) == expected


def test_product_search_result_shape(pharmacy_client, catalogue):
    body = pharmacy_client.get("/api/v1/products", {"q": gtin13(3)}).json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["gtins"] == ["0" + gtin13(3)]
    assert item["id"] == str(catalogue["para"].external_id)
    assert set(item) >= {
        "registration_number",
        "inn",
        "atc_code",
        "manufacturer_country",
        "units_per_package",
    }


def test_product_search_pagination(pharmacy_client, make_product):
    for n in range(7):
        make_product(trade_name=f"Pagetest {n}")
    first = pharmacy_client.get("/api/v1/products", {"q": "pagetest", "page_size": 3}).json()
    third = pharmacy_client.get("/api/v1/products", {"q": "pagetest", "page_size": 3, "page": 3}).json()
    beyond = pharmacy_client.get("/api/v1/products", {"q": "pagetest", "page_size": 3, "page": 9}).json()
    assert (first["count"], first["page"], first["page_size"]) == (7, 1, 3)
    assert [i["trade_name"] for i in first["items"]] == ["Pagetest 0", "Pagetest 1", "Pagetest 2"]
    assert [i["trade_name"] for i in third["items"]] == ["Pagetest 6"]
    assert beyond["items"] == []


@pytest.mark.parametrize("query", [{"gtin": "12345"}, {"page": 0}, {"page_size": 500}, {"atc": "J01CA04X"}])
def test_product_search_refuses_bad_parameters(pharmacy_client, query):
    response = pharmacy_client.get("/api/v1/products", query)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


def test_product_detail(pharmacy_client, catalogue):
    product = catalogue["amox"]
    assert pharmacy_client.get(f"/api/v1/products/{product.external_id}").json()["trade_name"] == "Amoxitest"
    missing = pharmacy_client.get("/api/v1/products/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    assert missing.json()["code"] == "product_not_found"


# --- organisation directory -----------------------------------------------------------------

PRIVATE_FIELDS = {"email", "phone", "licence_number", "legal_address", "created_at"}


@pytest.fixture
def subject(make_org):
    """The organisation being looked up, with contact details that are not public."""
    org = make_org("pharmacy", name="Subject Pharmacy", region="naryn")
    org.email = "subject@example.org"
    org.phone = "+996 000 123 456"
    org.licence_number = "LIC-1"
    org.save()
    return org


def test_directory_lists_public_fields_only(pharmacy_client, subject):
    body = pharmacy_client.get("/api/v1/organizations", {"q": "Subject"}).json()
    assert body["count"] == 1
    item = body["items"][0]
    assert item["name"] == "Subject Pharmacy"
    assert item["sites"][0]["region"] == "naryn"
    assert not PRIVATE_FIELDS & set(item)


def test_another_pharmacy_gets_public_fields(pharmacy_client, subject):
    body = pharmacy_client.get(f"/api/v1/organizations/{subject.external_id}").json()
    assert body["name"] == "Subject Pharmacy"
    assert not PRIVATE_FIELDS & set(body)
    assert "full" not in body


def test_the_organization_itself_gets_its_full_record(api, make_token, subject):
    body = api(make_token(subject)).get(f"/api/v1/organizations/{subject.external_id}").json()
    assert body["full"] is True
    assert body["email"] == "subject@example.org"
    assert body["licence_number"] == "LIC-1"


def test_the_regulator_gets_the_full_record(api, make_token, ministry, subject):
    body = api(make_token(ministry)).get(f"/api/v1/organizations/{subject.external_id}").json()
    assert body["full"] is True
    assert body["phone"] == "+996 000 123 456"


def test_regulator_person_by_session(client, regulator, subject):
    from conftest import TEST_PASSWORD

    assert client.login(username=regulator.user.username, password=TEST_PASSWORD)
    body = client.get(f"/api/v1/organizations/{subject.external_id}").json()
    assert body["full"] is True


def test_suspended_organization_hidden_from_the_public(pharmacy_client, api, make_token, ministry, make_org):
    suspended = make_org("pharmacy", name="Hidden Pharmacy", status="suspended")
    listed = pharmacy_client.get("/api/v1/organizations", {"q": "Hidden"}).json()
    assert listed["count"] == 0
    detail = pharmacy_client.get(f"/api/v1/organizations/{suspended.external_id}")
    assert detail.status_code == 404
    assert detail.json()["code"] == "organization_not_found"
    # the regulator still sees it
    body = api(make_token(ministry)).get(f"/api/v1/organizations/{suspended.external_id}").json()
    assert body["status"] == "suspended"


def test_directory_filters(pharmacy_client, make_org):
    make_org("wholesaler", name="Filter Wholesaler", region="talas")
    make_org("pharmacy", name="Filter Pharmacy", region="talas")
    make_org("pharmacy", name="Filter Pharmacy Far", region="batken")
    body = pharmacy_client.get(
        "/api/v1/organizations", {"q": "Filter", "org_type": "pharmacy", "region": "talas"}
    ).json()
    assert [item["name"] for item in body["items"]] == ["Filter Pharmacy"]
    bad = pharmacy_client.get("/api/v1/organizations", {"region": "atlantis"})
    assert bad.status_code == 422
