"""The menus people work from (issue 18, item 22): "Sell" in the pharmacist's header, "Recalls"
in the regulator's, and a citizen's home page offering clinic onboarding as a public service,
not under "your work"."""

from __future__ import annotations

import pytest
from django.urls import reverse

from salamat.accounts.selectors import actor_for_user
from salamat.core.nav import SECTION_PUBLIC, SECTION_WORK, nav_items_for

pytestmark = pytest.mark.django_db


def header(user) -> set[str]:
    return {entry.key for entry in nav_items_for(actor_for_user(user), header=True)}


def section(user, name) -> set[str]:
    return {entry.key for entry in nav_items_for(actor_for_user(user), section=name)}


def test_sell_is_in_the_pharmacists_header_and_recalls_in_the_regulators(make_org, make_user):
    pharmacist = make_user("pharmacist", make_org("pharmacy"))
    regulator = make_user("regulator", make_org("ministry", ownership="public"))
    assert "traceability:scan_sell" in header(pharmacist)
    assert "traceability:recalls" in header(regulator)
    assert "traceability:scan_sell" not in header(regulator)


def test_a_citizen_is_offered_clinic_onboarding_as_a_public_service_not_as_work(make_user, client):
    citizen = make_user()
    assert "onboarding:home" not in section(citizen, SECTION_WORK)
    assert "onboarding:home" in section(citizen, SECTION_PUBLIC)


def _as(page_at, live_server, user, width):
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    page = page_at(width)
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": client.session.session_key, "url": live_server.url}]
    )
    return page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_menus_in_the_browser(page_at, live_server, shot, make_org, make_user):
    pharmacist = make_user("pharmacist", make_org("pharmacy"))
    page = _as(page_at, live_server, pharmacist, 1280)
    page.goto("/")
    sell = reverse("traceability:scan_sell")
    assert page.locator(f'header a[href="{sell}"]').count() >= 1
    shot(page, "menus-pharmacist-1280")
    regulator = make_user("regulator", make_org("ministry", ownership="public"))
    page = _as(page_at, live_server, regulator, 1280)
    page.goto("/")
    recalls = reverse("traceability:recalls")
    assert page.locator(f'header a[href="{recalls}"]').count() >= 1
    shot(page, "menus-regulator-1280")
    page = _as(page_at, live_server, make_user(), 360)
    page.goto("/")
    shot(page, "menus-citizen-home-360")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
