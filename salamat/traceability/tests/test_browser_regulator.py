"""The regulator's traceability pages in headless Chromium, at 1280 and 360 px: the alert inbox
(an alert raised by a real refused sale, resolved with a note), a package's history scanned
into the page, and a recall created through the page form, then lifted; and the three pages in
Kyrgyz on a phone."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

import pytest
from django.conf import settings
from django.utils import formats, timezone, translation

from salamat.accounts.selectors import actor_for_user
from salamat.traceability import services
from salamat.traceability.models import (
    Alert,
    AlertStatus,
    Event,
    OperationType,
    Package,
    Recall,
    RecallStatus,
)
from salamat.traceability.tests.conftest import actor_for
from salamat.traceability.tests.test_browser import WIDTHS, assert_fits, log_in, logged_in_page, scan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sold_twice(pharmacy, at_pharmacy):
    """A package the pharmacy sold, then tried to sell again: the refusal raised an alert."""
    code = at_pharmacy(1)[0]
    services.packages_sell(actor=actor_for(pharmacy), codes=[code])
    with pytest.raises(services.OperationRefused):
        services.packages_sell(actor=actor_for(pharmacy), codes=[code])
    return code


# --- alerts --------------------------------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
def test_alert_inbox_shows_a_refused_sale_and_resolves_it(
    page_at, live_server, shot, make_user, ministry, pharmacy, sold_twice, width
):
    # given the alert that the second sale of one package raised
    alert = Alert.objects.get()
    key = Package.objects.get().key
    assert (alert.kind, alert.severity, alert.status, alert.codes) == ("already_sold", "high", "open", [key])
    regulator = make_user("regulator", ministry)
    page = logged_in_page(page_at, live_server, regulator, width)

    # when the regulator opens the inbox
    page.goto("/trace/alerts/")

    # then the alert is listed: kind and operation in words, severity, organisation, the code
    row = page.locator(f'[data-alert="{alert.external_id}"]')
    assert row.locator(".title-cell").inner_text().split("\n") == ["Already sold", "Sale · already_sold"]
    assert row.locator(".badge").inner_text() == "High"
    assert "Pharmacy One" in row.inner_text()
    assert row.get_by_role("link", name=key).get_attribute("href").startswith("/trace/history/?code=")
    assert page.locator(".result-count").inner_text() == "1 alert."
    assert_fits(page, width)
    shot(page, f"trace-alerts-{width}")

    # when it is resolved with a note
    row.get_by_label("Resolution note").fill("Checked with the pharmacy: a till error.")
    row.get_by_role("button", name="Resolve").click()
    page.locator(".messages").wait_for()

    # then the page says so, and the alert is closed in the database with the note and who closed it
    assert "The alert is resolved." in page.locator(".messages").inner_text()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
    assert alert.resolution_note == "Checked with the pharmacy: a till error."
    assert alert.resolved_by == regulator and alert.resolved_at is not None
    # the inbox lists open alerts by default: none left; the resolved one is under its status
    assert page.locator(".result-count").inner_text() == "0 alerts."
    page.get_by_label("Status").select_option(label="Resolved")
    page.get_by_role("button", name="Filter").click()
    row = page.locator(f'[data-alert="{alert.external_id}"]')
    assert "Resolved" in row.locator(".badge.ok").inner_text()
    assert "Checked with the pharmacy: a till error." in row.inner_text()
    assert row.get_by_role("button", name="Resolve").count() == 0
    assert_fits(page, width)
    shot(page, f"trace-alerts-resolved-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_alert_resolve_without_a_note_is_refused_under_that_alert(
    page_at, live_server, shot, make_user, ministry, pharmacy, sold_twice, codes, width
):
    # given two open alerts: the sold package, and a code never introduced
    with pytest.raises(services.OperationRefused):
        services.packages_sell(actor=actor_for(pharmacy), codes=codes(1, start=900))
    alert = Alert.objects.get(kind="already_sold")
    page = logged_in_page(page_at, live_server, make_user("regulator", ministry), width)
    page.goto("/trace/alerts/?kind=already_sold")
    row = page.locator(f'[data-alert="{alert.external_id}"]')
    note = row.get_by_label("Resolution note")

    # when the note is left empty, the browser does not send the form
    row.get_by_role("button", name="Resolve").click()
    assert note.evaluate("el => el.validity.valueMissing")
    assert page.url.endswith("/trace/alerts/?kind=already_sold")

    # when the note is only spaces, the server refuses and says why under this alert's form
    note.fill("   ")
    row.get_by_role("button", name="Resolve").click()
    error = row.locator(".field-error")
    error.wait_for()
    assert error.inner_text() == "Say how the alert was resolved."
    assert row.get_by_label("Resolution note").get_attribute("aria-invalid") == "true"
    assert page.locator(".messages").count() == 0
    # the inbox keeps its filter (the other alert, of another kind, stays out); nothing changed
    assert page.locator("[data-alert]").count() == 1
    assert page.get_by_label("Kind").input_value() == "already_sold"
    assert set(Alert.objects.values_list("status", "resolution_note")) == {("open", "")}
    assert_fits(page, width)
    shot(page, f"trace-alerts-no-note-{width}")

    # when a note is given on the same page, the alert is resolved and the filter is kept
    row.get_by_label("Resolution note").fill("A duplicate scan at the till")
    row.get_by_role("button", name="Resolve").click()
    page.locator(".messages").wait_for()
    assert page.url.endswith("/trace/alerts/?kind=already_sold")
    alert.refresh_from_db()
    assert (alert.status, alert.resolution_note) == ("resolved", "A duplicate scan at the till")
    assert Alert.objects.filter(status="open").count() == 1


def test_alert_resolve_never_redirects_off_the_site(client, make_user, ministry, sold_twice):
    alert = Alert.objects.get()
    client.force_login(make_user("regulator", ministry))
    response = client.post(
        f"/trace/alerts/{alert.external_id}/resolve/", {"note": "ok", "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response.url == "/trace/alerts/"
    alert.refresh_from_db()
    assert alert.status == "resolved"


# --- package history -----------------------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
def test_history_lists_every_event_of_a_sold_package(
    page_at, live_server, shot, make_user, ministry, importer, pharmacy, introduced, width
):
    # given a package introduced by the importer, shipped to the pharmacy, accepted there and sold
    code = introduced(1)[0]
    sent = services.shipment_send(
        actor=actor_for(importer), receiver_id=pharmacy.external_id, codes=[code],
        invoice_number="INV-42", invoice_date=date(2025, 3, 1),
    )  # fmt: skip
    services.shipment_accept(actor=actor_for(pharmacy), shipment_id=sent["shipment_id"])
    services.packages_sell(actor=actor_for(pharmacy), codes=[code], receipt_number="R-77")
    package = Package.objects.get()
    page = logged_in_page(page_at, live_server, make_user("regulator", ministry), width)
    page.goto("/trace/history/")
    assert "Scan or type the code of any package." in page.locator(".page-head").inner_text()

    # when the regulator scans its code (GS separator and Enter, as a wedge scanner sends it)
    page.evaluate("document.getElementById('code').id = 'scan-input'")  # scan() types into #scan-input
    scan(page, code)
    page.locator("[data-events]").wait_for()

    # then the package, and every event oldest first: what, when, who and where
    facts = page.locator(".facts").inner_text()
    assert package.key in facts and "Withdrawn — Sold" in facts
    items = page.locator("[data-events] > li").all_inner_texts()
    events = list(Event.objects.order_by("event_time", "id"))
    assert len(items) == len(events) == 4
    assert [item.split("\n")[0] for item in items] == [
        "Introduction into circulation", "Shipment", "Acceptance", "Sale",
    ]  # fmt: skip
    for item, event in zip(items, events, strict=True):
        with translation.override("en"):
            local = formats.date_format(timezone.localtime(event.event_time), "DATETIME_FORMAT")
        assert item.split("\n")[1] == local  # in the platform's time zone, no misleading offset
    assert items[0].split("\n")[2] == "By: Importer LLC — Importer LLC site"
    shipped = ["From: Importer LLC → To: Pharmacy One", "Invoice: INV-42 (2025-03-01)"]
    assert items[1].split("\n")[2:] == ["By: Importer LLC — Importer LLC site", *shipped]
    assert items[2].split("\n")[2:] == ["By: Pharmacy One — Pharmacy One site", *shipped]
    assert items[3].split("\n")[2:] == ["By: Pharmacy One — Pharmacy One site", "Receipt: R-77"]
    assert_fits(page, width)
    shot(page, f"trace-history-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_history_shows_the_recalls_that_cover_the_package(
    page_at, live_server, shot, make_user, ministry, regulator, importer, introduced, product, width
):
    # given a batch recalled then lifted, and the package itself blocked
    code = introduced(2)[0]
    recall = services.recall_create(
        actor=regulator, product_id=product.external_id, batch="B1", reason="Lab test"
    )
    services.recall_lift(actor=regulator, recall_id=recall.external_id, reason="Lab retest passed")
    services.recall_create(actor=regulator, kind="block", package_codes=[code], reason="Investigation 7")
    page = logged_in_page(page_at, live_server, make_user("warehouse_operator", importer), width)
    page.goto(f"/trace/history/?code={quote(code)}")

    # then the importer sees why its package is flagged: the block, and the recall lifted before
    notes = page.locator("[data-recalls] > li").all_inner_texts()
    assert [n.split("\n")[0] for n in notes] == ["Recall Lifted", "Block Active"]
    assert "Reason: Lab test" in notes[0] and "Lab retest passed" in notes[0]
    assert "Reason: Investigation 7" in notes[1] and "Lifted" not in notes[1].split("\n", 1)[1]
    assert "blocked" in page.locator(".facts").inner_text()
    assert_fits(page, width)
    shot(page, f"trace-history-recalls-{width}")


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("unknown", "No package with this code."),
        ("bad-check-digit", "Wrong check digit: misread or forged code"),
        ("garbage", "Unknown code format"),
    ],
)
def test_history_of_an_unknown_or_malformed_code_says_why(
    page_at, live_server, shot, make_user, ministry, at_pharmacy, gtin, kind, message
):
    at_pharmacy(1)
    wrong_digit = gtin[:-1] + str((int(gtin[-1]) + 1) % 10)
    code = {
        "unknown": f"01{gtin}21S000900",  # well formed, never introduced
        "bad-check-digit": f"01{wrong_digit}21S000001",
        "garbage": "hello world",
    }[kind]
    page = logged_in_page(page_at, live_server, make_user("regulator", ministry), 360)
    page.goto("/trace/history/")
    page.get_by_label("Package code").fill(code)
    page.get_by_role("button", name="Show history").click()
    error = page.get_by_role("alert")
    error.wait_for()
    assert error.inner_text() == message
    assert page.locator("[data-events]").count() == 0
    assert page.get_by_label("Package code").input_value() == code  # kept, to be corrected
    assert_fits(page, 360)
    shot(page, f"trace-history-{kind}-360")


# --- recalls ------------------------------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
def test_recall_a_batch_through_the_form_then_lift_it(
    page_at, live_server, shot, make_user, ministry, at_pharmacy, product, width
):
    # given two packages of batch B1 at the pharmacy and one of batch B2
    at_pharmacy(2, batch="B1")
    at_pharmacy(1, start=10, batch="B2")
    assert not any(p.is_recalled for p in Package.objects.all())
    page = logged_in_page(page_at, live_server, make_user("regulator", ministry), width)
    page.goto("/trace/recalls/")
    assert "No recalls yet." in page.locator("main").inner_text()

    # when the regulator recalls batch B1 of the product through the form
    page.get_by_text("New recall or block").click()
    form = page.locator("[data-recall-form]")
    form.get_by_label("Kind").select_option(label="Recall")
    form.get_by_label("Product").select_option(label=str(product))
    form.get_by_label("Batch").fill("B1")
    form.get_by_label("Reason").fill("Contamination found by the laboratory")
    assert_fits(page, width)
    shot(page, f"trace-recall-form-{width}")
    form.get_by_role("button", name="Recall or block").click()
    page.locator(".messages").wait_for()

    # then the recall is active and says how many packages it flagged: those of batch B1 only
    assert page.locator(".messages").inner_text() == "Recall recorded: 2 packages flagged."
    recall = Recall.objects.get()
    assert (recall.status, recall.kind, recall.batch, recall.package_count) == ("active", "recall", "B1", 2)
    assert {p.batch: p.is_recalled for p in Package.objects.all()} == {"B1": True, "B2": False}
    row = page.locator(f'[data-recall="{recall.external_id}"]')
    cells = [row.locator(f"td:nth-child({i})").inner_text() for i in (2, 3, 4)]
    assert cells == [f"{product.trade_name}, batch B1", "Contamination found by the laboratory", "2"]
    assert row.locator(".badge.bad").inner_text() == "Active"
    assert_fits(page, width)
    shot(page, f"trace-recall-active-{width}")

    # when it is lifted, after the confirmation
    row.get_by_label("Reason for lifting").fill("The laboratory cleared the batch")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Lift").click()
    page.locator(".messages", has_text="The recall is lifted.").wait_for()

    # then it is shown lifted, with when and why, and no package is flagged any more
    recall.refresh_from_db()
    assert recall.status == RecallStatus.LIFTED and recall.lift_reason == "The laboratory cleared the batch"
    assert not any(p.is_recalled for p in Package.objects.all())
    status = page.locator(f'[data-recall="{recall.external_id}"] td:nth-child(5)')
    assert status.locator(".badge").inner_text() == "Lifted"
    assert "The laboratory cleared the batch" in status.inner_text()
    assert status.get_by_role("button", name="Lift").count() == 0
    assert_fits(page, width)
    shot(page, f"trace-recall-lifted-{width}")


# --- in Kyrgyz, the longest of the three languages, on a phone ---------------------------------


def test_regulator_pages_in_kyrgyz_on_a_phone(
    page_at, live_server, shot, make_user, ministry, pharmacy, sold_twice, product
):
    user = make_user("regulator", ministry)
    services.recall_create(
        actor=actor_for_user(user, ministry),
        reason="Сапаты начар",
        product_id=product.external_id,
        batch="B1",
    )
    page = log_in(page_at(360, locale="ky-KG"), live_server, user)
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "ky", "url": live_server.url}])

    page.goto("/trace/alerts/")
    assert page.locator("[data-alert] .title-cell").inner_text().split("\n") == [
        "Мурун сатылган",
        "Сатуу · already_sold",
    ]
    assert_fits(page, 360)
    shot(page, "trace-alerts-ky-360")

    page.goto(f"/trace/history/?code={quote(sold_twice)}")
    assert "Каалаган таңгактын кодун сканерлеңиз же териңиз." in page.locator(".page-head").inner_text()
    with translation.override("ky"):
        operations = [
            str(op.label)
            for op in (OperationType.INTRODUCE, OperationType.SHIP, OperationType.ACCEPT, OperationType.SELL)
        ]
    assert operations[3] == "Сатуу"
    items = page.locator("[data-events] > li").all_inner_texts()
    assert [item.split("\n")[0] for item in items] == operations
    assert_fits(page, 360)
    shot(page, "trace-history-ky-360")

    page.goto("/trace/recalls/")
    assert "Активдүү" in page.locator("[data-recalls]").inner_text()
    assert_fits(page, 360)
    shot(page, "trace-recalls-ky-360")
