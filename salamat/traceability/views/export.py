"""A table of a page as a file: CSV (UTF-8 with a byte-order mark, so spreadsheet programs read
Cyrillic right) or Excel (openpyxl, write-only: rows stream into the workbook)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from salamat.core.spreadsheet import spreadsheet_safe

FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table_response(
    fmt: str, *, name: str, header: Sequence[str], rows: Iterable[Sequence], sheet: str = ""
) -> HttpResponse:
    """`rows` under `header` as a download `name`-<today>.csv or .xlsx."""
    filename = f"{name}-{timezone.localdate():%Y-%m-%d}.{fmt}"
    if fmt == "xlsx":
        response = HttpResponse(_xlsx(header, rows, sheet or name), content_type=XLSX_TYPE)
    else:
        response = HttpResponse(_csv(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _plain(value) -> str:
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


def _csv(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([str(h) for h in header])
    for row in rows:
        writer.writerow([spreadsheet_safe(_plain(v)) if not isinstance(v, int | float) else v for v in row])
    return ("\ufeff" + out.getvalue()).encode()


def _xlsx(header: Sequence[str], rows: Iterable[Sequence], sheet: str) -> bytes:
    book = Workbook(write_only=True)
    ws = book.create_sheet(title=sheet[:31])
    bold = Font(bold=True)
    cells = []
    for h in header:
        cell = WriteOnlyCell(ws, value=str(h))
        cell.font = bold
        cells.append(cell)
    ws.append(cells)
    for row in rows:
        ws.append([_xlsx_value(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_value(value):
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None)  # Excel has no time zones
    if isinstance(value, bool | int | float | date) or value is None:
        return value
    return str(value)
