"""Reads of the traceability module, each scoped to who is asking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, NamedTuple

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from salamat.codes.model import CodeError
from salamat.core.actors import Actor
from salamat.core.conf import setting
from salamat.core.db_routing import read_connection
from salamat.core.errors import NotFound, ValidationFailed
from salamat.core.prepared import bind, built_once, instance_from_row, placeholder_str, run_prepared
from salamat.registry.models import Organization, Product, Site, TrackingList
from salamat.registry.selectors import products_tracking_mandatory
from salamat.traceability import daily, rules
from salamat.traceability.codes import parse_many
from salamat.traceability.models import (
    OPERATION_CODE,
    OPERATION_OF_CODE,
    Alert,
    Container,
    Event,
    EventPackage,
    Package,
    PackageState,
    Recall,
    Shipment,
    StockBalance,
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


# What `package_get` reads of the package's product, owner and site (what its callers show),
# each in its model's column order (`Model.from_db` takes a subset of columns in that order).
def _in_model_order(model, names: tuple[str, ...]) -> tuple[str, ...]:
    order = [f.attname for f in model._meta.concrete_fields]
    return tuple(sorted(names, key=order.index))


_GET_RELATED = {
    relation: _in_model_order(Package._meta.get_field(relation).related_model, ("id", *names))
    for relation, names in (
        ("product", ("external_id", "trade_name", "strength", "registration_number")),
        ("owner", ("external_id", "name", "short_name", "org_type")),
        ("site", ("external_id", "name", "region")),
    )
}
_GET_FIELDS = tuple(f.attname for f in Package._meta.concrete_fields)
_S_KEY = placeholder_str(1)


def package_get(*, key: str) -> Package | None:
    """The package with this canonical key (one index lookup), with its product, owner and site
    (only the columns their callers show: the others load when first used)."""
    connection = read_connection(Package)  # the replica inside a replica_reads view
    if connection.vendor != "postgresql":
        rows = list(
            Package.objects.using(connection.alias)
            .select_related(*_GET_RELATED)
            .only(
                *(f.name for f in Package._meta.concrete_fields),
                *(f"{relation}__{name}" for relation, names in _GET_RELATED.items() for name in names),
            )
            .filter(key=key)[:1]  # not .first(): the key is unique, no ORDER BY needed
        )
        return rows[0] if rows else None
    # On PostgreSQL the same join is built once and run as a prepared statement: the scanning
    # checks call this for every code, and building and planning the four-table join on each
    # call cost several times the lookup itself.
    sql, params = built_once(
        "package_get",
        lambda: Package.objects.filter(key=_S_KEY).values_list(
            *_GET_FIELDS,
            *(f"{relation}__{name}" for relation, names in _GET_RELATED.items() for name in names),
        )[:1],
    )
    rows = run_prepared(sql, bind(params, {_S_KEY: key}), using=connection.alias)
    if not rows:
        return None
    values = rows[0]
    package = instance_from_row(Package, _GET_FIELDS, values[: len(_GET_FIELDS)], using=connection.alias)
    at = len(_GET_FIELDS)
    for relation, names in _GET_RELATED.items():
        field = Package._meta.get_field(relation)
        related, at = values[at : at + len(names)], at + len(names)
        instance = None
        if related[names.index("id")] is not None:
            instance = instance_from_row(field.related_model, names, related, using=connection.alias)
        field.set_cached_value(package, instance)
    return package


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


def package_recalls(package: Package) -> list[Recall]:
    """The recalls and blocks, active or lifted, that cover this package (its product, its batch,
    or the package itself by a list), oldest first: why it is or was flagged, and since when."""
    candidates = Recall.objects.filter(
        Q(product_id=package.product_id, batch__in=["", package.batch]) | Q(product__isnull=True)
    ).order_by("created_at", "id")
    return [
        r for r in candidates
        if recall_covers(r, product_id=package.product_id, batch=package.batch, key=package.key)
    ]  # fmt: skip


def recall_covers(recall: Recall, *, product_id: int | None, batch: str | None, key: str | None) -> bool:
    """Whether a recall or block covers a package: by its product (every batch, or its own), or
    by the recall's list of packages (`key` None: not on any list)."""
    by_product = recall.product_id is not None and recall.product_id == product_id
    if by_product and (not recall.batch or recall.batch == batch):
        return True
    return key is not None and key in recall.package_keys


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
    """What an organisation holds in circulation, by product, batch and expiry (the API's shape)."""
    rows = stock_for_site(organization=organization, product=product)
    for row in rows:
        p = row["product"]
        row["product"] = {"id": p.external_id, "trade_name": p.trade_name, "strength": p.strength}
    return rows


def _stock_rows(qs: QuerySet[StockBalance]):
    """Balances summed per product, batch and expiry (sites of the organisation together)."""
    return (
        qs.values("product_id", "batch", "expiry")
        .annotate(packages=Sum("packages"), recalled=Sum("flagged"))
        .filter(packages__gt=0)
        .order_by("expiry", "product_id", "batch")
    )


def availability(*, product: Product, region: str = "") -> list[dict]:
    """Where a product is in stock (sellable packages: not expired, recalled or blocked), by
    region and site; read from the stock balances."""
    today = timezone.localdate()
    qs = StockBalance.objects.filter(product=product, expiry__gte=today, site__isnull=False)
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
        .annotate(packages=Sum(F("packages") - F("flagged")))
        .filter(packages__gt=0)
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
    return daily.series(date_from=date_from, date_to=date_to, products=_products_of_list(tracking_list))


def coverage(*, on: date | None = None) -> dict[str, Any]:
    """Share of products whose tracking is mandatory that have at least one package introduced."""
    on = on or timezone.localdate()
    # Introduced: not a sticker waiting for its package, nor a cancelled introduction.
    has_packages = Exists(Package.objects.filter(product=OuterRef("pk"), introduced_on__isnull=False))
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


def shipment_contents(*, shipment: Shipment) -> list[dict]:
    """What a shipment carries, by product, batch and expiry (its send event's packages)."""
    rows = (
        Package.objects.filter(
            pk__in=EventPackage.objects.filter(event_id=shipment.send_event_id).values("package_id")
        )
        .values("product_id", "product__trade_name", "product__strength", "batch", "expiry")
        .annotate(packages=Count("id"))
        .order_by("product__trade_name", "product_id", "expiry", "batch")
    )
    return [
        {"product": r["product__trade_name"], "strength": r["product__strength"], "batch": r["batch"],
         "expiry": r["expiry"], "packages": r["packages"]}
        for r in rows
    ]  # fmt: skip


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


# --- reads for the web pages (stock by site, dashboard); the scanning checks are in code_checks.py --


def container_tree_sql(cond: str) -> str:
    """`WITH RECURSIVE tree(id)`: the boxes matching `cond` and every box nested in them, at
    any depth (pallets hold boxes, boxes hold packages); follow it with the statement."""
    table = Container._meta.db_table
    return (
        f"WITH RECURSIVE tree(id) AS (SELECT id FROM {table} WHERE {cond} "  # noqa: S608 - names are ours
        f"UNION SELECT c.id FROM {table} c JOIN tree ON c.parent_id = tree.id) "
    )


def stock_for_site(
    *, organization: Organization, site_id: int | None = None, product: Product | None = None
) -> list[dict]:
    """An organisation's stock in circulation by product, batch and expiry, at one site or all,
    of one product or all (read from the stock balances)."""
    today = timezone.localdate()
    soon = today + timedelta(days=setting("EXPIRING_SOON_DAYS"))
    qs = StockBalance.objects.filter(owner=organization)
    if site_id is not None:
        qs = qs.filter(site_id=site_id)
    if product is not None:
        qs = qs.filter(product=product)
    rows = _stock_rows(qs)
    products = Product.objects.in_bulk({r["product_id"] for r in rows})
    return [
        {
            "product": products[r["product_id"]],
            "batch": r["batch"],
            "expiry": r["expiry"],
            "packages": r["packages"],
            "recalled_or_blocked": r["recalled"],
            "expired": r["expiry"] < today,
            "expiring_soon": today <= r["expiry"] <= soon,
        }
        for r in rows
    ]


def alerts_filtered(*, status: str = "", kind: str = "", severity: str = "") -> QuerySet[Alert]:
    """The regulator's alert inbox, newest first, filtered by status, kind and severity."""
    qs = alerts_list(status=status, kind=kind)
    return qs.filter(severity=severity) if severity else qs


def alert_kinds_top(
    *, limit: int = 10, date_from: date | None = None, date_to: date | None = None
) -> list[dict]:
    """The most frequent alert kinds (open and resolved), with how many are still open."""
    qs = Alert.objects.all()
    if date_from is not None:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to is not None:
        qs = qs.filter(created_at__date__lte=date_to)
    rows = (
        qs.values("kind")
        .annotate(alerts=Count("id"), open=Count("id", filter=Q(status="open")))
        .order_by("-alerts", "kind")[:limit]
    )
    return list(rows)


def availability_by_region(*, product: Product) -> list[dict]:
    """Sellable packages of a product per region: how many, at how many sites."""
    rows: dict[str, dict] = {}
    for r in availability(product=product):
        row = rows.setdefault(r["region"], {"region": r["region"], "packages": 0, "sites": 0})
        row["packages"] += r["packages"]
        row["sites"] += 1
    return sorted(rows.values(), key=lambda r: -r["packages"])


@dataclass(frozen=True)
class RecentOperation:
    """One of an organisation's operations, and whether it may still be cancelled."""

    event: Event
    cancel_refusal: str | None  # None: a Cancel button; else why not (rules.cancel_refusal codes)
    products: tuple[tuple[str, str, int], ...] = ()  # (trade name, strength, packages) of its packages
    per_package: bool = False  # some of its packages may be cancelled alone (a customer returns one)


# How the operations list may be sorted: the key in the URL -> the ORM ordering.
OPERATION_SORTS = {
    "-recorded": ("-record_time",),
    "recorded": ("record_time",),
    "operation": ("operation", "-record_time"),
    "-packages": ("-package_count", "-record_time"),
}

# Operations whose packages may be cancelled one by one (services.cancel.PER_PACKAGE_CANCELLABLE).
_PER_PACKAGE = frozenset(
    OPERATION_CODE[o]
    for o in (
        rules.Operation.INTRODUCE, rules.Operation.SELL, rules.Operation.DISPENSE, rules.Operation.WRITE_OFF,
        rules.Operation.DESTROY, rules.Operation.EXPORT, rules.Operation.RETURN,
    )
)  # fmt: skip


def operations_recent(
    *, organization: Organization, limit: int = 100, search: str = "", sort: str = "-recorded"
) -> list[RecentOperation]:
    """The organisation's operations within the cancellation window, newest first (one indexed
    range of `event_org_time_idx`), each with its products and whether it may be cancelled as a
    whole; the per-package check (`changed_since`) happens when the cancellation is asked for.
    `search` is a package code (the operations that named that package) or a product's name."""
    window = setting("CANCEL_WINDOW_DAYS")
    now = timezone.now()
    qs = Event.objects.filter(
        organization=organization, record_time__gte=now - timedelta(days=window)
    ).exclude(operation=OPERATION_CODE[rules.Operation.CANCEL])
    search = search.strip()
    if search:
        parsed = parse_many([search])[0]
        if not isinstance(parsed, CodeError) and parsed.key:
            package = Package.objects.filter(key=parsed.key).values_list("pk", flat=True).first()
            events = EventPackage.objects.filter(package_id=package or 0).values("event_id")
        else:
            products = Product.objects.filter(Q(trade_name__icontains=search) | Q(inn__icontains=search))
            events = EventPackage.objects.filter(
                event__organization=organization,
                event__record_time__gte=now - timedelta(days=window),
                package__product__in=products,
            ).values("event_id")
        qs = qs.filter(pk__in=events)
    events = list(
        qs.select_related("site", "user").order_by(*OPERATION_SORTS.get(sort, OPERATION_SORTS["-recorded"]))[
            :limit
        ]
    )
    products = operation_products(event_ids=[e.pk for e in events])
    return [
        RecentOperation(
            event=e,
            cancel_refusal=rules.cancel_refusal(
                operation=OPERATION_OF_CODE.get(e.operation, rules.Operation.CANCEL),
                event_org=e.organization_id,
                actor_org=organization.pk,
                already_cancelled=e.cancelled_by_id is not None,
                age_days=(now - e.record_time).total_seconds() / 86400,
                window_days=window,
            ),
            products=tuple(products.get(e.pk, ())),
            per_package=e.operation in _PER_PACKAGE and e.package_count > 1,
        )
        for e in events
    ]


def operation_products(*, event_ids: list[int]) -> dict[int, list[tuple[str, str, int]]]:
    """Per event, its packages by product: (trade name, strength, how many), most first."""
    if not event_ids:
        return {}
    rows = (
        EventPackage.objects.filter(event_id__in=event_ids)
        .values("event_id", "package__product__trade_name", "package__product__strength")
        .annotate(n=Count("package_id"))
        .order_by("event_id", "-n", "package__product__trade_name")
    )
    out: dict[int, list[tuple[str, str, int]]] = {}
    for r in rows:
        out.setdefault(r["event_id"], []).append(
            (r["package__product__trade_name"], r["package__product__strength"], r["n"])
        )
    return out


def package_keys_existing(*, keys: list[str]) -> set[str]:
    """Which of `keys` name a package row (in any state, registered ones included)."""
    return set(Package.objects.filter(key__in=keys).values_list("key", flat=True))


class PublicPackage(NamedTuple):
    """What the citizen check shows of one package: its state and batch, its product as
    registered, and who holds it now (an organisation and its site, never a person)."""

    state: int
    flags: int
    batch: str
    expiry: date
    trade_name: str
    inn: str
    dosage_form: str
    strength: str
    manufacturer_name: str
    manufacturer_country: str
    registration_number: str
    owner_name: str | None
    owner_type: str | None
    site_name: str | None
    site_address: str | None
    site_region: str | None
    # The product's names in Russian and Kyrgyz (blank where the registry has none).
    trade_name_ru: str
    trade_name_ky: str
    inn_ru: str
    inn_ky: str
    dosage_form_ru: str
    dosage_form_ky: str
    # How it left circulation, if it has (see `public_withdrawal`): read in the same lookup,
    # since most packages ever checked have been sold.
    withdraw_reason: int
    withdrawn_on: date | None
    site_district: str | None


# The columns a verdict shows, fetched with the package in one indexed lookup (joins on keys).
# Plain SQL built once: the ORM would rebuild this query on every one of millions of checks.
_PUBLIC_SQL = (
    "SELECT p.state, p.flags, p.batch, p.expiry, r.trade_name, r.inn, r.dosage_form, r.strength, "  # noqa: S608
    "r.manufacturer_name, r.manufacturer_country, r.registration_number, o.name, o.org_type, s.name, "
    "s.address, s.region, r.trade_name_ru, r.trade_name_ky, r.inn_ru, r.inn_ky, r.dosage_form_ru, "
    "r.dosage_form_ky, p.withdraw_reason, p.withdrawn_on, s.district "
    f"FROM {Package._meta.db_table} p JOIN {Product._meta.db_table} r ON r.id = p.product_id "
    f"LEFT JOIN {Organization._meta.db_table} o ON o.id = p.owner_id "
    f"LEFT JOIN {Site._meta.db_table} s ON s.id = p.site_id WHERE p.key = %s LIMIT 1"
)


def package_public(*, key: str) -> PublicPackage | None:
    """The package with this canonical key as the citizen check shows it (one indexed lookup)."""
    connection = read_connection(Package)  # the replica inside a replica_reads view
    if connection.vendor == "postgresql":
        # A prepared statement (`salamat.core.prepared`): PostgreSQL plans the four-table lookup
        # once per connection instead of once per check, which is most of the check's time in
        # the database. Django's own cursors bind on the client and never prepare.
        rows = run_prepared(_PUBLIC_SQL, [key], using=connection.alias)
        row = rows[0] if rows else None
    else:
        with connection.cursor() as cur:
            cur.execute(_PUBLIC_SQL, [key])
            row = cur.fetchone()
    if row is None:
        return None
    package = PublicPackage._make(row)
    if isinstance(package.expiry, str):  # SQLite answers dates as text
        package = package._replace(
            expiry=date.fromisoformat(package.expiry),
            withdrawn_on=date.fromisoformat(package.withdrawn_on) if package.withdrawn_on else None,
        )
    return package


def package_owner_id(*, key: str) -> int | None:
    """The id of the organisation holding the package `key` now, if there is one."""
    return Package.objects.filter(key=key).values_list("owner_id", flat=True).first()


class PublicWithdrawal(NamedTuple):
    """When, why and where a package left circulation (the citizen check says so)."""

    reason: str  # sold | dispensed | destroyed | exported | written_off
    on: date | None
    district: str  # the town or district of the site it left from ("" when not known)


def public_withdrawal(package: PublicPackage) -> PublicWithdrawal | None:
    """How the package left circulation, or None while it has not (from its lookup: no query)."""
    if package.state != State.WITHDRAWN:
        return None
    reason = package.withdraw_reason
    return PublicWithdrawal(
        Reason(reason).name.lower() if reason else "", package.withdrawn_on, package.site_district or ""
    )
