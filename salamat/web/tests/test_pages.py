"""Web pages through the Django test client: each page for the visitor and each role."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from salamat.accounts.models import Membership
from salamat.accounts.selectors import SESSION_ORG_KEY
from salamat.web.middleware import SIGNED_IN_COOKIE
from salamat.web.tests.conftest import ROLE_ORG_TYPES

pytestmark = pytest.mark.django_db

PUBLIC_CARDS = (reverse("web:product_list"), reverse("web:organization_list"))


def _html(response) -> str:
    return response.content.decode()


# --- layout and home page ----------------------------------------------------------


def test_home_for_an_anonymous_visitor_shows_public_services_and_login(client):
    response = client.get("/")
    html = _html(response)
    assert response.status_code == 200
    assert '<html lang="ru"' in html  # Russian is the default language
    assert 'href="#main"' in html and 'id="main"' in html  # skip link and its target
    assert "dev-banner" in html  # tests run in a development mode
    for url in PUBLIC_CARDS:
        assert f'href="{url}"' in html
    assert reverse("web:login") in html
    assert reverse("web:api_clients") not in html


def test_production_mode_has_no_development_banner(client, settings):
    settings.DEV_MODE = False
    assert "dev-banner" not in _html(client.get("/"))


@pytest.mark.parametrize("role", sorted(ROLE_ORG_TYPES))
def test_home_per_role_shows_the_acting_organisation_role_and_cards(client, person, role):
    user = person(role)
    membership = Membership.objects.get(user=user)
    client.force_login(user)
    html = _html(client.get("/", HTTP_ACCEPT_LANGUAGE="en"))
    assert str(membership.organization) in html
    assert membership.get_role_display() in html
    for url in PUBLIC_CARDS:
        assert f'href="{url}"' in html
    my_org = reverse("web:organization_detail", args=[membership.organization.external_id])
    assert f'href="{my_org}"' in html
    # Only organisation administrators manage API clients.
    assert (reverse("web:api_clients") in html) is (role == "org_admin")


def test_home_for_a_citizen_has_no_organisation(client, person):
    client.force_login(person(None))
    html = _html(client.get("/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Citizen account (no organisation)" in html
    assert "context-bar" not in html
    assert reverse("web:api_clients") not in html


def test_staff_user_sees_the_administration_card(client, person):
    user = person("regulator")
    user.is_staff = True
    user.save()
    client.force_login(user)
    assert reverse("admin:index") in _html(client.get("/"))


def test_regulator_without_staff_flag_has_no_administration_card(client, person):
    client.force_login(person("regulator"))
    assert reverse("admin:index") not in _html(client.get("/"))


# --- the navigation registry --------------------------------------------------------------


def test_nav_entries_for_missing_pages_are_skipped_and_roles_respected(client, person):
    from salamat.core.nav import NavItem, register, unregister

    register(
        NavItem(roles={"pharmacist"}, url_name="traceability:no-such-page", label="Ghost page"),
        NavItem(roles={"pharmacist"}, path="/no-such-path-yet", label="Ghost path"),
        NavItem(roles={"pharmacist"}, url_name="api-docs", label="Pharmacist tool", description="One line"),
    )
    try:
        client.force_login(person("pharmacist"))
        html = _html(client.get("/"))
        assert "Pharmacist tool" in html and "One line" in html
        assert "Ghost page" not in html and "Ghost path" not in html
        client.force_login(person("doctor"))
        assert "Pharmacist tool" not in _html(client.get("/"))
    finally:
        for key in ("traceability:no-such-page", "/no-such-path-yet", "api-docs"):
            unregister(key)


def test_nav_item_needs_exactly_one_target():
    from salamat.core.nav import NavItem

    with pytest.raises(ValueError):
        NavItem(roles={"public"}, label="x")
    with pytest.raises(ValueError):
        NavItem(roles={"public"}, label="x", url_name="web:home", path="/")


# --- organisation switcher ---------------------------------------------------------------


def test_person_with_two_organisations_can_switch_between_them(client, make_org, make_user):
    first, second = make_org("pharmacy", name="Alpha Pharmacy"), make_org("pharmacy", name="Beta Pharmacy")
    user = make_user("pharmacist", first)
    Membership.objects.create(user=user, organization=second, role="org_admin")
    client.force_login(user)
    html = _html(client.get("/"))
    assert reverse("web:organization_switch") in html  # the switcher is offered
    assert "Alpha Pharmacy" in html

    response = client.post(
        reverse("web:organization_switch"),
        {"organization": str(second.external_id), "next": "/registry/products/"},
    )
    assert response.status_code == 302 and response.url == "/registry/products/"
    assert client.session[SESSION_ORG_KEY] == str(second.external_id)
    html = _html(client.get("/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Organisation administrator" in html  # the role there


def test_switching_to_an_organisation_one_does_not_belong_to_is_refused(client, make_org, make_user):
    mine, theirs = make_org("pharmacy"), make_org("pharmacy")
    user = make_user("pharmacist", mine)
    client.force_login(user)
    response = client.post(
        reverse("web:organization_switch"),
        {"organization": str(theirs.external_id), "next": "https://evil.example/"},
    )
    assert response.status_code == 302 and response.url == "/"  # no open redirect
    assert SESSION_ORG_KEY not in client.session


def test_a_person_with_one_organisation_gets_no_switcher(client, person):
    client.force_login(person("pharmacist"))
    assert reverse("web:organization_switch") not in _html(client.get("/"))


# --- languages ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "word"),
    [("ru", "Реестр лекарств"), ("ky", "Дары каражаттарынын реестри"), ("en", "Medicines registry")],
)
def test_language_switch_keeps_the_page_and_translates_it(client, language, word):
    response = client.post("/i18n/setlang/", {"language": language, "next": "/registry/products/?q=amox"})
    assert response.status_code == 302 and response.url == "/registry/products/?q=amox"
    html = _html(client.get("/registry/products/?q=amox"))
    assert f'<html lang="{language}"' in html
    assert word in html


def test_every_page_has_the_language_switcher(client):
    for url in ("/", "/login/", "/registry/products/", "/registry/organizations/"):
        assert 'action="/i18n/setlang/"' in _html(client.get(url)), url


# --- login, logout, session expiry ----------------------------------------------------


def test_login_page_has_no_esi_button_unless_configured(client, settings):
    settings.ESI_LOGIN_URL = ""
    assert "ESI" not in _html(client.get("/login/", HTTP_ACCEPT_LANGUAGE="en"))
    settings.ESI_LOGIN_URL = "/oidc/authenticate/"
    html = _html(client.get("/login/?next=/registry/products/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Log in with ESI (national single sign-on)" in html
    assert 'href="/oidc/authenticate/?next=%2Fregistry%2Fproducts%2F"' in html


def test_login_and_logout(client, person):
    from conftest import TEST_PASSWORD

    user = person("pharmacist")
    response = client.post(
        "/login/", {"username": user.username, "password": TEST_PASSWORD, "next": "/registry/products/"}
    )
    assert response.status_code == 302 and response.url == "/registry/products/"
    assert response.cookies[SIGNED_IN_COOKIE].value == "1"
    assert "confirm" not in _html(client.get("/logout/"))  # GET asks, does not log out
    assert client.session.get("_auth_user_id")
    response = client.post("/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert response.cookies[SIGNED_IN_COOKIE].value == ""  # the marker is removed: not an expiry


def test_wrong_password_says_so(client, person):
    user = person("pharmacist")
    response = client.post(
        "/login/", {"username": user.username, "password": "nope"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "The user name or password is not correct" in _html(response)


def test_expired_session_redirects_to_login_with_a_message_and_next(client, person):
    from django.contrib.sessions.models import Session

    client.force_login(person("org_admin"))
    assert client.get("/account/api-clients/").status_code == 200  # sets the signed-in marker
    Session.objects.all().delete()  # the session expires on the server

    response = client.get("/account/api-clients/?x=1", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    assert response.url == "/login/?next=/account/api-clients/%3Fx%3D1"
    page = client.get(response.url, HTTP_ACCEPT_LANGUAGE="en")
    html = _html(page)
    assert "Your session has expired" in html
    assert 'name="next" value="/account/api-clients/?x=1"' in html


def test_anonymous_visitor_of_a_private_page_is_sent_to_login_without_expiry_message(client):
    response = client.get("/account/api-clients/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302 and response.url == "/login/?next=/account/api-clients/"
    assert "Your session has expired" not in _html(client.get(response.url, HTTP_ACCEPT_LANGUAGE="en"))


def test_htmx_request_after_expiry_reloads_the_whole_page_at_login(client):
    response = client.get(
        "/account/api-clients/",
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/account/api-clients/",
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/login/?next=/account/api-clients/"


def test_unknown_page_is_an_html_404(client):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "Page not found" in _html(response)


# --- product search and detail ------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("amoxi", {"Amoxidemo"}),  # trade name
        ("PARACETAMOLUM", {"Paracetamol-Bishkek"}),  # INN, any case
        ("kg-ins-0003", {"Insulinum Rapid"}),  # registration number
        ("", {"Amoxidemo", "Paracetamol-Bishkek", "Insulinum Rapid"}),
    ],
)
def test_product_search_by_name_inn_and_registration_number(client, registry, query, expected):
    html = _html(client.get("/registry/products/", {"q": query}))
    found = {name for name in ("Amoxidemo", "Paracetamol-Bishkek", "Insulinum Rapid") if name in html}
    assert found == expected


def test_product_search_by_gtin_of_any_length(client, registry):
    gtin14 = registry["para"].gtins.get().gtin
    for code in (gtin14, gtin14[1:]):  # GTIN-14 and GTIN-13
        html = _html(client.get("/registry/products/", {"q": code}))
        assert "Paracetamol-Bishkek" in html and "Amoxidemo" not in html


def test_product_search_by_atc_prefix(client, registry):
    html = _html(client.get("/registry/products/", {"atc": "j01"}))
    assert "Amoxidemo" in html and "Paracetamol-Bishkek" not in html


def test_malformed_atc_code_names_the_field(client, registry):
    response = client.get("/registry/products/", {"atc": "1X"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = _html(response)
    assert "An ATC code looks like J01CA04" in html
    assert "Amoxidemo" not in html


def test_product_search_is_paginated(client, make_product):
    for n in range(25):
        make_product(trade_name=f"Pagimycin {n:02d}")
    first = _html(client.get("/registry/products/", {"q": "Pagimycin"}, HTTP_ACCEPT_LANGUAGE="en"))
    assert "Pagimycin 00" in first and "Pagimycin 20" not in first
    assert "25 medicines found" in first and "Page 1 of 2" in first
    assert "?q=Pagimycin&amp;page=2" in first
    second = _html(client.get("/registry/products/", {"q": "Pagimycin", "page": 2}))
    assert "Pagimycin 20" in second and "Pagimycin 00" not in second


def test_live_search_answers_only_the_results(client, registry):
    response = client.get(
        "/registry/products/", {"q": "amox"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
    )
    html = _html(response)
    assert html.lstrip().startswith('<section id="results"')
    assert "<html" not in html and "Amoxidemo" in html


def test_product_detail_is_public_and_complete(client, registry):
    product = registry["amox"]
    html = _html(client.get(f"/registry/products/{product.external_id}/", HTTP_ACCEPT_LANGUAGE="en"))
    for text in (
        "Amoxidemo",
        "amoxicillinum",
        "J01CR02",
        "film-coated tablets",
        "625 mg",
        "14",
        "Velmora Demo Pharma",
        "Kyrgyzstan",
        "KG-AMX-0001",
        product.gtins.get().gtin,
        "First list",
        "Tracking mandatory",
        "2024-04-01",
    ):
        assert text in html, text
    manufacturer_url = reverse("web:organization_detail", args=[registry["manufacturer"].external_id])
    assert manufacturer_url in html
    # the country of manufacture by its name, in the page's language
    for language, name in (("ru", "Кыргызстан"), ("ky", "Кыргызстан")):
        page = _html(client.get(f"/registry/products/{product.external_id}/", HTTP_ACCEPT_LANGUAGE=language))
        assert f"<dd>{name}</dd>" in page


def test_product_detail_shows_planned_tracking_and_expired_registration(client, registry):
    html = _html(client.get(f"/registry/products/{registry['para'].external_id}/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Tracking planned" in html and "2099-01-01" in html
    html = _html(
        client.get(f"/registry/products/{registry['insulin'].external_id}/", HTTP_ACCEPT_LANGUAGE="en")
    )
    assert "Registration not valid" in html and "Not on a tracking list" in html


def test_unknown_product_is_404(client, registry):
    assert client.get(f"/registry/products/{uuid.uuid4()}/").status_code == 404


# --- organisation directory and detail ---------------------------------------------------------


def test_directory_filters_by_type_region_and_name_or_tax_id(client, registry):
    def names(params):
        html = _html(client.get("/registry/organizations/", params))
        return {
            n
            for n in (
                "Birch Demo Pharmacy No. 7",
                "Family Clinic Talas",
                "Velmora Demo Pharma",
                "Closed Pharmacy",
            )
            if n in html
        }

    assert names({}) == {
        "Birch Demo Pharmacy No. 7",
        "Family Clinic Talas",
        "Velmora Demo Pharma",
    }  # active only
    assert names({"org_type": "medical"}) == {"Family Clinic Talas"}
    assert names({"region": "osh_city"}) == {"Birch Demo Pharmacy No. 7"}
    assert names({"q": "birch"}) == {"Birch Demo Pharmacy No. 7"}
    assert names({"q": registry["clinic"].tax_id}) == {"Family Clinic Talas"}


def test_directory_refuses_an_unknown_region(client, registry):
    html = _html(client.get("/registry/organizations/", {"region": "atlantis"}, HTTP_ACCEPT_LANGUAGE="en"))
    assert "Select a valid choice" in html
    assert "Birch Demo Pharmacy No. 7" not in html


PRIVATE_FIELDS = ("birch7@example.kg", "+996 312 000 007", "LIC-777")


def _org_page(client, org):
    return client.get(f"/registry/organizations/{org.external_id}/", HTTP_ACCEPT_LANGUAGE="en")


def test_organisation_detail_shows_only_public_fields_to_a_visitor(client, registry):
    html = _html(_org_page(client, registry["pharmacy"]))
    assert "Birch Demo Pharmacy No. 7" in html and registry["pharmacy"].tax_id in html
    assert not any(field in html for field in PRIVATE_FIELDS)
    assert "Full record" not in html


def test_organisation_detail_public_only_for_staff_of_another_organisation(client, registry, person):
    client.force_login(person("pharmacist"))
    html = _html(_org_page(client, registry["pharmacy"]))
    assert not any(field in html for field in PRIVATE_FIELDS)


@pytest.mark.parametrize("role", ["regulator", "ministry_reviewer"])
def test_organisation_detail_full_for_the_ministry(client, registry, person, role):
    client.force_login(person(role))
    html = _html(_org_page(client, registry["pharmacy"]))
    assert all(field in html for field in PRIVATE_FIELDS)
    assert "Full record" in html


def test_organisation_detail_full_for_its_own_staff(client, registry, person):
    client.force_login(person("pharmacist", org=registry["pharmacy"]))
    html = _html(_org_page(client, registry["pharmacy"]))
    assert all(field in html for field in PRIVATE_FIELDS)


def test_suspended_organisation_is_hidden_from_the_public_but_not_the_regulator(client, registry, person):
    assert _org_page(client, registry["suspended"]).status_code == 404
    client.force_login(person("regulator"))
    response = _org_page(client, registry["suspended"])
    assert response.status_code == 200 and "Suspended" in _html(response)


# --- API clients -------------------------------------------------------------------------------


def test_org_admin_issues_a_token_shown_once_and_revokes_it(client, person):
    from salamat.accounts.models import ApiClient
    from salamat.accounts.services import hash_token
    from salamat.core.models import AuditLog

    admin = person("org_admin")
    client.force_login(admin)
    assert client.get("/account/api-clients/").status_code == 200

    response = client.post("/account/api-clients/", {"name": "Till 2"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    api_client = ApiClient.objects.get()
    html = _html(response)
    token = html.split('id="issued-token" type="text" readonly value="')[1].split('"')[0]
    assert token.startswith("slm_") and hash_token(token) == api_client.token_hash
    assert "shown only this once" in html
    assert token not in _html(client.get("/account/api-clients/"))  # never shown again

    response = client.post(f"/account/api-clients/{api_client.external_id}/revoke/")
    assert response.status_code == 302
    api_client.refresh_from_db()
    assert api_client.revoked_at is not None
    assert list(AuditLog.objects.values_list("action", flat=True).order_by("id")) == [
        "api_client.issue",
        "api_client.revoke",
    ]


def test_issuing_without_a_name_is_refused(client, person):
    from salamat.accounts.models import ApiClient

    client.force_login(person("org_admin"))
    response = client.post("/account/api-clients/", {"name": "  "}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    assert "Give the API client a name." in _html(response)
    assert not ApiClient.objects.exists()


def test_revoking_twice_is_a_conflict(client, person, make_token):
    from salamat.accounts.models import ApiClient

    admin = person("org_admin")
    make_token(admin.memberships.get().organization)
    api_client = ApiClient.objects.get()
    client.force_login(admin)
    client.post(f"/account/api-clients/{api_client.external_id}/revoke/")
    response = client.post(
        f"/account/api-clients/{api_client.external_id}/revoke/", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 409
    assert "already revoked" in _html(response)


@pytest.mark.parametrize("role", ["pharmacist", "warehouse_operator", "regulator", None])
def test_non_admins_can_neither_list_issue_nor_revoke(client, person, make_org, make_token, role):
    from salamat.accounts.models import ApiClient
    from salamat.core.models import AuditLog

    org = make_org("pharmacy")
    make_token(org)
    existing = ApiClient.objects.get()
    user = person(role, org=org) if role in ("pharmacist", "warehouse_operator") else person(role)
    client.force_login(user)
    before = (ApiClient.objects.count(), AuditLog.objects.count())

    assert client.get("/account/api-clients/").status_code == 403
    assert client.post("/account/api-clients/", {"name": "Sneaky"}).status_code == 403
    assert client.post(f"/account/api-clients/{existing.external_id}/revoke/").status_code == 403

    existing.refresh_from_db()
    assert existing.revoked_at is None
    assert (ApiClient.objects.count(), AuditLog.objects.count()) == before


def test_admin_cannot_revoke_another_organisations_client(client, person, make_org, make_token):
    from salamat.accounts.models import ApiClient

    make_token(make_org("pharmacy"))
    other = ApiClient.objects.get()
    client.force_login(person("org_admin"))
    assert client.post(f"/account/api-clients/{other.external_id}/revoke/").status_code == 404
    other.refresh_from_db()
    assert other.revoked_at is None


def test_anonymous_cannot_issue(client):
    from salamat.accounts.models import ApiClient

    response = client.post("/account/api-clients/", {"name": "x"})
    assert response.status_code == 302 and response.url.startswith("/login/")
    assert not ApiClient.objects.exists()
