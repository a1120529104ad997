"""The regulator's work in headless Chromium at 1280 px: a recall previewed as it is typed (a
mistyped batch caught, a block of a batch not yet in the country confirmed), and an alert from
a citizen read in full, assigned, taken in hand, closed, and exported."""

from __future__ import annotations

from pathlib import Path

import pytest

from salamat.traceability.models import Package, Recall
from salamat.traceability.tests.test_browser import assert_fits, logged_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 1280


def test_recall_preview_catches_a_mistyped_batch(
    page_at, live_server, shot, make_user, ministry, at_pharmacy, product
):
    # given two packages of batch B1 at the pharmacy and one of B2
    at_pharmacy(2, batch="B1")
    at_pharmacy(1, start=10, batch="B2")
    page = logged_in_page(page_at, live_server, make_user("regulator", ministry), WIDTH)
    page.goto("/trace/recalls/")
    page.get_by_text("New recall or block").click()
    form = page.locator("[data-recall-form]")
    preview = page.locator("#recall-preview")

    # when the product and batch B1 are chosen, the preview says how many and who holds them
    form.get_by_label("Product").select_option(label=str(product))
    form.get_by_label("Batch").fill("B1")
    preview.locator('[data-packages="2"]').wait_for()
    assert preview.locator("p").first.inner_text() == "This recall covers 2 packages."
    assert preview.locator("[data-recall-holders] tbody").inner_text().split("\t") == [
        "Pharmacy One (Pharmacy)",
        "2",
    ]
    assert_fits(page, WIDTH)
    shot(page, "trace-recall-preview-1280")

    # when the batch is mistyped, the preview says that nothing matches and lists the batches in stock
    form.get_by_label("Batch").fill("B11")
    preview.locator('[data-packages="0"]').wait_for()
    assert "No package matches: check the batch and the codes." in preview.inner_text()
    assert preview.locator("[data-batch]").all_inner_texts() == ["B1", "B2"]
    form.get_by_label("Reason").fill("Sterility failure")
    shot(page, "trace-recall-preview-nothing-1280")

    # when it is submitted without the confirmation, it is refused and nothing is recorded
    form.get_by_role("button", name="Recall or block").click()
    page.locator(".form-errors").wait_for()
    assert "No package matches this recall" in page.locator(".form-errors").inner_text()
    assert Recall.objects.count() == 0
    assert not any(p.is_recalled for p in Package.objects.all())
    form = page.locator("[data-recall-form]")
    assert form.get_by_label("Batch").input_value() == "B11"  # kept, to be corrected
    assert_fits(page, WIDTH)
    shot(page, "trace-recall-nothing-refused-1280")

    # when the person confirms that the batch is not in the country yet, the block is recorded
    form.get_by_label("Record it anyway").check()
    form.get_by_label("Kind").select_option(label="Block")  # not what is covered: no new preview
    page.wait_for_load_state("networkidle")
    assert form.get_by_label("Record it anyway").is_checked()  # so the tick stays
    form.get_by_role("button", name="Recall or block").click()
    page.locator(".messages").wait_for()
    assert "no package is flagged now" in page.locator(".messages").inner_text()
    recall = Recall.objects.get()
    assert (recall.kind, recall.batch, recall.package_count) == ("block", "B11", 0)
    shot(page, "trace-recall-nothing-confirmed-1280")


@pytest.fixture
def citizen_report(ministry, pharmacy, at_pharmacy, settings, tmp_path):
    """A citizen's report about a package at the pharmacy, with a photo, text and phone."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image, ImageDraw

    from salamat.portal.services import report_create

    settings.MEDIA_ROOT = tmp_path
    at_pharmacy(1)
    image = io.BytesIO()
    picture = Image.new("RGB", (320, 200), (238, 236, 228))
    ImageDraw.Draw(picture).rectangle((20, 20, 300, 60), fill=(40, 96, 160))
    picture.save(image, "PNG")
    return report_create(
        key=Package.objects.get().key, verdict="genuine", problem="counterfeit",
        description="The box looks different from the last one. The print is blurred.",
        where_bought="Pharmacy One, Chuy avenue 1", region="bishkek", phone="+996 555 123 456",
        photo=SimpleUploadedFile("pack.png", image.getvalue(), content_type="image/png"),
    )  # fmt: skip


def test_citizen_report_read_assigned_handled_and_exported(
    page_at, live_server, shot, make_user, ministry, citizen_report
):
    alert = citizen_report
    colleague = make_user("regulator", ministry)
    colleague.first_name, colleague.last_name = "Aigul", "Sadykova"
    colleague.save()
    page = logged_in_page(page_at, live_server, make_user("regulator", ministry), WIDTH)

    # the inbox gives the report a readable title, and links to its page
    page.goto("/trace/alerts/")
    row = page.locator(f'[data-alert="{alert.external_id}"]')
    assert row.locator(".title-cell strong").inner_text() == "Citizen suspects a counterfeit"
    assert row.locator(".title-cell .sub").inner_text().startswith("Check by a citizen · ")
    assert_fits(page, WIDTH)
    shot(page, "trace-alerts-report-1280")

    # its page shows everything the citizen sent: problem, text, where bought, region, phone, photo
    row.get_by_role("link", name="Citizen suspects a counterfeit").click()
    page.locator("[data-alert-title]").wait_for()
    facts = page.locator("[data-alert-facts]")
    assert facts.locator('[data-fact="description"]').inner_text() == (
        "The box looks different from the last one. The print is blurred."
    )
    assert facts.locator('[data-fact="where_bought"]').inner_text() == "Pharmacy One, Chuy avenue 1"
    assert facts.get_by_role("link", name="+996555123456").get_attribute("href") == "tel:+996555123456"
    assert "Bishkek city" in facts.inner_text()
    photo = page.locator("[data-photo]")
    # The photo is loaded (waiting for it if it still is loading: on a busy machine it may be).
    loaded_width = (
        "img => img.complete && img.naturalWidth ? img.naturalWidth : new Promise(done => {"
        " img.addEventListener('load', () => done(img.naturalWidth));"
        " img.addEventListener('error', () => done(0)); })"
    )
    assert photo.evaluate(loaded_width) == 320
    assert page.locator("[data-status]").inner_text() == "New"
    assert_fits(page, WIDTH)
    shot(page, "trace-alert-report-1280")

    # when it is assigned to a colleague and taken in hand
    page.get_by_label("Assign to").select_option(label="Sadykova Aigul")
    page.get_by_role("button", name="Assign").click()
    page.locator(".messages", has_text="The alert is assigned to Sadykova Aigul.").wait_for()
    assert page.locator("[data-assigned]").inner_text().startswith("Sadykova Aigul")
    page.get_by_label("Change status to").select_option(label="In progress")
    page.get_by_role("button", name="Change status").click()
    page.locator(".messages", has_text="Status changed: In progress.").wait_for()
    assert page.locator("[data-status]").inner_text() == "In progress"

    # resolving without a note is refused on the page, and nothing changes
    page.get_by_label("Change status to").select_option(label="Resolved")
    page.get_by_role("button", name="Change status").click()
    page.locator(".form-errors", has_text="Say how the alert was resolved.").wait_for()
    alert.refresh_from_db()
    assert alert.status == "in_progress"

    # with a note it is resolved; the history says who did what, and when
    page.get_by_label("Change status to").select_option(label="Resolved")
    page.get_by_label("Note (needed to resolve)").fill("Inspection found a counterfeit batch; seized.")
    page.get_by_role("button", name="Change status").click()
    page.locator(".messages", has_text="Status changed: Resolved.").wait_for()
    alert.refresh_from_db()
    assert (alert.status, alert.assigned_to, alert.resolution_note) == (
        "resolved", colleague, "Inspection found a counterfeit batch; seized.",
    )  # fmt: skip
    log = page.locator("[data-alert-log] li").all_inner_texts()
    assert [item.split("\n")[1] for item in log] == [
        "Alert raised", "Assigned to Sadykova Aigul", "Status: In progress", "Status: Resolved",
    ]  # fmt: skip
    assert log[-1].split("\n")[2] == "Inspection found a counterfeit batch; seized."
    assert_fits(page, WIDTH)
    shot(page, "trace-alert-resolved-1280")

    # the inbox filtered by assignee, exported as CSV
    page.goto("/trace/alerts/")
    page.get_by_label("Status").select_option(label="Any status")
    page.get_by_label("Assigned to").select_option(label="Sadykova Aigul")
    page.get_by_role("button", name="Filter").click()
    assert page.locator(".result-count").inner_text() == "1 alert."
    with page.expect_download() as download:
        page.get_by_role("link", name="Export to CSV").click()
    assert download.value.suggested_filename.startswith("alerts-")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "Citizen suspects a counterfeit" in text and "Sadykova Aigul" in text
    shot(page, "trace-alerts-assigned-filter-1280")
