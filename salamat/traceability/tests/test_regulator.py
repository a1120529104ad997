"""The regulator's recalls with a preview (a mistyped batch is caught before it is recorded)
and the alerts' assignment, status and export: services, API and pages, without a browser."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.conf import settings

from salamat.core.errors import DomainError, ValidationFailed
from salamat.core.models import AuditLog
from salamat.traceability import services
from salamat.traceability.models import Package, Recall
from salamat.traceability.tests.conftest import actor_for


@pytest.fixture(autouse=True)
def in_english(client):
    """The messages are asserted in English (Russian is the default language)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def post(client, path, body, **headers):
    return client.post(f"/api/v1{path}", data=json.dumps(body), content_type="application/json", **headers)


def error(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "details"} and body["code"] == code
    return body


def _flags() -> list[int]:
    return list(Package.objects.order_by("id").values_list("flags", flat=True))


# --- recalls: preview, and no recall of nothing without saying so ------------------------------


def test_preview_counts_the_packages_and_names_their_holders(
    regulator, pharmacy, importer, product, at_pharmacy, introduced
):
    # given two packages of batch B1 at the pharmacy, one at the importer, one of B2, one sold
    sold = at_pharmacy(2, batch="B1")
    introduced(1, start=10, batch="B1")
    introduced(1, start=20, batch="B2")
    services.packages_sell(actor=actor_for(pharmacy), codes=sold[:1])

    # when the regulator previews a recall of batch B1
    preview = services.recall_preview(actor=regulator, product_id=product.external_id, batch="B1")

    # then it covers the three packages of B1, two still in circulation, at two holders
    assert (preview.packages, preview.in_circulation, preview.holder_count) == (3, 2, 2)
    assert [(h.organization, h.packages) for h in preview.holders] == [
        (importer, 1),
        (pharmacy, 1),
        (None, 1),
    ]
    # and lists the batches in stock, so that a typo can be told from a batch not yet here
    assert preview.batches_in_stock == [{"batch": "B1", "packages": 2}, {"batch": "B2", "packages": 1}]
    assert Recall.objects.count() == 0 and set(_flags()) == {0}  # a preview writes nothing


def test_recall_of_a_mistyped_batch_is_refused_unless_confirmed(regulator, product, at_pharmacy):
    at_pharmacy(2, batch="B1")
    audit_before = AuditLog.objects.count()

    # when the regulator recalls batch "B11" (a typo), nothing matches: refused, nothing written
    with pytest.raises(ValidationFailed) as exc:
        services.recall_create(actor=regulator, product_id=product.external_id, batch="B11", reason="lab")
    assert exc.value.code == "recall_matches_nothing"
    assert Recall.objects.count() == 0 and set(_flags()) == {0}
    assert AuditLog.objects.count() == audit_before

    # when the block of a batch not yet in the country is confirmed, it is recorded with 0 packages
    recall = services.recall_create(
        actor=regulator, kind="block", product_id=product.external_id, batch="B9", reason="Warning from abroad",
        confirm_no_match=True,
    )  # fmt: skip
    assert (recall.package_count, recall.batch) == (0, "B9")
    audit = AuditLog.objects.get(action="recall.create")
    assert audit.changes["confirmed_no_match"] is True


def test_api_refuses_a_recall_that_matches_nothing(client, regulator, product, at_pharmacy):
    at_pharmacy(2, batch="B1")
    client.force_login(regulator.user)
    body = {"product": str(product.external_id), "batch": "B11", "reason": "sterility"}

    # when the batch matches no package: 422 with its own code, and the database is unchanged
    refused = error(post(client, "/recalls", body), 422, "recall_matches_nothing")
    assert refused["details"] == {"packages": 0}
    assert "No package matches this recall" in refused["message"]
    assert Recall.objects.count() == 0 and set(_flags()) == {0}
    assert not AuditLog.objects.filter(action="recall.create").exists()

    # when the same recall says it means it, it is recorded, with no package flagged
    created = post(client, "/recalls", {**body, "confirm_no_match": True})
    assert created.status_code == 201, created.content
    assert created.json()["package_count"] == 0 and set(_flags()) == {0}

    # a recall that matches packages needs no confirmation
    created = post(client, "/recalls", {**body, "batch": "B1"})
    assert created.status_code == 201 and created.json()["package_count"] == 2


def test_api_preview(client, regulator, pharmacy, product, at_pharmacy, api, make_token):
    at_pharmacy(2, batch="B1")
    client.force_login(regulator.user)

    answer = post(client, "/recalls/preview", {"product": str(product.external_id), "batch": "B1"})
    assert answer.status_code == 200, answer.content
    assert answer.json() == {
        "packages": 2, "in_circulation": 2, "holder_count": 1,
        "holders": [{"organization": {"id": str(pharmacy.external_id), "name": "Pharmacy One",
                                      "org_type": "pharmacy"}, "packages": 2}],
        "batches_in_stock": [{"batch": "B1", "packages": 2}],
    }  # fmt: skip
    nothing = post(client, "/recalls/preview", {"product": str(product.external_id), "batch": "b1"})
    assert nothing.json()["packages"] == 0 and nothing.json()["holders"] == []

    # the same refusals as the recall itself, and for the regulator only
    error(post(client, "/recalls/preview", {}), 422, "recall_scope_required")
    error(post(client, "/recalls/preview", {"batch": "B1"}), 422, "recall_scope_required")
    error(post(api(make_token(pharmacy)), "/recalls/preview", {"product": str(product.external_id)}), 403,
          "role_required")  # fmt: skip
    assert Recall.objects.count() == 0 and set(_flags()) == {0}


def test_recall_page_previews_and_asks_before_recalling_nothing(
    client, make_user, ministry, product, at_pharmacy
):
    at_pharmacy(2, batch="B1")
    client.force_login(make_user("regulator", ministry))
    form = {"kind": "recall", "product": str(product.external_id), "batch": "B11", "reason": "Lab"}

    # the Preview button (no script needed) shows the count and the holders, writes nothing
    page = client.post("/trace/recalls/", {**form, "batch": "B1", "reason": "", "preview": "1"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "This recall covers 2 packages" in html and "Pharmacy One" in html
    assert "field-error" not in html  # no reason needed to preview
    fragment = client.post("/trace/recalls/preview/", {**form, "batch": "B1"}).content.decode()
    assert 'data-packages="2"' in fragment and "Pharmacy One" in fragment

    # a mistyped batch: refused, said why, the batches in stock listed, a confirmation offered
    page = client.post("/trace/recalls/", form)
    assert page.status_code == 422
    html = page.content.decode()
    assert "No package matches this recall" in html
    assert '<span class="mono" data-batch>B1</span> (2)' in html
    assert 'name="confirm_no_match"' in html
    assert Recall.objects.count() == 0 and set(_flags()) == {0}

    # confirmed: recorded, and the page says that nothing is flagged now
    done = client.post("/trace/recalls/", {**form, "confirm_no_match": "on"}, follow=True)
    assert "Recall recorded: no package is flagged now" in done.content.decode()
    assert Recall.objects.get().package_count == 0


def test_recall_preview_page_is_for_the_regulator(client, make_user, pharmacy, product):
    client.force_login(make_user("pharmacist", pharmacy))
    response = client.post("/trace/recalls/preview/", {"product": str(product.external_id)})
    assert response.status_code == 403


# --- alerts: readable titles, the citizen's report in full, assignment, status, export ---------


@pytest.fixture
def citizen_report(ministry, pharmacy, at_pharmacy, settings, tmp_path):
    """A citizen's report about a package at the pharmacy, with a photo, text and phone."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from salamat.portal.services import report_create

    settings.MEDIA_ROOT = tmp_path
    at_pharmacy(1)
    image = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 40, 40)).save(image, "PNG")
    return report_create(
        key=Package.objects.get().key, verdict="genuine", problem="counterfeit",
        description="The box looks different from the last one.\nThe print is blurred.",
        where_bought="Pharmacy One, Chuy avenue 1", region="bishkek", phone="+996 555 123 456",
        photo=SimpleUploadedFile("pack.png", image.getvalue(), content_type="image/png"),
    )  # fmt: skip


def _snapshot(alert) -> tuple:
    alert.refresh_from_db()
    return (alert.status, alert.assigned_to_id, alert.resolution_note, alert.status_changed_by_id)


def test_alert_status_changes_follow_the_table_and_are_audited(
    regulator, citizen_report, make_user, ministry
):
    alert = citizen_report
    other = make_user("regulator", ministry)

    # taken in hand, assigned, resolved with a note, reopened: who and when on the row, audited
    services.alert_set_status(actor=regulator, alert_id=alert.external_id, status="in_progress")
    services.alert_assign(actor=regulator, alert_id=alert.external_id, assignee_id=other.external_id)
    alert.refresh_from_db()
    assert (alert.status, alert.assigned_to, alert.status_changed_by) == (
        "in_progress",
        other,
        regulator.user,
    )
    assert alert.status_changed_at is not None and alert.assigned_at is not None
    services.alert_set_status(
        actor=regulator, alert_id=alert.external_id, status="resolved", note="Fake, seized"
    )
    alert.refresh_from_db()
    assert (alert.status, alert.resolution_note, alert.resolved_by) == (
        "resolved",
        "Fake, seized",
        regulator.user,
    )
    services.alert_set_status(actor=regulator, alert_id=alert.external_id, status="in_progress")
    alert.refresh_from_db()
    assert (alert.status, alert.resolution_note, alert.resolved_at) == ("in_progress", "", None)
    audit = AuditLog.objects.filter(object_id=str(alert.external_id)).order_by("id")
    actions = list(audit.values_list("action", flat=True))
    assert actions[-4:] == ["alert.status", "alert.assign", "alert.status", "alert.status"]


@pytest.mark.parametrize(
    ("start", "status", "note", "code"),
    [
        ("open", "resolved", "  ", "required"),
        ("open", "open", "", "alert_status_unchanged"),
        ("resolved", "open", "", "alert_bad_transition"),
        ("open", "closed", "", "bad_status"),
    ],
)
def test_alert_status_refusals_change_nothing(regulator, citizen_report, start, status, note, code):
    alert = citizen_report
    if start == "resolved":
        services.alert_resolve(actor=regulator, alert_id=alert.external_id, note="done")
    before, audits = _snapshot(alert), AuditLog.objects.count()
    with pytest.raises(DomainError) as exc:
        services.alert_set_status(actor=regulator, alert_id=alert.external_id, status=status, note=note)
    assert exc.value.code == code
    assert _snapshot(alert) == before and AuditLog.objects.count() == audits


def test_alerts_are_assigned_to_the_regulators_staff_only(
    regulator, citizen_report, make_user, pharmacy, client
):
    alert = citizen_report
    pharmacist = make_user("pharmacist", pharmacy)
    before, audits = _snapshot(alert), AuditLog.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.alert_assign(actor=regulator, alert_id=alert.external_id, assignee_id=pharmacist.external_id)
    assert exc.value.code == "assignee_not_staff"
    # the page says so on the alert's page, and nothing changed
    client.force_login(regulator.user)
    page = client.post(
        f"/trace/alerts/{alert.external_id}/assign/", {"assignee": str(pharmacist.external_id)}
    )
    assert page.status_code == 422
    assert "Alerts are assigned to the regulator&#x27;s staff only." in page.content.decode()
    assert _snapshot(alert) == before and AuditLog.objects.count() == audits


def test_alert_page_shows_everything_the_citizen_reported(client, regulator, citizen_report):
    alert = citizen_report
    client.force_login(regulator.user)

    # the inbox: a readable title, no internal code as the title
    inbox = client.get("/trace/alerts/").content.decode()
    assert f'href="/trace/alerts/{alert.external_id}/">Citizen suspects a counterfeit</a>' in inbox
    assert "Check by a citizen" in inbox

    page = client.get(f"/trace/alerts/{alert.external_id}/").content.decode()
    assert "<h1 data-alert-title>Citizen suspects a counterfeit</h1>" in page
    assert "The box looks different from the last one.<br>The print is blurred." in page
    assert "Pharmacy One, Chuy avenue 1" in page and "Bishkek city" in page
    assert '<a href="tel:+996555123456">+996555123456</a>' in page
    assert "Genuine and in circulation" in page  # what the check had answered
    photo = client.get(f"/trace/alerts/{alert.external_id}/photo/")
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"
    assert b"".join(photo.streaming_content).startswith(b"\x89PNG")


def test_alert_pages_are_for_the_regulator_only(client, make_user, pharmacy, citizen_report):
    client.force_login(make_user("pharmacist", pharmacy))
    alert = citizen_report
    for url in ("", "photo/"):
        assert client.get(f"/trace/alerts/{alert.external_id}/{url}").status_code == 403
    assert client.get("/trace/alerts/export.csv").status_code == 403
    before = _snapshot(alert)
    assert (
        client.post(f"/trace/alerts/{alert.external_id}/status/", {"status": "in_progress"}).status_code
        == 302
    )
    assert _snapshot(alert) == before


def test_alerts_export_to_csv_as_filtered(client, regulator, citizen_report, pharmacy, codes):
    with pytest.raises(services.OperationRefused):
        services.packages_sell(actor=actor_for(pharmacy), codes=codes(1, start=900))  # never introduced
    client.force_login(regulator.user)

    response = client.get("/trace/alerts/export.csv?kind=citizen_report")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="alerts-')
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 2  # the header and the one report (the refused sale is of another kind)
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Alert"] == "Citizen suspects a counterfeit" and row["Kind code"] == "citizen_report"
    assert row["Status"] == "New" and row["Organisation"] == "Pharmacy One"
    assert row["Description"] == "The box looks different from the last one.\nThe print is blurred."
    assert row["Phone"] == "+996555123456" and row["Where bought"] == "Pharmacy One, Chuy avenue 1"
    assert row["Link"].endswith(f"/trace/alerts/{citizen_report.external_id}/")
    everything = b"".join(client.get("/trace/alerts/export.csv?status=all").streaming_content).decode()
    assert len(list(csv.reader(io.StringIO(everything.lstrip("\ufeff"))))) == 3


def test_csv_cells_that_look_like_formulas_are_defused():
    from salamat.core.spreadsheet import spreadsheet_safe as _csv_cell

    assert _csv_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert _csv_cell("@SUM(A1)") == "'@SUM(A1)"
    assert _csv_cell("+996555123456") == "+996555123456"
    assert _csv_cell("-3") == "-3"
    assert _csv_cell(None) == ""


def test_recall_codes_box_splits_at_line_breaks_not_at_a_scanners_gs(
    client, make_user, ministry, at_pharmacy
):
    from salamat.traceability.codes import code_lines

    # a scanner sends a GS1 code with a GS (0x1D) after a variable-length element
    batch = at_pharmacy(2, batch="B1")
    scanned = [c if "\x1d" in c else c.replace("10B1", "10B1\x1d", 1) for c in batch]
    assert all("\x1d" in c for c in scanned)
    assert code_lines(f"{scanned[0]}\r\n{scanned[1]}\n\n") == scanned
    client.force_login(make_user("regulator", ministry))
    fragment = client.post(
        "/trace/recalls/preview/", {"kind": "recall", "package_codes": "\n".join(scanned)}
    ).content.decode()
    assert 'data-packages="2"' in fragment
