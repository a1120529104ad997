"""In a real browser: "Log in with ESI", one click on a person at the stand-in ESI, and
back on the platform logged in — through the real redirects and the form post."""

from __future__ import annotations

import pytest
from django.conf import settings

from salamat.accounts.models import User
from salamat.devidp.people import PEOPLE
from salamat.devidp.testing import CLINIC_REPRESENTATIVE, DOCTOR, esi_setup

pytestmark = pytest.mark.browser


def _click_log_in_with_esi(page, live_server) -> None:
    """The login page's ESI button when the layout has one, else its address directly."""
    page.goto(live_server.url + "/login/")
    button = page.locator(f'a[href^="{settings.ESI_LOGIN_URL}"]')
    if button.count():
        button.first.click()
    else:
        page.goto(live_server.url + settings.ESI_LOGIN_URL)
    page.wait_for_url("**/devidp/login/**")


def test_log_in_with_esi(page_at, shot, live_server):
    esi_setup(live_server)
    page = page_at(1280, locale="ru-RU")

    _click_log_in_with_esi(page, live_server)
    assert page.get_by_text("STAND-IN ESI").count() or page.get_by_text("только для разработки").count()
    shot(page, "esi-provider-login")
    # nobody is logged in to the platform by being at the provider
    assert page.request.get(live_server.url + "/api/v1/whoami").status == 401

    page.click(f'button[data-person="{CLINIC_REPRESENTATIVE}"]')
    page.wait_for_url(live_server.url + "/")
    shot(page, "esi-logged-in-home")

    me = page.request.get(live_server.url + "/api/v1/whoami").json()
    rep = PEOPLE[0]
    assert me["kind"] == "user"
    assert me["name"] == f"{rep.family_name} {rep.given_name} {rep.middle_name}"
    assert User.objects.get(esi_sub=CLINIC_REPRESENTATIVE).pin == rep.pin
    page.goto(live_server.url + "/api/v1/whoami")
    shot(page, "esi-logged-in-whoami")


def test_log_in_with_esi_on_a_phone(page_at, shot, live_server):
    esi_setup(live_server)
    page = page_at(360, locale="ky-KG")
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "ky", "url": live_server.url}])

    _click_log_in_with_esi(page, live_server)
    shot(page, "esi-provider-login-phone-ky")
    # the page fits the phone: no sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.click(f'button[data-person="{DOCTOR}"]')
    page.wait_for_url(live_server.url + "/")
    assert page.request.get(live_server.url + "/api/v1/whoami").json()["kind"] == "user"
