"""The layout in a real browser (headless Chromium) on a 360 px phone and a 1280 px desktop."""

from __future__ import annotations

import re

import pytest

from conftest import TEST_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = [360, 1280]


def assert_no_horizontal_scroll(page, width: int) -> None:
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{page.url}: page is {scroll_width}px wide in a {width}px viewport"


def html_lang(page) -> str:
    return page.evaluate("document.documentElement.lang")


@pytest.mark.parametrize("width", WIDTHS)
def test_visitor_switches_language_logs_in_and_searches_the_registry(page_at, shot, registry, person, width):
    from salamat.accounts.models import Membership

    user = person("pharmacist", org=registry["pharmacy"], username=f"pharm{width}")
    Membership.objects.create(user=user, organization=registry["clinic"], role="pharmacist")
    page = page_at(width)

    # given a first visit: Russian, the default
    page.goto("/")
    assert html_lang(page) == "ru"
    assert (
        page.get_by_role("heading", level=1).inner_text()
        == "Национальная платформа электронного здравоохранения"
    )
    assert_no_horizontal_scroll(page, width)
    shot(page, f"home-anonymous-ru-{width}")

    # when the visitor switches to Kyrgyz, then to English, the same page changes language
    page.get_by_role("button", name="Кыргызча").click()
    page.wait_for_function("document.documentElement.lang === 'ky'")
    assert (
        page.get_by_role("heading", level=1).inner_text()
        == "Улуттук электрондук саламаттыкты сактоо платформасы"
    )
    assert_no_horizontal_scroll(page, width)
    shot(page, f"home-anonymous-ky-{width}")
    page.get_by_role("button", name="English").click()
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.get_by_role("heading", level=1).inner_text() == "National e-health platform"

    # when they log in
    page.get_by_role("link", name="Log in").first.click()
    assert_no_horizontal_scroll(page, width)
    shot(page, f"login-en-{width}")
    page.get_by_label("User name").fill(user.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_url(re.compile(r"/$"))
    assert "Birch Demo Pharmacy No. 7" in page.locator(".context-bar").inner_text()
    assert_no_horizontal_scroll(page, width)
    shot(page, f"home-pharmacist-en-{width}")

    # the account menu fits the screen
    page.locator(".account-menu > summary").click()
    box = page.locator(".account-panel").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    shot(page, f"account-menu-{width}")
    page.keyboard.press("Escape")

    # the person belongs to two organisations and switches to the other one
    page.locator(".org-switch > summary").click()
    assert_no_horizontal_scroll(page, width)
    shot(page, f"org-switch-open-{width}")
    page.get_by_role("button", name="Family Clinic Talas").click()
    page.locator(".messages").wait_for()
    assert "Family Clinic Talas" in page.locator(".context-bar .acting").inner_text()

    # then they search the registry (live search, no submit) and open a product
    page.get_by_role("link", name="Medicines registry").first.click()
    page.get_by_label("Name, INN, GTIN or registration number").fill("amox")
    page.wait_for_url(re.compile(r"q=amox"))
    page.get_by_role("link", name="Amoxidemo").wait_for()
    assert page.get_by_role("link", name="Paracetamol-Bishkek").count() == 0
    assert_no_horizontal_scroll(page, width)
    shot(page, f"products-search-{width}")
    page.get_by_role("link", name="Amoxidemo").click()
    page.get_by_role("heading", level=1, name="Amoxidemo").wait_for()
    assert "KG-AMX-0001" in page.content()
    assert_no_horizontal_scroll(page, width)
    shot(page, f"product-detail-{width}")

    # and the language switch keeps them on the product page
    page.get_by_role("button", name="Русский").click()
    page.wait_for_function("document.documentElement.lang === 'ru'")
    page.get_by_role("heading", level=1, name="Amoxidemo").wait_for()
    assert "Регистрационный номер" in page.content()
    shot(page, f"product-detail-ru-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_product_search_works_without_javascript(browser, live_server, registry, width):
    ctx = browser.new_context(
        viewport={"width": width, "height": 800}, java_script_enabled=False, base_url=live_server.url
    )
    try:
        page = ctx.new_page()
        page.goto("/registry/products/")
        page.get_by_label("ATC code").fill("N02")
        page.get_by_role("button", name="Search").click()
        page.wait_for_url(re.compile(r"atc=N02"))
        assert page.get_by_role("link", name="Paracetamol-Bishkek").count() == 1
        assert page.get_by_role("link", name="Amoxidemo").count() == 0
    finally:
        ctx.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_directory_and_organisation_pages(page_at, shot, registry, person, width):
    page = page_at(width, locale="en-GB")
    page.goto("/registry/organizations/")
    page.get_by_role("link", name="Birch Demo Pharmacy No. 7").wait_for()
    assert_no_horizontal_scroll(page, width)
    shot(page, f"organizations-{width}")
    page.get_by_label("Type").select_option("medical")
    page.wait_for_url(re.compile(r"org_type=medical"))
    page.get_by_role("link", name="Family Clinic Talas").wait_for()
    assert page.get_by_role("link", name="Birch Demo Pharmacy No. 7").count() == 0

    # the regulator sees the full record
    regulator = person("regulator", username=f"reg{width}")
    page.goto("/login/?next=/registry/organizations/" + str(registry["pharmacy"].external_id) + "/")
    page.get_by_label("User name").fill(regulator.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.get_by_role("heading", level=1, name="Birch Demo Pharmacy No. 7").wait_for()
    assert "LIC-777" in page.content()
    assert_no_horizontal_scroll(page, width)
    shot(page, f"organization-full-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_admin_issues_and_revokes_an_api_client(page_at, shot, person, width):
    from salamat.accounts.models import ApiClient

    admin = person("org_admin", username=f"admin{width}")
    page = page_at(width)
    page.goto("/login/")
    page.locator("#id_username").fill(admin.username)
    page.locator("#id_password").fill(TEST_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/account/api-clients/")
    page.locator("#id_name").fill("Till 2")
    page.locator("form.inline-form button[type=submit]").click()
    token = page.locator("#issued-token").input_value()
    assert token.startswith("slm_")
    assert page.locator("[data-copy-target]").is_visible()  # the copy button appears with JS
    assert_no_horizontal_scroll(page, width)
    shot(page, f"api-clients-issued-{width}")

    page.goto("/account/api-clients/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("form[data-confirm] button").click()
    page.locator(".messages").wait_for()
    assert ApiClient.objects.get().revoked_at is not None
    assert_no_horizontal_scroll(page, width)
    shot(page, f"api-clients-revoked-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_login_page_offers_esi_when_configured(page_at, shot, settings, width):
    settings.ESI_LOGIN_URL = "/oidc/authenticate/"
    page = page_at(width)
    page.goto("/login/?next=/registry/products/")
    esi = page.get_by_role("button", name="Войти через ЕСИ (единую систему идентификации)")
    assert esi.get_attribute("href") == "/oidc/authenticate/?next=%2Fregistry%2Fproducts%2F"
    assert_no_horizontal_scroll(page, width)
    shot(page, f"login-esi-ru-{width}")
