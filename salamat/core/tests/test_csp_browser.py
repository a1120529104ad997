"""The existing pages work under the Content-Security-Policy: Chromium reports no violation
while they load and run their scripts (htmx, the chart library, the scanner's WebAssembly)."""

import pytest
from django.conf import settings as django_settings
from django.test import Client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page_at(browser, live_server):
    """Pages that obey the Content-Security-Policy (the shared fixture bypasses it)."""
    contexts = []

    def _open(width: int = 1280, locale: str = "en-US"):
        ctx = browser.new_context(
            viewport={"width": width, "height": 900}, locale=locale, base_url=live_server.url
        )
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(15000)
        return page

    yield _open
    for ctx in contexts:
        ctx.close()


def _logged_in_page(page_at, live_server, user):
    client = Client()
    client.force_login(user)
    page = page_at(1280, locale="en-US")
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
    return page


def _violations(page) -> list[str]:
    found: list[str] = []
    page.on("console", lambda msg: found.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.evaluate("1")  # the listener is attached before the next navigation
    return found


@pytest.mark.parametrize("path", ["/", "/login/", "/check", "/where?q=aspirin", "/admin/login/"])
def test_public_pages_raise_no_violation(page_at, path, shot):
    page = page_at(360)
    found = _violations(page)
    page.goto(path)
    page.wait_for_load_state("networkidle")
    assert found == []


def test_the_dashboard_chart_runs_under_the_policy(page_at, live_server, make_user, make_org, shot):
    page = _logged_in_page(page_at, live_server, make_user("regulator", make_org("ministry")))
    found = _violations(page)
    page.goto("/dashboard/")
    page.wait_for_load_state("networkidle")
    assert page.locator("canvas").count() >= 1
    assert found == []
    shot(page, "csp-dashboard")


def test_the_doctors_sick_leave_form_runs_under_the_policy(page_at, live_server, make_user, make_org):
    page = _logged_in_page(page_at, live_server, make_user("doctor", make_org("medical")))
    found = _violations(page)
    page.goto("/sick-leave/new/")
    page.wait_for_load_state("networkidle")
    assert found == []
