"""Reads of the traceability module, each scoped to who is asking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from salamat.codes.model import CodeError
from salamat.core.actors import Actor
from salamat.core.errors import NotFound, ValidationFailed
from salamat.registry.models import Organization, Product, TrackingList
from salamat.registry.selectors import products_tracking_mandatory
from salamat.traceability.codes import parse_many
from salamat.traceability.models import (
    OPERATION_OF_CODE,
    Alert,
    Event,
    EventPackage,
    Package,
    PackageState,
    Recall,
    Shipment,
)
from salamat.traceability.rules import Reason, State, decode_prev

REGULATOR_ROLES = ("regulator",)


def is_regulator(actor: Actor) -> bool:
    return actor.has_role(*REGULATOR_ROLES) or (actor.user is not None and actor.user.is_superuser)


def package_key_of(code: str) -> str:
    """The canonical key of any scanned code (or `ValidationFailed` with the parse error)."""
    parsed = parse_many([code])[0]
    if isinstance(parsed, CodeError):
        raise parsed
    if not parsed.key:
        raise ValidationFailed("needs_sticker", _("A plain GTIN does not identify one package."))
    return parsed.key


def package_get(*, key: str) -> Package | None:
    """The package with this canonical key (one index lookup)."""
    # Only the columns the answer shows: the citizen check page calls this for every scan.
    rows = list(
        Package.objects.select_related("product", "owner", "site")
        .only(
            *(f.name for f in Package._meta.concrete_fields),
            "product__external_id", "product__trade_name", "product__strength", "product__registration_number",
            "owner__external_id", "owner__name", "owner__short_name", "owner__org_type",
            "site__external_id", "site__name", "site__region",
        )
        .filter(key=key)[:1]  # not .first(): the key is unique, no ORDER BY needed
    )  # fmt: skip
    return rows[0] if rows else None


@dataclass(frozen=True)
class HistoryEntry:
    event: Event
    prev_state: int


def package_history(*, actor: Actor, code: str) -> tuple[Package, list[HistoryEntry]]:
    """A package and every event about it (who, where, when). Visible to its owners, past and
    present, and to the regulator; to anyone else the package does not exist."""
    package = package_get(key=package_key_of(code))
    if package is None:
        raise NotFound("package_not_found", _("No package with this code."))
    rows = list(EventPackage.objects.filter(package_id=package.pk).values_list("event_id", "prev_state"))
    prev = dict(rows)
    events = list(
        Event.objects.filter(id__in=prev)
        .select_related("organization", "site", "source", "destination", "cancelled_by")
        .order_by("event_time", "id")
    )
    if not is_regulator(actor):
        org = actor.organization
        involved = {package.owner_id, package.previous_owner_id}
        for e in events:
            involved |= {e.organization_id, e.source_id, e.destination_id}
        if org is None or org.pk not in involved:
            raise NotFound("package_not_found", _("No package with this code."))
    return package, [HistoryEntry(event=e, prev_state=prev[e.pk]) for e in events]


def history_entry_out(entry: HistoryEntry) -> dict[str, Any]:
    e = entry.event
    state, reason = decode_prev(entry.prev_state)
    return {
        "event_id": e.event_id,
        "operation": str(OPERATION_OF_CODE.get(e.operation, "")),
        "operation_label": e.get_operation_display(),
        "event_type": e.get_event_type_display(),
        "biz_step": e.get_biz_step_display(),
        "disposition": e.get_disposition_display(),
        "event_time": e.event_time,
        "event_time_zone_offset": e.event_time_zone_offset,
        "record_time": e.record_time,
        "organization": _org(e.organization),
        "site": {"id": e.site.external_id, "name": e.site.name, "region": e.site.region} if e.site else None,
        "source": _org(e.source),
        "destination": _org(e.destination),
        "biz_transactions": e.biz_transactions,
        "previous_state": _state_name(state, reason),
        "cancelled_by": e.cancelled_by.event_id if e.cancelled_by_id else None,
    }


def _org(org: Organization | None) -> dict[str, Any] | None:
    return {"id": org.external_id, "name": str(org), "org_type": org.org_type} if org else None


def _state_name(state: State, reason: Reason) -> str:
    if state is State.NONE:
        return "unknown"
    if state is State.WITHDRAWN:
        return f"withdrawn:{reason.name.lower()}"
    return state.name.lower()


def package_out(package: Package) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "key": package.key,
        "product": {
            "id": package.product.external_id,
            "trade_name": package.product.trade_name,
            "strength": package.product.strength,
            "registration_number": package.product.registration_number,
        },
        "batch": package.batch,
        "expiry": package.expiry,
        "state": PackageState(package.state).name.lower(),
        "withdraw_reason": Reason(package.withdraw_reason).name.lower() if package.withdraw_reason else None,
        "owner": _org(package.owner),
        "site": {"id": package.site.external_id, "name": package.site.name, "region": package.site.region}
        if package.site
        else None,
        "remaining_units": package.remaining_units,
        "recalled": package.is_recalled,
        "blocked": package.is_blocked,
        "expired": package.expiry < today,
    }


def stock_for_organization(*, organization: Organization, product: Product | None = None) -> list[dict]:
    """What an organisation holds in circulation, by product, batch and expiry."""
    today = timezone.localdate()
    soon = today + timedelta(days=settings.SALAMAT.get("EXPIRING_SOON_DAYS", 90))
    qs = Package.objects.filter(owner=organization, state=PackageState.IN_CIRCULATION)
    if product is not None:
        qs = qs.filter(product=product)
    rows = (
        qs.values("product_id", "batch", "expiry")
        .annotate(packages=Count("id"), recalled=Count("id", filter=Q(flags__gt=0)))
        .order_by("expiry", "product_id", "batch")
    )
    products = Product.objects.in_bulk({r["product_id"] for r in rows})
    return [
        {
            "product": {
                "id": products[r["product_id"]].external_id,
                "trade_name": products[r["product_id"]].trade_name,
                "strength": products[r["product_id"]].strength,
            },
            "batch": r["batch"],
            "expiry": r["expiry"],
            "packages": r["packages"],
            "recalled_or_blocked": r["recalled"],
            "expired": r["expiry"] < today,
            "expiring_soon": today <= r["expiry"] <= soon,
        }
        for r in rows
    ]


def availability(*, product: Product, region: str = "") -> list[dict]:
    """Where a product is in stock (sellable packages), by region and site."""
    today = timezone.localdate()
    qs = Package.objects.filter(
        product=product, state=PackageState.IN_CIRCULATION, flags=0, expiry__gte=today, site__isnull=False
    )
    if region:
        qs = qs.filter(site__region=region)
    rows = (
        qs.values(
            "site__external_id",
            "site__name",
            "site__address",
            "site__region",
            "owner__name",
            "owner__org_type",
        )
        .annotate(packages=Count("id"))
        .order_by("site__region", "-packages", "site__name")
    )
    return [
        {
            "region": r["site__region"],
            "site": {"id": r["site__external_id"], "name": r["site__name"], "address": r["site__address"]},
            "organization": r["owner__name"],
            "organization_type": r["owner__org_type"],
            "packages": r["packages"],
        }
        for r in rows
    ]


def _products_of_list(tracking_list: TrackingList | None) -> QuerySet[Product] | None:
    if tracking_list is None or tracking_list.covers_all_products:
        return None
    return Product.objects.filter(tracking_entries__tracking_list=tracking_list)


def tracked_stats(*, date_from: date, date_to: date, tracking_list: TrackingList | None = None) -> list[dict]:
    """Per day: packages introduced, withdrawn, and in circulation at the end of the day."""
    if date_to < date_from or (date_to - date_from).days > 366:
        raise ValidationFailed("bad_period", _("Choose a period of at most one year, start before end."))
    qs = Package.objects.all()
    products = _products_of_list(tracking_list)
    if products is not None:
        qs = qs.filter(product__in=products)
    before = qs.filter(introduced_on__lt=date_from).exclude(withdrawn_on__lt=date_from).count()
    introduced = dict(
        qs.filter(introduced_on__range=(date_from, date_to))
        .values_list("introduced_on")
        .annotate(n=Count("id"))
        .values_list("introduced_on", "n")
    )
    withdrawn = dict(
        qs.filter(withdrawn_on__range=(date_from, date_to))
        .values_list("withdrawn_on")
        .annotate(n=Count("id"))
        .values_list("withdrawn_on", "n")
    )
    out, running, day = [], before, date_from
    while day <= date_to:
        i, w = introduced.get(day, 0), withdrawn.get(day, 0)
        running += i - w
        out.append({"day": day, "introduced": i, "withdrawn": w, "in_circulation": running})
        day += timedelta(days=1)
    return out


def coverage(*, on: date | None = None) -> dict[str, Any]:
    """Share of products whose tracking is mandatory that have at least one package introduced."""
    on = on or timezone.localdate()
    has_packages = Exists(Package.objects.filter(product=OuterRef("pk")))
    lists = []
    for tl in TrackingList.objects.filter(mandatory_from__lte=on):
        products = (
            Product.objects.all()
            if tl.covers_all_products
            else Product.objects.filter(tracking_entries__tracking_list=tl)
        )
        total = products.count()
        covered = products.filter(has_packages).count()
        lists.append(
            _share({"list": tl.code, "name": tl.name, "mandatory_from": tl.mandatory_from}, total, covered)
        )
    mandatory = products_tracking_mandatory(on=on)
    overall = _share({"on": on}, mandatory.count(), mandatory.filter(has_packages).count())
    return {**overall, "lists": lists}


def _share(base: dict, total: int, covered: int) -> dict:
    return {
        **base,
        "products": total,
        "introduced": covered,
        "share": round(covered / total, 4) if total else 0.0,
    }


def shipments_for(*, organization: Organization, direction: str, status: str = "") -> QuerySet[Shipment]:
    qs = Shipment.objects.select_related("sender", "receiver", "sender_site", "receiver_site")
    qs = qs.filter(receiver=organization) if direction == "incoming" else qs.filter(sender=organization)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def alerts_list(*, status: str = "", kind: str = "") -> QuerySet[Alert]:
    qs = Alert.objects.select_related("organization", "resolved_by")
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-created_at", "-id")


def recalls_list(*, status: str = "") -> QuerySet[Recall]:
    qs = Recall.objects.select_related("product", "organization")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")
