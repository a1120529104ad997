"""What a parsed package code is (pure). The parser in `salamat.codes.parser` fills these."""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from datetime import date
from enum import StrEnum

from salamat.core.errors import ValidationFailed


class CodeKind(StrEnum):
    """What a scanned string identifies."""

    SGTIN = "sgtin"  # a unique GS1 package: GTIN + serial (DataMatrix, Digital Link, EPC URN)
    SSCC = "sscc"  # a logistic unit (box, pallet): GS1 SSCC
    STICKER = "sticker"  # a system-issued sticker serial (or its /p/<serial> URL)
    OTHER = "other"  # another manufacturer's scheme registered as data
    GTIN_ONLY = "gtin_only"  # a product code with no serial (EAN-13 etc.): not a package identity


@dataclass(frozen=True)
class ParsedCode:
    """One scanned code, normalised.

    ``key`` is the canonical package key used everywhere in the database:
    * SGTIN   -> ``01/<gtin14>/21/<serial>`` (the GS1 Digital Link path)
    * SSCC    -> ``00/<sscc18>``
    * STICKER -> ``sticker:<serial>``
    * OTHER   -> ``<scheme>:<value>``
    * GTIN_ONLY has no key (``""``): such a package needs a system sticker.
    Batch and expiry are data, not identity; verification tails (AI 91/92/93) likewise.
    """

    kind: CodeKind
    key: str
    gtin: str | None = None  # GTIN-14
    serial: str | None = None
    sscc: str | None = None
    batch: str | None = None
    expiry: date | None = None
    scheme: str | None = None  # for OTHER/STICKER
    extra: dict[str, str] = field(default_factory=dict)  # other AIs (e.g. "91", "92", "93", "11")
    raw: str = ""
    # How the code was written: "element_string", "hri", "digital_link", "epc_urn", "plain_sscc",
    # "sticker_url", "sticker_serial", "scheme". Diagnostic only, never identity.
    source: str = ""


class CodeError(ValidationFailed):
    """A string that is not a usable package code. ``code`` is one of:
    ``empty``, ``unknown_format``, ``bad_check_digit``, ``missing_serial``, ``bad_date``,
    ``bad_gtin``, ``bad_serial``, ``bad_sscc``, ``needs_sticker`` (a plain GTIN/EAN: the
    package has no unique code and needs a system sticker), ``too_long``."""

    def __init__(self, code: str, message: str = "", *, raw: str = "", details: dict | None = None):
        super().__init__(code, message, details={"raw": raw[:200], **(details or {})})
        self.raw = raw


_DEFAULTS = {f.name: f.default for f in fields(ParsedCode) if f.default is not MISSING}


def new_parsed(**values) -> ParsedCode:
    """A ParsedCode built without the frozen dataclass __init__ (one setattr per field): the
    fast path makes tens of thousands per request. `extra` must be passed (a fresh dict)."""
    obj = object.__new__(ParsedCode)
    state = obj.__dict__
    state.update(_DEFAULTS)
    state.update(values)
    return obj
