"""Reads on the participants and drug registry."""

from __future__ import annotations

from datetime import date

from django.db.models import Exists, OuterRef, Q, QuerySet

from salamat.codes.checkdigit import gtin_to_14
from salamat.core.actors import Actor
from salamat.registry.models import (
    Organization,
    OrganizationStatus,
    OrganizationType,
    Product,
    ProductGtin,
    Site,
    TrackingList,
    TrackingListEntry,
)

# The names a search matches, in every language (see `salamat.registry.names`).
NAME_FIELDS = ("trade_name", "trade_name_ru", "trade_name_ky", "inn", "inn_ru", "inn_ky")
INN_FIELDS = ("inn", "inn_ru", "inn_ky")


def _any_contains(fields: tuple[str, ...], text: str) -> Q:
    """Any of `fields` contains `text`, case-insensitively in every script (core.lookups)."""
    q = Q()
    for name in fields:
        q |= Q(**{f"{name}__ucontains": text})
    return q


def product_search(*, q: str = "", gtin: str = "", inn: str = "", atc: str = "") -> QuerySet[Product]:
    """Products matching a free-text query (trade name or INN in any language, registration
    number, GTIN) and filters."""
    qs = Product.objects.all().select_related("manufacturer", "form").prefetch_related("gtins")
    q = (q or "").strip()
    if q:
        text = _any_contains(NAME_FIELDS, q) | Q(registration_number__iexact=q)
        if q.isdigit() and len(q) in (8, 12, 13, 14):
            text |= Q(gtins__gtin=gtin_to_14(q))
        qs = qs.filter(text)
    if gtin:
        qs = qs.filter(gtins__gtin=gtin_to_14(gtin.strip()))
    if inn:
        qs = qs.filter(_any_contains(INN_FIELDS, inn.strip()))
    if atc:
        qs = qs.filter(atc_code__istartswith=atc.strip().upper())
    return qs.distinct().order_by("trade_name", "strength", "id")


def product_by_gtin(gtin14: str) -> Product | None:
    row = ProductGtin.objects.select_related("product").filter(gtin=gtin14).first()
    return row.product if row else None


def product_tracking_mandatory(*, product: Product, on: date) -> bool:
    """Whether tracking `product` is mandatory on day `on` (it is on a list whose start has come)."""
    return (
        TrackingList.objects.filter(mandatory_from__lte=on)
        .filter(Q(covers_all_products=True) | Q(entries__product=product))
        .exists()
    )


def products_tracking_mandatory(*, on: date) -> QuerySet[Product]:
    """All products whose tracking is mandatory on day `on`."""
    if TrackingList.objects.filter(mandatory_from__lte=on, covers_all_products=True).exists():
        return Product.objects.all()
    listed = TrackingListEntry.objects.filter(product=OuterRef("pk"), tracking_list__mandatory_from__lte=on)
    return Product.objects.filter(Exists(listed))


def tracking_mandatory_since(*, product: Product) -> date | None:
    """The first day tracking of `product` became (or becomes) mandatory, if it is on any list."""
    days = TrackingList.objects.filter(Q(covers_all_products=True) | Q(entries__product=product)).values_list(
        "mandatory_from", flat=True
    )
    return min(days) if days else None


def organization_directory(
    *, q: str = "", org_type: str = "", region: str = "", include_inactive: bool = False
):
    qs = Organization.objects.all().prefetch_related("sites")
    if not include_inactive:
        qs = qs.filter(status=OrganizationStatus.ACTIVE)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(short_name__icontains=q) | Q(tax_id=q))
    if org_type:
        qs = qs.filter(org_type=org_type)
    if region:
        qs = qs.filter(Q(region=region) | Q(sites__region=region))
    return qs.distinct().order_by("name", "id")


def organization_visible_in_full(*, actor: Actor, organization: Organization) -> bool:
    """The full record (contacts, licence, status history) is for the regulator and the organisation itself."""
    if actor.has_role("regulator", "ministry_reviewer"):
        return True
    if actor.user is not None and actor.user.is_superuser:
        return True
    return actor.organization is not None and actor.organization.pk == organization.pk


def product_tracking_lists(*, product: Product) -> list[TrackingList]:
    """The tracking lists that cover `product`, earliest start first."""
    return list(
        TrackingList.objects.filter(Q(covers_all_products=True) | Q(entries__product=product))
        .distinct()
        .order_by("mandatory_from", "code")
    )


def products_named(*, query: str, limit: int) -> list[Product]:
    """Up to `limit` products whose trade name or INN in any language contains `query`, by
    trade name and strength."""
    return list(
        Product.objects.filter(_any_contains(NAME_FIELDS, query)).order_by("trade_name", "strength")[:limit]
    )


def regulator_organization() -> Organization | None:
    """The ministry that regulates the market (the first one registered)."""
    return Organization.objects.filter(org_type=OrganizationType.MINISTRY).order_by("id").first()


def product_choices() -> QuerySet[Product]:
    """Every product, by trade name: the choices of a form's product field."""
    return Product.objects.order_by("trade_name")


def tracking_list_choices() -> QuerySet[TrackingList]:
    """Every tracking list, the earliest mandatory first: the choices of a form's list field."""
    return TrackingList.objects.order_by("mandatory_from")


def site_contacts(*, site_ids: list) -> dict:
    """How a citizen reaches each site (by external id): its district, opening hours and its
    organisation's phone (the registry holds no phone per site: the organisation's stands in)."""
    rows = Site.objects.filter(external_id__in=site_ids).values_list(
        "external_id", "district", "organization__phone", "opening_hours"
    )
    return {
        sid: {"district": district or "", "phone": phone or "", "opening_hours": hours or ""}
        for sid, district, phone, hours in rows
    }
