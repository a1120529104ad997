"""CSV imports into the registry: one importer core, one subclass per kind of file.

The core reads the bytes (UTF-8, with or without BOM; comma or semicolon separated),
checks the header, lets the subclass clean each row and then check all rows at
once against each other and against the database (a handful of queries for the
whole file, never one per row), and writes everything in one transaction with one
audit row carrying the counts.

If any row is bad nothing is written, unless `skip_invalid`: then the good rows are
written and the bad ones counted as skipped. Every problem is reported as
``line N, column X: reason`` (line numbers as a text editor shows them).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

from django.db import IntegrityError, transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _

from salamat.core.actors import Actor
from salamat.core.audit import audit_record
from salamat.core.errors import Conflict, DomainError, ValidationFailed
from salamat.registry import services
from salamat.registry import validation as v
from salamat.registry.models import (
    Organization,
    OrganizationStatus,
    OwnershipForm,
    Product,
    ProductGtin,
    Site,
    TrackingList,
    TrackingListEntry,
)

# --- the core --------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One problem in one cell (or the whole row when `column` is empty)."""

    line: int
    column: str
    code: str
    message: str

    def __str__(self) -> str:
        if self.column:
            return _("line %(line)d, column %(column)s: %(message)s") % {
                "line": self.line,
                "column": self.column,
                "message": self.message,
            }
        return _("line %(line)d: %(message)s") % {"line": self.line, "message": self.message}

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "code": self.code, "message": self.message}


@dataclass
class Row:
    """One data row of the file: its first line number, its cells by column, its problems."""

    line: int
    cells: dict[str, str]
    errors: list[RowError] = field(default_factory=list)
    value: Any = None

    def add_error(self, column: str, code: str, message: str) -> None:
        self.errors.append(RowError(self.line, column, code, message))

    def clean(self, column: str, cleaner: Callable[[str], Any]) -> Any:
        """`cleaner(cell)`, or None with the refusal recorded against `column`."""
        try:
            return cleaner(self.cells.get(column, ""))
        except DomainError as exc:
            self.add_error(column, exc.code, exc.message)
            return None


@dataclass
class ImportReport:
    kind: str
    source: str = ""
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
        }

    def summary(self) -> str:
        text = _(
            "%(source)s: %(rows)d rows — %(created)d created, %(updated)d updated, "
            "%(unchanged)d unchanged, %(skipped)d skipped."
        ) % {"source": self.source or self.kind, **self.counts()}
        if self.dry_run:
            text += " " + _("Dry run: nothing was written.")
        return text


class ImportFileError(ValidationFailed):
    """The file as a whole cannot be read: wrong encoding, missing column, not a CSV."""


class ImportRejected(ValidationFailed):
    """Some rows are bad and `skip_invalid` was not asked for: nothing was written."""

    def __init__(self, report: ImportReport):
        super().__init__(
            "import_rejected",
            _("%(count)d problem(s) in the file; nothing was written.") % {"count": len(report.errors)},
            details={"errors": [e.as_dict() for e in report.errors]},
        )
        self.report = report


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = True  # must be in the header (a cell may still be allowed empty)


def decode(data: bytes) -> str:
    """The text of a UTF-8 file (a BOM is dropped), or `ImportFileError` saying what it is instead."""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(
            "not_csv", _("This is a spreadsheet workbook, not a CSV file: save it as 'CSV UTF-8'.")
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            "encoding_not_utf8",
            _(
                "The file is not UTF-8 (first bad byte on line %(line)d). Save it as 'CSV UTF-8' "
                "(Windows-1251 and other code pages are not accepted)."
            )
            % {"line": line},
            details={"line": line},
        ) from None


def read_rows(data: bytes, columns: Iterable[Column]) -> list[Row]:
    """The data rows of a CSV file, checked for encoding and for the required columns."""
    text = decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError("empty_file", _("The file is empty.")) from None
    names = [h.strip().lower() for h in header]
    if not any(names):
        raise ImportFileError("empty_file", _("The first line must name the columns."))
    duplicates = sorted({n for n in names if n and names.count(n) > 1})
    if duplicates:
        raise ImportFileError(
            "duplicate_column",
            _("Column %(columns)s appears more than once.") % {"columns": ", ".join(duplicates)},
            details={"columns": duplicates},
        )
    missing = [c.name for c in columns if c.required and c.name not in names]
    if missing:
        raise ImportFileError(
            "missing_column",
            _("Required column missing: %(columns)s.") % {"columns": ", ".join(missing)},
            details={"columns": missing, "found": names},
        )
    rows: list[Row] = []
    end_of_previous = reader.line_num
    try:
        for cells in reader:
            line = end_of_previous + 1
            end_of_previous = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            row = Row(line=line, cells={n: c.strip() for n, c in zip(names, cells, strict=False) if n})
            if len(cells) > len(names):
                row.add_error(
                    "",
                    "too_many_cells",
                    _("%(found)d cells but the header names %(expected)d columns.")
                    % {"found": len(cells), "expected": len(names)},
                )
            rows.append(row)
    except csv.Error as exc:
        raise ImportFileError(
            "csv_malformed",
            _("line %(line)d: the CSV is malformed (%(reason)s).") % {"line": reader.line_num, "reason": exc},
        ) from None
    return rows


def split_list(cell: str) -> list[str]:
    """A semicolon-separated cell as its non-empty items."""
    return [item.strip() for item in (cell or "").split(";") if item.strip()]


class CsvImporter:
    """One kind of CSV file. Subclasses declare `columns` and implement the three steps."""

    kind: ClassVar[str]
    columns: ClassVar[tuple[Column, ...]]

    def clean_row(self, row: Row) -> Any:
        """The row's clean value; problems go to `row.add_error` (every cell is checked)."""
        raise NotImplementedError

    def check_rows(self, rows: list[Row]) -> None:
        """Checks the rows against each other and the database, in bulk. A cell that did not
        clean is None in `row.value` and is left out of these checks."""

    def write(self, rows: list[Row], report: ImportReport) -> None:
        """Writes the good rows and fills `report.created/updated/unchanged`."""
        raise NotImplementedError


def run_import(
    importer: CsvImporter,
    data: bytes,
    *,
    actor: Actor,
    source: str = "",
    skip_invalid: bool = False,
    dry_run: bool = False,
) -> ImportReport:
    """Imports a file all-or-nothing (or skipping bad rows); one transaction, one audit row."""
    services.require_ministry(actor)
    report = ImportReport(kind=importer.kind, source=source, dry_run=dry_run)
    rows = read_rows(data, importer.columns)
    report.rows = len(rows)
    try:
        _run(importer, rows, report, actor=actor, source=source, skip_invalid=skip_invalid, dry_run=dry_run)
    except IntegrityError:
        # Another write took a GTIN, GLN, tax ID or registration number between the checks and
        # the writes; the transaction is rolled back whole.
        raise Conflict(
            "import_conflict",
            _("The registry changed while the file was being imported; nothing was written. Run it again."),
        ) from None
    return report


def _run(
    importer: CsvImporter,
    rows: list[Row],
    report: ImportReport,
    *,
    actor: Actor,
    source: str,
    skip_invalid: bool,
    dry_run: bool,
) -> None:
    with transaction.atomic():
        # Every row is cleaned and checked, bad or not, so that one run reports every problem.
        for row in rows:
            row.value = importer.clean_row(row)
        importer.check_rows(rows)
        bad = [r for r in rows if r.errors]
        report.errors = [e for r in bad for e in r.errors]
        if bad and not skip_invalid:
            raise ImportRejected(report)
        report.skipped = len(bad)
        importer.write([r for r in rows if not r.errors], report)
        audit_record(
            actor=actor,
            action=f"registry.import_{importer.kind}",
            object_type="registry.import",
            object_id=source[-64:],
            changes={
                **report.counts(),
                "file": source,
                "dry_run": dry_run,
                "skipped_lines": sorted({e.line for e in report.errors})[:200],
            },
        )
        if dry_run:
            transaction.set_rollback(True)


# --- products -----------------------------------------------------------------------------------

PRODUCT_COLUMNS = (
    Column("registration_number"),
    Column("registered_on"),
    Column("valid_until"),
    Column("trade_name"),
    Column("inn"),
    Column("atc_code"),
    Column("dosage_form"),
    Column("strength"),
    Column("units_per_package"),
    Column("manufacturer_name"),
    Column("manufacturer_country"),
    Column("gtins"),
    Column("tracking_lists", required=False),
    # The names in Russian and Kyrgyz; the dosage form's come from the controlled list.
    Column("trade_name_ru", required=False),
    Column("trade_name_ky", required=False),
    Column("inn_ru", required=False),
    Column("inn_ky", required=False),
)
# Product fields written from the file, in the model's terms.
_PRODUCT_VALUE_FIELDS = [c.name for c in PRODUCT_COLUMNS if c.name not in ("gtins", "tracking_lists")]
_PRODUCT_OPTIONAL_NAMES = frozenset({"trade_name_ru", "trade_name_ky", "inn_ru", "inn_ky"})
_PRODUCT_WRITTEN_FIELDS = [*_PRODUCT_VALUE_FIELDS, *services.DOSAGE_FORM_COPIES]


@dataclass
class ProductRow:
    values: dict[str, Any]
    gtins: list[str]
    lists: list[str]


class ProductImporter(CsvImporter):
    """The drug registry file: one product per row; re-import updates by registration number."""

    kind = "products"
    columns = PRODUCT_COLUMNS

    @cached_property
    def dosage_forms(self):
        return services.dosage_form_index()

    def clean_row(self, row: Row) -> ProductRow:
        # An optional column left out of the file keeps what is stored.
        values = {
            name: row.clean(name, services.PRODUCT_FIELDS[name])
            for name in _PRODUCT_VALUE_FIELDS
            if name not in _PRODUCT_OPTIONAL_NAMES or name in row.cells
        }
        if values["dosage_form"]:
            # A code or a name in any language of the controlled list; other text is kept as given.
            values.update(services.dosage_form_values(values["dosage_form"], self.dosage_forms))
        if values["registered_on"] and values["valid_until"]:
            row.clean(
                "valid_until",
                lambda _cell: services.check_product_dates(values["registered_on"], values["valid_until"]),
            )
        gtins: list[str] = []
        raw_gtins = split_list(row.cells.get("gtins", ""))
        if not raw_gtins:
            row.add_error("gtins", "required", _("At least one GTIN is required."))
        for raw in raw_gtins:
            gtin = row.clean("gtins", lambda _cell, raw=raw: v.clean_gtin(raw, field="gtins"))
            if gtin and gtin not in gtins:
                gtins.append(gtin)
        lists: list[str] = []
        for raw in split_list(row.cells.get("tracking_lists", "")):
            code = row.clean(
                "tracking_lists", lambda _cell, raw=raw: v.clean_slug(raw, field="tracking_lists")
            )
            if code and code not in lists:
                lists.append(code)
        return ProductRow(values=values, gtins=gtins, lists=lists)

    def check_rows(self, rows: list[Row]) -> None:
        # Repeats inside the file: the first row wins, later ones are the errors.
        first_reg: dict[str, int] = {}
        first_gtin: dict[str, int] = {}
        for row in rows:
            reg = row.value.values["registration_number"]
            if reg is not None and reg in first_reg:
                row.add_error(
                    "registration_number",
                    "duplicate_in_file",
                    _("Registration number %(value)s is also on line %(line)d.")
                    % {"value": reg, "line": first_reg[reg]},
                )
                continue
            if reg is not None:
                first_reg[reg] = row.line
            for gtin in row.value.gtins:
                if gtin in first_gtin:
                    row.add_error(
                        "gtins",
                        "gtin_duplicate_in_file",
                        _("GTIN %(value)s is also on line %(line)d.")
                        % {"value": gtin, "line": first_gtin[gtin]},
                    )
                else:
                    first_gtin[gtin] = row.line
        # A GTIN already in the registry must belong to the same product (same registration number).
        owners = dict(
            ProductGtin.objects.filter(gtin__in=first_gtin).values_list(
                "gtin", "product__registration_number"
            )
        )
        lists = {
            tl.code: tl
            for tl in TrackingList.objects.filter(code__in={c for r in rows for c in r.value.lists})
        }
        for row in rows:
            for gtin in row.value.gtins:
                owner = owners.get(gtin)
                if owner is not None and row.value.values["registration_number"] not in (owner, None):
                    row.add_error(
                        "gtins",
                        "gtin_taken",
                        _("GTIN %(value)s already belongs to product %(owner)s.")
                        % {"value": gtin, "owner": owner},
                    )
            for code in row.value.lists:
                if code not in lists:
                    row.add_error(
                        "tracking_lists",
                        "unknown_tracking_list",
                        _("There is no tracking list %(code)s.") % {"code": code},
                    )
                elif lists[code].covers_all_products:
                    row.add_error(
                        "tracking_lists",
                        "list_covers_all_products",
                        _("The list %(code)s covers every product; leave it out.") % {"code": code},
                    )

    def write(self, rows: list[Row], report: ImportReport) -> None:
        regs = [r.value.values["registration_number"] for r in rows]
        existing = {p.registration_number: p for p in Product.objects.filter(registration_number__in=regs)}
        known_gtins = set(
            ProductGtin.objects.filter(product__registration_number__in=regs).values_list(
                "product__registration_number", "gtin"
            )
        )
        lists = {
            tl.code: tl
            for tl in TrackingList.objects.filter(code__in={c for r in rows for c in r.value.lists})
        }
        on_lists = set(
            TrackingListEntry.objects.filter(product__registration_number__in=regs).values_list(
                "product__registration_number", "tracking_list__code"
            )
        )
        now = timezone.now()
        to_create: list[Product] = []
        to_update: list[Product] = []
        new_gtins: list[tuple[str, str]] = []
        new_entries: list[tuple[str, str]] = []
        for row in rows:
            values: dict[str, Any] = row.value.values
            reg = values["registration_number"]
            gtins = [(reg, g) for g in row.value.gtins if (reg, g) not in known_gtins]
            entries = [(reg, c) for c in row.value.lists if (reg, c) not in on_lists]
            new_gtins += gtins
            new_entries += entries
            product = existing.get(reg)
            if product is None:
                to_create.append(Product(**values))
                report.created += 1
                continue
            changed = [name for name, value in values.items() if getattr(product, name) != value]
            for name in changed:
                setattr(product, name, values[name])
            if changed:
                product.updated_at = now
                to_update.append(product)
            if changed or gtins or entries:
                report.updated += 1
            else:
                report.unchanged += 1
        Product.objects.bulk_create(to_create, batch_size=500)
        Product.objects.bulk_update(to_update, [*_PRODUCT_WRITTEN_FIELDS, "updated_at"], batch_size=500)
        ids = dict(
            Product.objects.filter(registration_number__in=regs).values_list("registration_number", "pk")
        )
        ProductGtin.objects.bulk_create(
            [ProductGtin(product_id=ids[reg], gtin=gtin) for reg, gtin in new_gtins], batch_size=1000
        )
        TrackingListEntry.objects.bulk_create(
            [TrackingListEntry(tracking_list=lists[code], product_id=ids[reg]) for reg, code in new_entries],
            batch_size=1000,
        )


# --- organisations --------------------------------------------------------------------------------

ORGANIZATION_COLUMNS = (
    Column("tax_id"),
    Column("name"),
    Column("org_type"),
    Column("address"),
    Column("region"),
    Column("short_name", required=False),
    Column("ownership", required=False),
    Column("status", required=False),
    Column("legal_address", required=False),
    Column("email", required=False),
    Column("phone", required=False),
    Column("licence_number", required=False),
    Column("site_name", required=False),
    Column("district", required=False),
    Column("gln", required=False),
    Column("opening_hours", required=False),
)


@dataclass
class OrganizationRow:
    organization: dict[str, Any]
    site: dict[str, Any]


class OrganizationImporter(CsvImporter):
    """Participants with their main site; re-import updates by tax ID."""

    kind = "organizations"
    columns = ORGANIZATION_COLUMNS

    def clean_row(self, row: Row) -> OrganizationRow:
        # Only the columns the file has are written: a column left out keeps what is stored.
        present = row.cells.keys()
        fields = services.ORGANIZATION_FIELDS
        org: dict[str, Any] = {}
        for name in (
            "tax_id",
            "name",
            "org_type",
            "short_name",
            "legal_address",
            "email",
            "phone",
            "licence_number",
        ):
            if name in present:
                org[name] = row.clean(name, fields[name])
        if row.cells.get("ownership"):
            org["ownership"] = row.clean("ownership", v.clean_ownership)
        if row.cells.get("status"):
            org["status"] = row.clean("status", v.clean_status)
        site: dict[str, Any] = {
            "address": row.clean("address", services.SITE_FIELDS["address"]),
            "region": row.clean("region", services.SITE_FIELDS["region"]),
        }
        if row.cells.get("site_name"):
            site["name"] = row.clean(
                "site_name", lambda cell: v.clean_text(cell, field="site_name", max_length=255)
            )
        for name in ("district", "gln", "opening_hours"):
            if name in present:
                site[name] = row.clean(name, services.SITE_FIELDS[name])
        org["region"] = site["region"]
        return OrganizationRow(organization=org, site=site)

    def check_rows(self, rows: list[Row]) -> None:
        first_tax: dict[str, int] = {}
        first_gln: dict[str, int] = {}
        for row in rows:
            tax_id = row.value.organization["tax_id"]
            if tax_id is not None and tax_id in first_tax:
                row.add_error(
                    "tax_id",
                    "duplicate_in_file",
                    _("Tax ID %(value)s is also on line %(line)d.")
                    % {"value": tax_id, "line": first_tax[tax_id]},
                )
                continue
            if tax_id is not None:
                first_tax[tax_id] = row.line
            gln = row.value.site.get("gln")
            if gln and gln in first_gln:
                row.add_error(
                    "gln",
                    "gln_duplicate_in_file",
                    _("GLN %(value)s is also on line %(line)d.") % {"value": gln, "line": first_gln[gln]},
                )
            elif gln:
                first_gln[gln] = row.line
        # A GLN in use may only be this organisation's main site's own.
        holders = {
            gln: (site_id, tax_id)
            for gln, site_id, tax_id in Site.objects.filter(gln__in=first_gln).values_list(
                "gln", "pk", "organization__tax_id"
            )
        }
        main_sites = self._main_sites(first_tax)
        for row in rows:
            gln = row.value.site.get("gln")
            if not gln or gln not in holders:
                continue
            site_id, holder_tax_id = holders[gln]
            if site_id != main_sites.get(row.value.organization["tax_id"]):
                row.add_error(
                    "gln",
                    "gln_taken",
                    _("GLN %(value)s belongs to a site of the organisation with tax ID %(tax_id)s.")
                    % {"value": gln, "tax_id": holder_tax_id},
                )

    @staticmethod
    def _main_sites(tax_ids: Iterable[str]) -> dict[str, int]:
        """The main (first registered) site of each existing organisation, by tax ID."""
        return {
            row["organization__tax_id"]: row["main"]
            for row in Site.objects.filter(organization__tax_id__in=list(tax_ids))
            .values("organization__tax_id")
            .annotate(main=Min("pk"))
        }

    def write(self, rows: list[Row], report: ImportReport) -> None:
        tax_ids = [r.value.organization["tax_id"] for r in rows]
        existing = {o.tax_id: o for o in Organization.objects.filter(tax_id__in=tax_ids)}
        main_site_ids = self._main_sites(tax_ids)
        sites = Site.objects.in_bulk(list(main_site_ids.values()))
        now = timezone.now()
        org_fields = sorted({n for r in rows for n in r.value.organization})
        site_fields = sorted({n for r in rows for n in r.value.site})
        new_orgs: list[Organization] = []
        changed_orgs: list[Organization] = []
        changed_sites: list[Site] = []
        new_sites: list[tuple[str, dict[str, Any]]] = []
        for row in rows:
            org_values, site_values = row.value.organization, row.value.site
            site_values = {"name": org_values["name"], **site_values}
            org = existing.get(org_values["tax_id"])
            if org is None:
                defaults = {
                    "ownership": OwnershipForm.PRIVATE,
                    "status": OrganizationStatus.ACTIVE,
                    "legal_address": site_values["address"],
                }
                new_orgs.append(Organization(**{**defaults, **org_values}))
                new_sites.append((org_values["tax_id"], site_values))
                report.created += 1
                continue
            touched = False
            if _assign(org, org_values):
                org.updated_at = now
                changed_orgs.append(org)
                touched = True
            site = sites.get(main_site_ids.get(org.tax_id, -1))
            if site is None:
                new_sites.append((org.tax_id, site_values))
                touched = True
            elif _assign(site, row.value.site):
                site.updated_at = now
                changed_sites.append(site)
                touched = True
            if touched:
                report.updated += 1
            else:
                report.unchanged += 1
        Organization.objects.bulk_create(new_orgs, batch_size=500)
        Organization.objects.bulk_update(changed_orgs, [*org_fields, "updated_at"], batch_size=500)
        Site.objects.bulk_update(changed_sites, [*site_fields, "updated_at"], batch_size=500)
        ids = dict(Organization.objects.filter(tax_id__in=tax_ids).values_list("tax_id", "pk"))
        Site.objects.bulk_create(
            [Site(organization_id=ids[tax_id], **values) for tax_id, values in new_sites], batch_size=500
        )


def _assign(instance: Any, values: dict[str, Any]) -> bool:
    """Sets `values` on `instance`; whether anything changed."""
    changed = False
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed


IMPORTERS: dict[str, type[CsvImporter]] = {"products": ProductImporter, "organizations": OrganizationImporter}
