"""In and out shapes of the labelling-scheme API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field

Part = Literal["product", "serial", "batch", "expiry"]
Algorithm = Literal["none", "gs1_mod10", "luhn", "iso7064_mod97_10", "ifa_ppn_mod97", "mod11", "hibc_mod43"]


class SchemeIn(Schema):
    code: str = Field(
        max_length=40, description="Key prefix: lower-case letters, digits, _ . - (e.g. `acme`)."
    )
    name_ru: str = Field(min_length=1, max_length=255)
    name_ky: str = Field(default="", max_length=255)
    name_en: str = Field(default="", max_length=255)
    kind: Literal["pattern", "envelope"] = "pattern"
    prefix: str = Field(
        default="",
        max_length=40,
        description="Literal start of the code (pattern) or of the product value (envelope).",
    )
    pattern: str = Field(
        default="",
        max_length=1000,
        description="Regular expression with named groups product, serial, batch, expiry.",
    )
    fields: dict[Part, str] = Field(
        default_factory=dict, description="Envelope: part -> data identifier (e.g. serial -> S)."
    )
    checks: dict[Literal["product", "serial", "batch", "expiry", "gtin"], Algorithm] = Field(
        default_factory=dict
    )
    expiry_format: Literal["YYMMDD", "YYYYMMDD"] = "YYMMDD"
    description: str = Field(default="", max_length=4000)


class SchemeUpdateIn(Schema):
    name_ru: str | None = Field(default=None, min_length=1, max_length=255)
    name_ky: str | None = Field(default=None, max_length=255)
    name_en: str | None = Field(default=None, max_length=255)
    kind: Literal["pattern", "envelope"] | None = None
    prefix: str | None = Field(default=None, max_length=40)
    pattern: str | None = Field(default=None, max_length=1000)
    fields: dict[Part, str] | None = None
    checks: dict[Literal["product", "serial", "batch", "expiry", "gtin"], Algorithm] | None = None
    expiry_format: Literal["YYMMDD", "YYYYMMDD"] | None = None
    description: str | None = Field(default=None, max_length=4000)


class SchemeOut(Schema):
    id: UUID = Field(alias="external_id")
    code: str
    name_ru: str
    name_ky: str
    name_en: str
    kind: str
    prefix: str
    pattern: str
    fields: dict[str, str]
    checks: dict[str, str]
    expiry_format: str
    description: str
    is_active: bool
    retired_at: datetime | None
    version: int
    product_codes: int = Field(description="Product codes mapped to registry products.")

    @staticmethod
    def resolve_product_codes(obj) -> int:
        n = getattr(obj, "n_codes", None)
        return obj.product_codes.count() if n is None else n


class TryIn(Schema):
    code: str = Field(max_length=600, description="A scanned string (control characters as \\u001d etc.).")


class TryOut(Schema):
    ok: bool
    key: str | None = None
    kind: str | None = None
    scheme: str | None = None
    product: str | None = Field(default=None, description="The scheme's product code (or the GTIN).")
    product_id: UUID | None = Field(default=None, description="The registry product it maps to.")
    serial: str | None = None
    batch: str | None = None
    expiry: date | None = None
    error: str | None = Field(default=None, description="The stable refusal code when the code is refused.")
    message: str | None = None


class MappingIn(Schema):
    csv: str = Field(
        max_length=10_000_000, description="`code,registration_number` (or `code,gtin`), header first."
    )


class MappingOut(Schema):
    added: int
    updated: int
