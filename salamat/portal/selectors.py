"""The citizen check and where-to-buy: reads only, lean enough for every phone in the country.

A check answers about the one package scanned and never lists other packages' codes; the
holder shown is the organisation and its site (a pharmacy), never a person.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote_plus

from django.utils import timezone

from salamat.codes import CodeKind
from salamat.codes.model import CodeError
from salamat.core.conf import setting
from salamat.portal.models import Verdict
from salamat.registry.models import OrganizationType, Product, Region
from salamat.registry.names import NAMED_FIELDS
from salamat.registry.selectors import (
    product_by_gtin,
    product_tracking_mandatory,
    products_named,
    site_contacts,
)
from salamat.traceability.codes import parse_many
from salamat.traceability.rules import Flag, State
from salamat.traceability.selectors import (
    PublicPackage,
    availability,
    package_public,
    public_withdrawal,
)

MAX_CODE_LENGTH = 512


@dataclass
class CheckResult:
    verdict: str
    key: str = ""  # the canonical key of the code checked ("" when it is no code)
    product: dict[str, str] | None = None
    batch: str = ""
    expiry: date | None = None
    holder: dict[str, str] | None = None  # the pharmacy (or other participant) holding it now
    error: str = ""  # why the code could not be read, for unknown codes
    # What the verdict's words depend on beyond the verdict itself (see texts.result_text):
    #   hint: "typo" (a character looks wrong) | "product_barcode" (a plain EAN, not a package code)
    #   left: {"on", "reason", "place", "town", "recent"} for a package that left circulation
    #   stage: where a genuine package is in the chain (importer, wholesaler, in_transit, …)
    extra: dict[str, Any] = field(default_factory=dict)


# The product's names in Russian and Kyrgyz, carried with it so that pages and the app show
# them in the reader's language (`salamat.registry.names`).
LOCAL_NAME_KEYS = tuple(f"{f}_{lang}" for f in NAMED_FIELDS for lang in ("ru", "ky"))


def _product_dict(product: Product | PublicPackage) -> dict[str, str]:
    """What the check and where-to-buy show of a product (a registry row or a package's row)."""
    return {
        "trade_name": product.trade_name, "inn": product.inn, "dosage_form": product.dosage_form,
        "strength": product.strength, "manufacturer": product.manufacturer_name,
        "country": product.manufacturer_country, "registration_number": product.registration_number,
        **{key: getattr(product, key) or "" for key in LOCAL_NAME_KEYS},
    }  # fmt: skip


def _parse(code: str):
    """(parsed code or None, gtin of a plain product code or None, error code)."""
    parsed = parse_many([code[: MAX_CODE_LENGTH + 1]])[0]
    if not isinstance(parsed, CodeError):
        return parsed, None, ""
    if parsed.code == "needs_sticker":
        # A plain product barcode (EAN-13 and the like): it names the product, not a package.
        digits = "".join(ch for ch in code if ch.isdigit())
        return None, digits.zfill(14) if len(digits) in (8, 12, 13, 14) else None, parsed.code
    return None, None, parsed.code


# Parse errors of a code whose format we recognise but whose characters do not add up: most
# often one character mistyped or misread, so the citizen is asked to check it, not alarmed.
TYPO_ERRORS = frozenset(
    {"bad_check_digit", "bad_gtin", "bad_serial", "missing_serial", "bad_date", "bad_sscc"}
)


def _untracked_or_unknown(gtin: str | None, key: str, error: str, today: date) -> CheckResult:
    """A code we hold no package for: `not_tracked` when its product is not yet on an active list;
    else unknown, with a hint when it is a typo or a plain product barcode."""
    product = product_by_gtin(gtin) if gtin else None
    if product is not None and not product_tracking_mandatory(product=product, on=today):
        return CheckResult(Verdict.NOT_TRACKED, key=key, product=_product_dict(product))
    result = CheckResult(Verdict.UNKNOWN, key=key, error=error or "not_found")
    if error in TYPO_ERRORS:
        result.extra["hint"] = "typo"
    elif error == "needs_sticker" and product is not None:
        # The product's ordinary barcode: it names the medicine, never one package.
        result.extra["hint"] = "product_barcode"
        result.product = _product_dict(product)
    return result


_REGIONS = frozenset(Region.values)  # `Region.values` builds its list on every use


def _left_circulation(row: PublicPackage, today: date) -> dict[str, Any]:
    """When, why and where (the pharmacy and its town) a withdrawn package left circulation."""
    owner, region = row.owner_name, row.site_region
    gone = public_withdrawal(row)
    if gone is None:
        return {}
    town = gone.district or (Region(region).label if region in _REGIONS else "")
    recent_days = setting("CHECK_RECENT_SALE_DAYS")
    recent = gone.reason == "sold" and gone.on is not None and gone.on >= today - timedelta(days=recent_days)
    return {"on": gone.on, "reason": gone.reason, "place": owner or "", "town": str(town), "recent": recent}


# Where a genuine package is in the chain, by the type of its holder: only a pharmacy sells.
_STAGE_OF_HOLDER = {
    OrganizationType.MANUFACTURER: "manufacturer",
    OrganizationType.IMPORTER: "importer",
    OrganizationType.WHOLESALER: "wholesaler",
    OrganizationType.PHARMACY: "pharmacy",
    OrganizationType.MEDICAL: "medical",
}


def package_check(*, code: str) -> CheckResult:
    """The verdict on one scanned or typed code."""
    today = timezone.localdate()
    code = (code or "").strip()
    parsed, gtin, error = _parse(code)
    if parsed is None:
        return _untracked_or_unknown(gtin, "", error, today)
    key = parsed.key
    row = package_public(key=key)
    if row is None:
        if parsed.kind is CodeKind.STICKER:
            # Issued and never applied, voided, or never issued: no package wears it.
            return CheckResult(Verdict.STICKER_NOT_IN_CIRCULATION, key=key)
        return _untracked_or_unknown(parsed.gtin, key, "not_found", today)
    state, flags, batch, expiry = row.state, row.flags, row.batch, row.expiry
    owner, owner_type, site, address, region = (
        row.owner_name,
        row.owner_type,
        row.site_name,
        row.site_address,
        row.site_region,
    )
    if state == State.REGISTERED:
        return CheckResult(Verdict.STICKER_NOT_IN_CIRCULATION, key=key)
    if state == State.NONE:  # its introduction was cancelled: as unknown as a code never seen
        return _untracked_or_unknown(parsed.gtin, key, "not_found", today)
    product = _product_dict(row)
    if state == State.WITHDRAWN:
        verdict = Verdict.ALREADY_SOLD
    elif flags & (Flag.RECALLED | Flag.BLOCKED):
        verdict = Verdict.RECALLED
    elif expiry < today:
        verdict = Verdict.EXPIRED
    else:
        verdict = Verdict.GENUINE
    holder = None
    if state == State.IN_CIRCULATION and owner:
        holder = {
            "name": owner,
            "type": owner_type,
            "site": site or "",
            "address": address or "",
            "region": region or "",
        }
    result = CheckResult(verdict, key=key, product=product, batch=batch, expiry=expiry, holder=holder)
    if verdict == Verdict.ALREADY_SOLD:
        result.extra["left"] = _left_circulation(row, today)
    elif verdict == Verdict.GENUINE:
        if state == State.IN_TRANSIT:
            result.extra["stage"] = "in_transit"
        else:
            result.extra["stage"] = _STAGE_OF_HOLDER.get(owner_type, "other")
    return result


MAX_PRODUCTS = 10


def where_to_buy(*, query: str, region: str = "") -> list[dict[str, Any]]:
    """Pharmacies that hold sellable packages of medicines matching a trade name or INN now."""
    query = query.strip()
    if len(query) < 2:
        return []
    products = products_named(query=query, limit=MAX_PRODUCTS)
    out = []
    for product in products:
        places = [
            p
            for p in availability(product=product, region=region)
            if p["organization_type"] == OrganizationType.PHARMACY
        ]
        out.append({"product": _product_dict(product), "pharmacies": places})
    _add_contacts([p for item in out for p in item["pharmacies"]])
    return out


MAP_SEARCH = "https://www.openstreetmap.org/search?query={}"


def _add_contacts(places: list[dict[str, Any]]) -> None:
    """Each pharmacy's town, phone, opening hours and a map link (a search for its address: sites have no
    coordinates in the registry)."""
    contacts = site_contacts(site_ids=[p["site"]["id"] for p in places])
    for p in places:
        found = contacts.get(p["site"]["id"], {})
        region = Region(p["region"]).label if p["region"] in Region.values else ""
        town = found.get("district") or str(region)
        p["site"]["town"] = town
        p["site"]["phone"] = found.get("phone", "")
        p["site"]["opening_hours"] = found.get("opening_hours", "")
        where = ", ".join(part for part in (p["site"]["address"], town, "Kyrgyzstan") if part)
        p["site"]["map_url"] = MAP_SEARCH.format(quote_plus(where))
