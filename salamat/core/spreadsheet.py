"""A text cell a spreadsheet program will not run: the one CSV-injection guard of every export."""

from __future__ import annotations

# A spreadsheet runs a cell that starts with these as a formula; such a cell gets a leading '
# (a phone number "+996…" or a negative number stays as it is).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value) -> str:
    """`value` as cell text, quoted when a spreadsheet would take it for a formula."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) and not text.lstrip("+-").replace(" ", "").isdigit():
        return "'" + text
    return text
