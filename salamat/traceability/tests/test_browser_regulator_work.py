"""The regulator's work in headless Chromium at 1280 px: a recall previewed as it is typed (a
mistyped batch caught, a block of a batch not yet in the country confirmed), and an alert from
a citizen read in full, assigned, taken in hand, closed, and exported."""

from __future__ import annotations

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
    form.get_by_label("Kind").select_option(label="Block")
    form.get_by_label("Record it anyway").check()
    form.get_by_role("button", name="Recall or block").click()
    page.locator(".messages").wait_for()
    assert "no package is flagged now" in page.locator(".messages").inner_text()
    recall = Recall.objects.get()
    assert (recall.kind, recall.batch, recall.package_count) == ("block", "B11", 0)
    shot(page, "trace-recall-nothing-confirmed-1280")
