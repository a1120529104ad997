"""CSV imports of products and organisations, through the management commands."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from salamat.core.actors import SYSTEM
from salamat.core.models import AuditLog
from salamat.registry import services
from salamat.registry.importers import ImportFileError, ImportRejected, ProductImporter, run_import
from salamat.registry.models import Organization, Product, ProductGtin, Site, TrackingListEntry
from salamat.registry.tests.helpers import gln13, gtin13, wrong_check_digit

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).resolve().parents[3] / "docs" / "samples"
PRODUCT_HEADER = [
    "registration_number",
    "registered_on",
    "valid_until",
    "trade_name",
    "inn",
    "atc_code",
    "dosage_form",
    "strength",
    "units_per_package",
    "manufacturer_name",
    "manufacturer_country",
    "gtins",
    "tracking_lists",
]


@pytest.fixture(autouse=True)
def _english():
    """These tests read the report's wording; operators get it in Russian by default."""
    from django.utils import translation

    with translation.override("en"):
        yield


def product_row(n: int, **overrides) -> dict[str, str]:
    row = {
        "registration_number": f"KG-IMP-{n:04d}",
        "registered_on": "2024-01-15",
        "valid_until": "2029-01-14",
        "trade_name": f"Importamol {n}",
        "inn": "paracetamol",
        "atc_code": "N02BE01",
        "dosage_form": "tablets",
        "strength": "500 mg",
        "units_per_package": "20",
        "manufacturer_name": "Example Demo Pharma",
        "manufacturer_country": "KG",
        "gtins": gtin13(1000 + n),
        "tracking_lists": "",
    }
    return {**row, **overrides}


def to_csv(rows: list[dict[str, str]], header: list[str] | None = None, *, delimiter=",") -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header or list(rows[0]), delimiter=delimiter, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@pytest.fixture
def write_file(tmp_path):
    def _write(content: str | bytes, name: str = "file.csv") -> str:
        path = tmp_path / name
        if isinstance(content, str):
            content = content.encode("utf-8")
        path.write_bytes(content)
        return str(path)

    return _write


@pytest.fixture
def lists(db):
    first = services.tracking_list_create(
        actor=SYSTEM, code="first-list", name="First list", mandatory_from=date(2026, 1, 1)
    )
    htf = services.tracking_list_create(actor=SYSTEM, code="htf", name="HTF", mandatory_from=date(2026, 4, 1))
    services.tracking_list_create(
        actor=SYSTEM, code="all-drugs", name="All", mandatory_from=date(2027, 7, 1), covers_all_products=True
    )
    return first, htf


def run(command: str, path: str, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(command, path, *args, "--language", "en", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def rejected(command: str, path: str, *args: str) -> tuple[str, str]:
    """Runs an import that must fail; returns (error message, report on stderr)."""
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command(command, path, *args, "--language", "en", stdout=io.StringIO(), stderr=err)
    return str(caught.value), err.getvalue()


# --- products: the happy path and re-import ----------------------------------------------------


def test_import_products_creates_products_gtins_and_list_entries(lists, write_file):
    # given
    rows = [
        product_row(1, tracking_lists="first-list;htf"),
        product_row(2, gtins=f"{gtin13(2)};{'0' + gtin13(3)}", registered_on="15.06.2022", valid_until=""),
    ]
    path = write_file(to_csv(rows))
    # when
    out, err = run("import_products", path)
    # then
    assert "2 created, 0 updated" in out
    assert err == ""
    one = Product.objects.get(registration_number="KG-IMP-0001")
    assert {tl.code for tl in one.tracking_lists.all()} == {"first-list", "htf"}
    two = Product.objects.get(registration_number="KG-IMP-0002")
    assert two.registered_on == date(2022, 6, 15)
    assert two.valid_until is None
    assert sorted(two.gtins.values_list("gtin", flat=True)) == sorted(["0" + gtin13(2), "0" + gtin13(3)])
    audit = AuditLog.objects.get(action="registry.import_products")
    assert audit.changes["created"] == 2
    assert audit.changes["updated"] == 0
    assert audit.changes["skipped"] == 0
    # one audit row for the whole import, none per product
    assert not AuditLog.objects.filter(action="product.create").exists()


def test_reimport_updates_by_registration_number_and_never_duplicates(lists, write_file):
    rows = [product_row(1), product_row(2), product_row(3)]
    run("import_products", write_file(to_csv(rows), "v1.csv"))
    # when: the same file again
    out, _ = run("import_products", write_file(to_csv(rows), "v1.csv"))
    assert "0 created, 0 updated, 3 unchanged" in out
    # when: a new version changes one product, adds a GTIN and a list to another
    rows[0]["trade_name"] = "Importamol Forte"
    rows[1]["gtins"] += ";" + gtin13(99)
    rows[2]["tracking_lists"] = "htf"
    out, _ = run("import_products", write_file(to_csv(rows), "v2.csv"))
    # then
    assert "0 created, 3 updated, 0 unchanged" in out
    assert Product.objects.count() == 3
    assert Product.objects.get(registration_number="KG-IMP-0001").trade_name == "Importamol Forte"
    assert ProductGtin.objects.count() == 4
    assert TrackingListEntry.objects.count() == 1
    assert AuditLog.objects.filter(action="registry.import_products").count() == 3


def test_sample_files_import(lists, db):
    services.tracking_list_create(
        actor=SYSTEM, code="essential-medicines", name="Essential", mandatory_from=date(2026, 9, 1)
    )
    out, _ = run("import_products", str(SAMPLES / "products.csv"))
    assert "5 created" in out
    out, _ = run("import_organizations", str(SAMPLES / "organizations.csv"))
    assert "5 created" in out
    message, report = rejected("import_products", str(SAMPLES / "products-with-errors.csv"))
    assert "nothing was written" in message
    assert "line 2, column gtins" in report


def test_semicolon_separated_file_with_bom(lists, write_file):
    content = "\ufeff" + to_csv([product_row(1, gtins=f"{gtin13(1)}")], delimiter=";")
    out, _ = run("import_products", write_file(content))
    assert "1 created" in out


# --- products: bad files and bad rows ------------------------------------------------------------


def test_missing_column_named(lists, write_file, snapshot):
    header = [h for h in PRODUCT_HEADER if h not in ("atc_code", "gtins")]
    rows = [{k: v for k, v in product_row(1).items() if k in header}]
    before = snapshot()
    message, _ = rejected("import_products", write_file(to_csv(rows, header)))
    assert "Required column missing: atc_code, gtins" in message
    assert snapshot() == before


def test_tracking_lists_column_is_optional(lists, write_file):
    header = [h for h in PRODUCT_HEADER if h != "tracking_lists"]
    rows = [{k: v for k, v in product_row(1).items() if k in header}]
    out, _ = run("import_products", write_file(to_csv(rows, header)))
    assert "1 created" in out


def test_windows_1251_file_refused(lists, write_file, snapshot):
    content = to_csv([product_row(1), product_row(2, trade_name="Парацетамол", dosage_form="таблетки")])
    before = snapshot()
    message, _ = rejected("import_products", write_file(content.encode("cp1251")))
    assert "not UTF-8" in message
    assert "line 3" in message
    assert snapshot() == before
    with pytest.raises(ImportFileError) as caught:
        run_import(ProductImporter(), content.encode("cp1251"), actor=SYSTEM)
    assert caught.value.code == "encoding_not_utf8"


def test_excel_workbook_refused(lists, write_file):
    message, _ = rejected("import_products", write_file(b"PK\x03\x04binary stuff"))
    assert "CSV UTF-8" in message


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"gtins": wrong_check_digit(gtin13(5))}, "column gtins: GTIN"),
        ({"gtins": ""}, "column gtins: At least one GTIN is required."),
        ({"atc_code": "N2BE01"}, "column atc_code: An ATC code looks like"),
        ({"registered_on": "2024-02-30"}, "column registered_on: 2024-02-30 is not a date"),
        ({"valid_until": "2020-01-01"}, "column valid_until: The registration cannot end before it starts."),
        (
            {"tracking_lists": "no-such-list"},
            "column tracking_lists: There is no tracking list no-such-list.",
        ),
        ({"tracking_lists": "all-drugs"}, "column tracking_lists: The list all-drugs covers every product"),
        (
            {"manufacturer_country": "Kyrgyzstan"},
            "column manufacturer_country: KYRGYZSTAN is not an ISO 3166-1",
        ),
        ({"units_per_package": "ten"}, "column units_per_package:"),
        ({"trade_name": ""}, "column trade_name: trade_name is required."),
    ],
)
def test_bad_row_is_reported_and_nothing_written(lists, write_file, snapshot, overrides, expected):
    # given: a good row and a bad one on line 3
    rows = [product_row(1), product_row(2, **overrides)]
    before = snapshot()
    # when
    message, report = rejected("import_products", write_file(to_csv(rows)))
    # then
    assert "nothing was written" in message
    assert f"line 3, {expected}" in report
    assert "line 2" not in report
    assert snapshot() == before


def test_wrong_check_digit_message_names_the_gtin(lists, write_file):
    bad = wrong_check_digit(gtin13(5))
    _, report = rejected("import_products", write_file(to_csv([product_row(1, gtins=bad)])))
    assert f"line 2, column gtins: GTIN {bad} has a wrong check digit." in report


def test_duplicate_gtin_within_the_file(lists, write_file, snapshot):
    rows = [product_row(1), product_row(2), product_row(3, gtins=product_row(1)["gtins"])]
    before = snapshot()
    _, report = rejected("import_products", write_file(to_csv(rows)))
    assert f"line 4, column gtins: GTIN 0{gtin13(1001)} is also on line 2." in report
    assert snapshot() == before


def test_duplicate_registration_number_within_the_file(lists, write_file):
    rows = [product_row(1), product_row(2, registration_number="KG-IMP-0001")]
    _, report = rejected("import_products", write_file(to_csv(rows)))
    assert "line 3, column registration_number: Registration number KG-IMP-0001 is also on line 2." in report


def test_gtin_of_another_product_in_the_registry(lists, write_file, make_product, snapshot):
    make_product(registration_number="KG-OTHER-1", gtin="0" + gtin13(77))
    rows = [product_row(1, gtins=gtin13(77))]
    before = snapshot()
    _, report = rejected("import_products", write_file(to_csv(rows)))
    assert f"line 2, column gtins: GTIN 0{gtin13(77)} already belongs to product KG-OTHER-1." in report
    assert snapshot() == before


def test_every_problem_of_a_row_is_reported(lists, write_file):
    rows = [product_row(1, atc_code="bad", manufacturer_country="ZZ", tracking_lists="nope")]
    message, report = rejected("import_products", write_file(to_csv(rows)))
    assert "3 problem(s)" in message
    for column in ("atc_code", "manufacturer_country", "tracking_lists"):
        assert f"line 2, column {column}:" in report


def test_skip_invalid_writes_the_good_rows(lists, write_file):
    rows = [product_row(1), product_row(2, atc_code="nonsense"), product_row(3)]
    out, err = run("import_products", write_file(to_csv(rows)), "--skip-invalid")
    assert "2 created, 0 updated, 0 unchanged, 1 skipped" in out
    assert "line 3, column atc_code" in err
    assert set(Product.objects.values_list("registration_number", flat=True)) == {
        "KG-IMP-0001",
        "KG-IMP-0003",
    }
    audit = AuditLog.objects.get(action="registry.import_products")
    assert audit.changes["skipped"] == 1
    assert audit.changes["skipped_lines"] == [3]


def test_dry_run_writes_nothing(lists, write_file, snapshot):
    before = snapshot()
    out, _ = run("import_products", write_file(to_csv([product_row(1), product_row(2)])), "--dry-run")
    assert "2 created" in out
    assert "Dry run" in out
    assert snapshot() == before


def test_import_refused_to_a_non_ministry_user(lists, write_file, make_org, make_user, snapshot):
    user = make_user("pharmacist", make_org("pharmacy"))
    before = snapshot()
    message, _ = rejected("import_products", write_file(to_csv([product_row(1)])), "--user", user.username)
    assert "ministry" in message
    assert snapshot() == before


def test_import_as_a_ministry_user_is_attributed(lists, write_file, regulator):
    run("import_products", write_file(to_csv([product_row(1)])), "--user", regulator.user.username)
    assert AuditLog.objects.get(action="registry.import_products").actor_user == regulator.user


def test_import_rejected_details_are_machine_readable(lists):
    content = to_csv([product_row(1, atc_code="??")]).encode()
    with pytest.raises(ImportRejected) as caught:
        run_import(ProductImporter(), content, actor=SYSTEM)
    assert caught.value.details["errors"] == [
        {
            "line": 2,
            "column": "atc_code",
            "code": "atc_malformed",
            "message": "An ATC code looks like A01BC03 (letter, 2 digits, 2 letters, 2 digits).",
        }
    ]


def test_line_numbers_count_multiline_cells(lists, write_file):
    rows = [product_row(1, trade_name="Two\nlines"), product_row(2, atc_code="bad")]
    _, report = rejected("import_products", write_file(to_csv(rows)))
    assert "line 4, column atc_code" in report


# --- organisations -----------------------------------------------------------------------------

ORG_HEADER = ["tax_id", "name", "org_type", "ownership", "address", "region", "district", "gln"]


def org_row(n: int, **overrides) -> dict[str, str]:
    row = {
        "tax_id": f"0810000000{n:04d}",
        "name": f"Example Demo Pharmacy {n}",
        "org_type": "pharmacy",
        "ownership": "private",
        "address": f"Example St. {n}",
        "region": "bishkek",
        "district": "Central district",
        "gln": gln13(n),
    }
    return {**row, **overrides}


def test_import_organizations_with_main_site(write_file):
    rows = [org_row(1), org_row(2, region="Issyk-Kul", gln="", org_type="medical", ownership="public")]
    out, _ = run("import_organizations", write_file(to_csv(rows)))
    assert "2 created" in out
    one = Organization.objects.get(tax_id=org_row(1)["tax_id"])
    assert one.status == "active"
    assert one.region == "bishkek"
    site = one.sites.get()
    assert (site.name, site.address, site.gln) == (one.name, "Example St. 1", gln13(1))
    two = Organization.objects.get(tax_id=org_row(2)["tax_id"])
    assert two.region == "issyk_kul"
    assert two.sites.get().gln is None
    assert AuditLog.objects.get(action="registry.import_organizations").changes["created"] == 2


def test_reimport_organizations_updates_by_tax_id(write_file, regulator):
    rows = [org_row(1), org_row(2)]
    run("import_organizations", write_file(to_csv(rows)))
    org = Organization.objects.get(tax_id=org_row(1)["tax_id"])
    services.organization_set_status(actor=regulator, organization=org, status="suspended")
    # when: the address of one changes; the file has no status column
    rows[0]["address"] = "New Example St. 10"
    out, _ = run("import_organizations", write_file(to_csv(rows)))
    # then
    assert "0 created, 1 updated, 1 unchanged" in out
    assert Organization.objects.count() == 3  # two imported and the ministry
    assert Site.objects.filter(organization=org).get().address == "New Example St. 10"
    org.refresh_from_db()
    assert org.status == "suspended", "a column left out keeps what is stored"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"tax_id": "123"}, "column tax_id: A tax ID is exactly 14 digits."),
        ({"region": "Atlantis"}, "column region: region: Atlantis is not one of"),
        ({"gln": wrong_check_digit(gln13(2))}, "column gln: GLN"),
        ({"org_type": "bank"}, "column org_type:"),
        ({"address": ""}, "column address: address is required."),
    ],
)
def test_bad_organization_rows(write_file, snapshot, overrides, expected):
    rows = [org_row(1), org_row(2, **overrides)]
    before = snapshot()
    _, report = rejected("import_organizations", write_file(to_csv(rows)))
    assert f"line 3, {expected}" in report
    assert snapshot() == before


def test_organization_duplicates(write_file, make_org, regulator, snapshot):
    holder = make_org("wholesaler")
    services.site_create(
        actor=regulator, organization=holder, name="Depot", address="x 1", region="chuy", gln=gln13(50)
    )
    rows = [
        org_row(1),
        org_row(2, tax_id=org_row(1)["tax_id"]),
        org_row(3, gln=gln13(1)),
        org_row(4, gln=gln13(50)),
    ]
    before = snapshot()
    _, report = rejected("import_organizations", write_file(to_csv(rows)))
    assert f"line 3, column tax_id: Tax ID {org_row(1)['tax_id']} is also on line 2." in report
    assert f"line 4, column gln: GLN {gln13(1)} is also on line 2." in report
    assert (
        f"line 5, column gln: GLN {gln13(50)} belongs to a site of the organisation with tax ID {holder.tax_id}"
        in report
    )
    assert snapshot() == before


def test_organizations_missing_column(write_file):
    rows = [{k: v for k, v in org_row(1).items() if k != "region"}]
    message, _ = rejected("import_organizations", write_file(to_csv(rows)))
    assert "Required column missing: region" in message


def test_report_in_russian_by_default(lists, write_file):
    path = write_file(to_csv([product_row(1, gtins=wrong_check_digit(gtin13(5)))]))
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import_products", path, stdout=io.StringIO(), stderr=err)
    assert "ничего не записано" in str(caught.value)
    assert "строка 2, столбец gtins: У GTIN" in err.getvalue()


def test_a_race_on_a_unique_value_rolls_the_import_back(lists, write_file, snapshot, monkeypatch):
    from django.db import IntegrityError

    from salamat.core.errors import Conflict

    def racing_write(self, rows, report):
        Product.objects.create(
            registration_number="KG-RACE",
            registered_on=date(2024, 1, 1),
            trade_name="x",
            inn="x",
            atc_code="N",
            dosage_form="x",
            manufacturer_name="x",
            manufacturer_country="KG",
        )
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(ProductImporter, "write", racing_write)
    before = snapshot()
    with pytest.raises(Conflict) as caught:
        run_import(ProductImporter(), to_csv([product_row(1)]).encode(), actor=SYSTEM)
    assert caught.value.code == "import_conflict"
    assert snapshot() == before
