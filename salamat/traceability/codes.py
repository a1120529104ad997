"""The one place traceability gets its code parser from.

Swap to the real parser with one line once `salamat.codes.parse_many` lands:
``from salamat.codes import parse_many``.
"""

from __future__ import annotations

from salamat.traceability._codes_shim import parse_many

__all__ = ["parse_many"]
