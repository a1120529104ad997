"""Loading the stand-in registers from CSV: all rows or none, every bad row reported.

Each importer parses every row first (collecting `(line, column, reason)` for each bad
one) and writes only when the whole file is good, upserting by the register's key."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.db import transaction

from salamat.core.errors import ValidationFailed
from salamat.core.identifiers import validate_tax_id
from salamat.tunduk.models import LegalEntity, MedicalLicence


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.reason}"


class ImportRefused(Exception):
    """The file was not loaded; `errors` says why, row by row."""

    def __init__(self, errors: list[RowError]):
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int


def _date(value: str, *, required: bool) -> date | None:
    value = (value or "").strip()
    if not value:
        if required:
            raise ValueError("required")
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _tax_id(value: str) -> str:
    try:
        return validate_tax_id(value)
    except ValidationFailed:
        raise ValueError(f"{value!r} is not a 14-digit tax ID") from None


def _read(
    path: Path, required: Iterable[str], parse: Callable[[dict[str, str], Callable], dict[str, Any] | None]
) -> list[dict[str, Any]]:
    errors: list[RowError] = []
    rows: list[dict[str, Any]] = []
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = sorted(set(required) - set(reader.fieldnames or ()))
            if missing:
                raise ImportRefused([RowError(1, c, "missing column") for c in missing])
            for line, row in enumerate(reader, start=2):
                row_errors: list[RowError] = []

                def field(column: str, convert: Callable[[str], Any], _line=line, _row=row, _errs=row_errors):
                    try:
                        return convert(_row.get(column) or "")
                    except ValueError as exc:
                        _errs.append(RowError(_line, column, str(exc)))
                        return None

                parsed = parse(row, field)
                if row_errors:
                    errors.extend(row_errors)
                elif parsed is not None:
                    rows.append(parsed)
    except UnicodeDecodeError:
        raise ImportRefused([RowError(0, "-", "the file is not UTF-8 text")]) from None
    if errors:
        raise ImportRefused(errors)
    return rows


def _text(required: bool = False, max_length: int = 255) -> Callable[[str], str]:
    def convert(value: str) -> str:
        value = value.strip()
        if required and not value:
            raise ValueError("required")
        if len(value) > max_length:
            raise ValueError(f"longer than {max_length} characters")
        return value

    return convert


def legal_entities_import(path: Path) -> ImportResult:
    """Columns: tax_id, name, registered_on (required); legal_form, address, liquidated_on."""

    def parse(row, field):
        return {
            "tax_id": field("tax_id", _tax_id),
            "name": field("name", _text(required=True)),
            "legal_form": field("legal_form", _text(max_length=120)),
            "address": field("address", _text()),
            "registered_on": field("registered_on", lambda v: _date(v, required=True)),
            "liquidated_on": field("liquidated_on", lambda v: _date(v, required=False)),
        }

    rows = _read(path, ("tax_id", "name", "registered_on"), parse)
    return _upsert(LegalEntity, "tax_id", rows)


def licences_import(path: Path) -> ImportResult:
    """Columns: number, tax_id, issued_on (required); valid_until, revoked_on, activities (`;`-separated)."""

    def parse(row, field):
        issued = field("issued_on", lambda v: _date(v, required=True))

        def until(value: str) -> date | None:
            day = _date(value, required=False)
            if day and issued and day < issued:
                raise ValueError("earlier than issued_on")
            return day

        return {
            "number": field("number", _text(required=True, max_length=64)),
            "tax_id": field("tax_id", _tax_id),
            "issued_on": issued,
            "valid_until": field("valid_until", until),
            "revoked_on": field("revoked_on", lambda v: _date(v, required=False)),
            "activities": field("activities", lambda v: [a.strip() for a in v.split(";") if a.strip()]),
        }

    rows = _read(path, ("number", "tax_id", "issued_on"), parse)
    return _upsert(MedicalLicence, "number", rows)


@transaction.atomic
def _upsert(model, key: str, rows: list[dict[str, Any]]) -> ImportResult:
    existing = set(model.objects.filter(**{f"{key}__in": [r[key] for r in rows]}).values_list(key, flat=True))
    created = updated = 0
    for row in rows:
        model.objects.update_or_create(**{key: row[key]}, defaults={k: v for k, v in row.items() if k != key})
        if row[key] in existing:
            updated += 1
        else:
            created += 1
            existing.add(row[key])
    return ImportResult(created=created, updated=updated)
