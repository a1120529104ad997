"""The one place traceability gets its code parser from (`salamat.codes`), and how a text box of
scanned codes is split into codes."""

from __future__ import annotations

import re

from salamat.codes import parse_many

__all__ = ["code_lines", "parse_many"]

_LINE_BREAK = re.compile(r"\r\n|\n|\r")


def code_lines(text: str) -> list[str]:
    """One code per line of a text box. Line breaks only: `str.splitlines()` would also split
    at the GS separator (0x1D) a scanner puts inside a GS1 code."""
    return [line for line in _LINE_BREAK.split(text or "") if line.strip()]
