"""Reading a code list the ministry supplies (pure: no Django).

CSV, UTF-8 (a BOM is accepted), a header row with ``code`` and any of ``title_ru``,
``title_ky``, ``title_en`` (and optionally ``active``: 1/0). Empty titles stay empty: the
record shows a marked fallback instead of guessing."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

TITLE_COLUMNS = ("title_ru", "title_ky", "title_en")


@dataclass(frozen=True)
class ConceptRow:
    code: str
    title_ru: str
    title_ky: str
    title_en: str
    active: bool = True


class CodeListError(ValueError):
    """The file is not a code list: says the line and what is wrong."""


def read_code_list(text: str) -> list[ConceptRow]:
    """The rows of a code-list CSV, or `CodeListError` naming the first bad line."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    columns = set(reader.fieldnames or ())
    if "code" not in columns or not columns.intersection(TITLE_COLUMNS):
        raise CodeListError("the header needs 'code' and at least one of title_ru, title_ky, title_en")
    rows: list[ConceptRow] = []
    seen: set[str] = set()
    for line, raw in enumerate(reader, start=2):
        code = (raw.get("code") or "").strip()
        if not code:
            raise CodeListError(f"line {line}: empty code")
        if code in seen:
            raise CodeListError(f"line {line}: code {code} appears twice")
        seen.add(code)
        active = (raw.get("active") or "1").strip().lower() not in ("0", "false", "no")
        rows.append(ConceptRow(code, *((raw.get(c) or "").strip() for c in TITLE_COLUMNS), active=active))
    return rows


def chunks(rows: list[ConceptRow], size: int = 1000) -> Iterable[list[ConceptRow]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]
