"""Reads of the labelling schemes."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from salamat.codes.model import CodeError, ParsedCode
from salamat.registry.models import LabellingScheme


def scheme_list() -> QuerySet[LabellingScheme]:
    """Every scheme, active first, with its number of mapped product codes (`n_codes`)."""
    return LabellingScheme.objects.annotate(n_codes=Count("product_codes")).order_by("-is_active", "code")


def parsed_out(result: ParsedCode | CodeError) -> dict[str, Any]:
    """The JSON answer for a parsed code (the try box, `parse_code --json`)."""
    if isinstance(result, CodeError):
        return {"ok": False, "error": result.code, "message": str(result.message)}
    return {
        "ok": True,
        "key": result.key,
        "kind": str(result.kind),
        "scheme": result.scheme or ("gs1" if result.gtin or result.sscc else None),
        "product": result.extra.get("product") or result.gtin,
        "product_id": result.extra.get("product_id"),
        "serial": result.serial,
        "batch": result.batch,
        "expiry": result.expiry,
    }
