"""The dashboard's EPCIS tile in headless Chromium, at 1280 and 360 px, in English and Kyrgyz."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings

from salamat.dashboard.tests.test_pages import _capture_unknown_events
from salamat.epcis.selectors import epcis_not_applied_count

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _regulator_page(page_at, live_server, user, width, language):
    from django.test import Client

    client = Client()
    client.force_login(user)
    page = page_at(width, locale="en-US")
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
          "url": live_server.url},
         {"name": django_settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )  # fmt: skip
    return page


@pytest.mark.parametrize(("width", "language"), [(1280, "en"), (360, "en"), (360, "ky")])
def test_epcis_tile_shows_the_not_applied_events(
    page_at, live_server, shot, api, make_token, make_user, make_org, width, language
):
    _capture_unknown_events(api, make_token, make_org, 4)
    page = _regulator_page(
        page_at, live_server, make_user("regulator", make_org("ministry")), width, language
    )
    page.goto("/dashboard/")
    tile = page.locator("[data-epcis-not-applied]")
    assert (
        tile.locator("[data-total=epcis_not_applied]").inner_text() == str(epcis_not_applied_count()) == "4"
    )
    tile.locator("details summary").click()
    assert tile.locator("details li").nth(2).is_visible()
    assert {"en": "not applied to traceability", "ky": "колдонулган эмес"}[language] in tile.inner_text()
    # nothing sticks out of the page, and the tile is as wide as the panels around it
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    panels = page.locator("section.panel")
    assert tile.bounding_box()["width"] == pytest.approx(panels.last.bounding_box()["width"], abs=1)
    tile.scroll_into_view_if_needed()
    shot(page, f"dashboard-epcis-{width}-{language}")
