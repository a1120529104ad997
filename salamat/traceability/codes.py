"""The one place traceability gets its code parser from (`salamat.codes`)."""

from __future__ import annotations

from salamat.codes import parse_many

__all__ = ["parse_many"]
