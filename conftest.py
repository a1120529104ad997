"""Fixtures shared by every app's tests: organisations of each type, people in each
role, API tokens, and a headless Chromium for browser tests."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM must still be usable there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOT_DIR = Path(__file__).resolve().parent / "var" / "screenshots"
TEST_PASSWORD = "test-password-123"


@pytest.fixture
def make_org(db) -> Callable:
    """Creates an organisation (active by default) with one site: make_org("pharmacy", region="osh_city")."""
    from salamat.registry.models import Organization, Site

    counter = {"n": 0}

    def _make(
        org_type: str = "pharmacy",
        *,
        status: str = "active",
        region: str = "bishkek",
        name: str | None = None,
        ownership: str = "private",
        tax_id: str | None = None,
    ) -> Organization:
        counter["n"] += 1
        n = Organization.objects.count() + counter["n"]
        org = Organization.objects.create(
            name=name or f"Test {org_type} {n}",
            org_type=org_type,
            ownership=ownership,
            tax_id=tax_id or f"{n:014d}",
            status=status,
            region=region,
        )
        Site.objects.create(
            organization=org, name=f"{org.name} site", address=f"Test street {n}", region=region
        )
        return org

    return _make


@pytest.fixture
def make_user(db) -> Callable:
    """Creates a person with `role` in `org` (or a citizen when role is None)."""
    from salamat.accounts.models import Membership, User

    def _make(role: str | None = None, org=None, *, username: str | None = None, pin: str | None = None):
        n = User.objects.count() + 1
        user = User.objects.create_user(
            username=username or f"user{n}-{role or 'citizen'}",
            password=TEST_PASSWORD,
            first_name="Test",
            last_name=f"Person{n}",
            pin=pin,
        )
        if role:
            Membership.objects.create(user=user, organization=org, role=role)
        return user

    return _make


@pytest.fixture
def make_token(db) -> Callable:
    """Issues an API token for `org` (as the system) and returns it."""
    from salamat.accounts.services import api_client_issue
    from salamat.core.actors import SYSTEM

    def _make(org, name: str = "test client") -> str:
        return api_client_issue(actor=SYSTEM, organization=org, name=name)[1]

    return _make


@pytest.fixture
def api(client) -> Callable:
    """`api(token).get("/api/v1/whoami")`: a Django test client sending a bearer token."""
    from django.test import Client

    def _make(token: str | None = None) -> Client:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        return Client(**headers)

    return _make


@pytest.fixture
def make_product(db) -> Callable:
    """Creates a registered product with one GTIN (GTIN-14 with a valid check digit)."""
    from salamat.codes.checkdigit import gs1_check_digit
    from salamat.registry.models import Product, ProductGtin

    def _make(*, trade_name: str | None = None, gtin: str | None = None, units: int = 1, **fields):
        n = Product.objects.count() + 1
        product = Product.objects.create(
            registration_number=fields.pop("registration_number", f"KG-TEST-{n:05d}"),
            registered_on=fields.pop("registered_on", date(2020, 1, 1)),
            valid_until=fields.pop("valid_until", date(2035, 1, 1)),
            trade_name=trade_name or f"Testomycin {n}",
            inn=fields.pop("inn", "testomycinum"),
            atc_code=fields.pop("atc_code", "J01CA04"),
            dosage_form=fields.pop("dosage_form", "tablets"),
            strength=fields.pop("strength", "500 mg"),
            units_per_package=units,
            manufacturer_name=fields.pop("manufacturer_name", "Fictional Pharma"),
            manufacturer_country=fields.pop("manufacturer_country", "KG"),
            **fields,
        )
        if gtin is None:
            body = f"0470000{n:06d}"
            gtin = body + str(gs1_check_digit(body))
        ProductGtin.objects.create(product=product, gtin=gtin.zfill(14))
        return product

    return _make


# --- browser tests ---------------------------------------------------------------


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium_executable() -> str:
    executable = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not Path(executable).exists():
        pytest.fail(f"Chromium not found at {executable}: apt-get install chromium")
    return executable


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """Debian's Chromium, headless, driven by Playwright (never `playwright install`)."""
    from playwright.sync_api import sync_playwright

    executable = _chromium_executable()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _new_page(
    browser, live_server, width: int, *, height: int | None = None, locale: str = "ru-RU", **options
):
    """A page in a fresh context of `browser` at that viewport width (a phone's height below
    600 px) against the live server; `options` go to the context (permissions…)."""
    ctx = browser.new_context(
        viewport={"width": width, "height": height or (740 if width < 600 else 900)},
        locale=locale,
        base_url=live_server.url,
        device_scale_factor=1,
        # Playwright's string predicates (wait_for_function) are evaluated like eval(), which the
        # pages' Content-Security-Policy forbids; the policy itself is tested without this bypass.
        bypass_csp=options.pop("bypass_csp", True),
        **options,
    )
    page = ctx.new_page()
    page.set_default_timeout(15000)
    return page


@pytest.fixture
def page_at(browser, live_server) -> Iterator[Callable]:
    """`page = page_at(360)` opens a fresh context at that viewport width against the live server."""
    contexts = []

    def _open(width: int = 1280, height: int | None = None, locale: str = "ru-RU"):
        page = _new_page(browser, live_server, width, height=height, locale=locale)
        contexts.append(page.context)
        return page

    yield _open
    for ctx in contexts:
        ctx.close()


@pytest.fixture
def camera_page_at(browser, live_server, tmp_path) -> Iterator[Callable]:
    """`page = camera_page_at(scene, 360)`: a page whose camera films `scene` (a PIL image).

    Each call starts its own Chromium whose fake camera plays the scene as a Y4M video, the
    camera permission granted; `init_script` runs before the page's own scripts (to take
    BarcodeDetector away, or to stand one in)."""
    from salamat.web.testing import write_y4m

    browsers = []

    def _open(scene, width: int = 360, *, locale: str = "ru-RU", init_script: str | None = None):
        video = write_y4m(scene, tmp_path / f"camera-{len(browsers)}.y4m")
        camera_browser = browser.browser_type.launch(
            executable_path=_chromium_executable(),
            headless=True,
            args=[*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
                  f"--use-file-for-fake-video-capture={video}"],
        )  # fmt: skip
        browsers.append(camera_browser)
        page = _new_page(camera_browser, live_server, width, locale=locale, permissions=["camera"])
        if init_script:
            page.add_init_script(init_script)
        return page

    yield _open
    for camera_browser in browsers:
        camera_browser.close()


def screenshot(page, name: str) -> Path:
    """Saves a full-page screenshot under var/screenshots/ for a person to look at."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def shot() -> Callable:
    return screenshot


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    if settings.IS_POSTGRES:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (run make test)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def stock_balances_agree(request) -> Iterator[None]:
    """After every test that used the database: the stock balances the services keep equal
    what the packages say (a service that forgot to move stock fails here, whatever it tested)."""
    marker = request.node.get_closest_marker("django_db")
    wants = {"db", "transactional_db", "live_server"} & set(request.fixturenames)
    if marker is None and not wants:
        yield
        return
    transactional = (
        "transactional_db" in wants
        or "live_server" in wants
        or bool(marker and marker.kwargs.get("transaction"))
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    yield
    from django.db import connection
    from django.db.utils import DatabaseError

    from salamat.traceability import stock

    if connection.needs_rollback:
        return  # the test ended inside a broken transaction on purpose
    try:
        diffs = stock.differences()
    except DatabaseError:
        return  # the schema is not there (a migration test) or the transaction was aborted
    assert not diffs, f"stock balances differ from the packages (group, balance, packages): {diffs[:5]}"


@pytest.fixture(autouse=True)
def labelling_schemes_read_afresh() -> None:
    """Every test reads the labelling schemes as its database has them (see settings_test)."""
    from salamat.registry.labelling.provider import provider

    provider.invalidate()
