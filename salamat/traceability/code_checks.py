"""What the scanning pages say about one code before anything is recorded: whether the
operation would take it, and why not (`code_check_for_operation`); and the flags active recalls
put on new packages (`RecallFlags`). Reads only; the services decide again when recording."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Q
from django.utils import timezone

from salamat.codes.model import CodeError, CodeKind
from salamat.core.actors import Actor
from salamat.registry.models import Product, ProductGtin
from salamat.registry.names import local_text
from salamat.traceability import bulk, rules
from salamat.traceability.codes import parse_many
from salamat.traceability.models import (
    Container,
    EventPackage,
    Package,
    PackageState,
    Recall,
    RecallKind,
    RecallStatus,
    Shipment,
    ShipmentStatus,
)
from salamat.traceability.selectors import container_tree_sql, package_get, recall_covers


class RecallFlags:
    """The flags active recalls put on a new package; loaded in one query per request."""

    def __init__(self, product_ids: set[int]) -> None:
        self.recalls = list(
            Recall.objects.filter(status=RecallStatus.ACTIVE).filter(
                Q(product_id__in=product_ids) | Q(product__isnull=True)
            )
        )
        self.active = bool(self.recalls)
        self.keys = {key for r in self.recalls for key in r.package_keys}

    def __call__(self, product: Product | None, batch: str | None, key: str) -> int:
        out = 0
        listed = key if key in self.keys else None  # the set first: lists may hold 50,000 keys
        product_id = product.pk if product is not None else None
        for r in self.recalls:
            if recall_covers(r, product_id=product_id, batch=batch, key=listed):
                out |= rules.Flag.RECALLED if r.kind == RecallKind.RECALL else rules.Flag.BLOCKED
        return out


@dataclass(frozen=True)
class CodeCheck:
    """What the scanning page shows next to one scanned code: legal for the operation, or why not."""

    raw: str
    reason: str | None  # None: the code may take part; else a refusal or parse error code
    key: str = ""
    kind: str = ""  # "package" or "container"
    product: str = ""
    batch: str = ""
    expiry: date | None = None
    inside: int | None = None  # a scanned box or pallet: the packages in it, at any depth

    @property
    def ok(self) -> bool:
        return self.reason is None


# Operations whose scans may name a box or pallet (an SSCC) instead of a package.
_CONTAINER_OPERATIONS = frozenset(
    {"aggregate", "disaggregate", "ship", "accept", "sell", "dispense", "write_off", "destroy", "export"}
)


def code_check_for_operation(
    *,
    actor: Actor,
    operation: str,
    raw: str,
    shipment: Shipment | None = None,
    batch: str = "",
    expiry: date | None = None,
    product: Product | None = None,
    units: int | None = None,
) -> CodeCheck:
    """Whether one scanned code may take part in `operation` for the actor, by the same pure rules
    the services apply, without writing anything (no alert either: the submission raises those)."""

    op = rules.Operation(operation)
    org_id = actor.organization.pk if actor.organization is not None else 0
    today = timezone.localdate()
    parsed = parse_many([raw])[0]
    if isinstance(parsed, CodeError):
        return CodeCheck(raw, parsed.code)
    if parsed.kind is CodeKind.GTIN_ONLY or not parsed.key:
        return CodeCheck(raw, "needs_sticker")
    if parsed.kind is CodeKind.SSCC:
        if op.value not in _CONTAINER_OPERATIONS:
            return CodeCheck(raw, rules.Refusal.NOT_A_PACKAGE, key=parsed.key, kind="container")
        box = Container.objects.filter(key=parsed.key).first()
        if box is None:
            return CodeCheck(raw, "unknown_container", key=parsed.key, kind="container")
        reason = rules.check_container(op, state=box.state, owner_id=box.owner_id, actor_org=org_id)
        accepting = op in (rules.Operation.ACCEPT, rules.Operation.REJECT)
        if reason is None and accepting and shipment is not None and not _box_in_shipment(box.pk, shipment):
            reason = rules.Refusal.NOT_IN_SHIPMENT
        if reason is not None:
            return CodeCheck(raw, str(reason), key=parsed.key, kind="container")
        return CodeCheck(raw, None, key=parsed.key, kind="container", inside=_packages_in_box(box.pk))
    if op is rules.Operation.DISAGGREGATE:
        return CodeCheck(raw, rules.Refusal.NOT_A_CONTAINER, key=parsed.key, kind="package")
    package = package_get(key=parsed.key)
    if op is rules.Operation.INTRODUCE:
        return _introduce_check(
            raw, parsed, package, org_id, today, batch=batch, expiry=expiry, product=product
        )
    if package is None:
        return CodeCheck(raw, rules.Refusal.NEVER_INTRODUCED, key=parsed.key, kind="package")
    info = {
        "key": package.key,
        "kind": "package",
        "product": str(package.product.trade_name),
        "batch": package.batch,
        "expiry": package.expiry,
    }
    addressed_to = None
    if op in (rules.Operation.ACCEPT, rules.Operation.REJECT):
        if shipment is not None:
            # A shipment's packages are its send event's (event, package) rows.
            if not EventPackage.objects.filter(
                event_id=shipment.send_event_id, package_id=package.pk
            ).exists():
                return CodeCheck(raw, rules.Refusal.NOT_IN_SHIPMENT, **info)
            addressed_to = shipment.receiver_id
        else:
            addressed_to = _receiver_of_package(package)
    snapshot = rules.Snapshot(
        state=rules.State(package.state),
        owner_id=package.owner_id,
        reason=rules.Reason(package.withdraw_reason),
        flags=package.flags,
        expiry=package.expiry,
        remaining_units=package.remaining_units,
        units_per_package=package.product.units_per_package if units is not None else 1,
        previous_owner_id=package.previous_owner_id,
    )
    refusal = rules.check(op, snapshot, org_id, on=today, addressed_to=addressed_to, units=units)
    if refusal is None and op is rules.Operation.AGGREGATE and package.container_id is not None:
        refusal = rules.Refusal.IN_CONTAINER
    return CodeCheck(raw, str(refusal) if refusal else None, **info)


def _packages_in_box(box_id: int) -> int:
    """How many packages a box or pallet holds, in it or in the boxes nested in it."""
    sql = f"SELECT COUNT(*) FROM {Package._meta.db_table} WHERE container_id IN (SELECT id FROM tree)"  # noqa: S608
    return bulk.fetch(container_tree_sql("id = %s") + sql, [box_id])[0][0]


def _box_in_shipment(box_id: int, shipment: Shipment) -> bool:
    """Whether the box or pallet holds (at any depth, as the service reads it) a package the
    shipment sent."""

    sql = (
        f"SELECT 1 FROM {Package._meta.db_table} p JOIN {EventPackage._meta.db_table} ep "  # noqa: S608
        "ON ep.package_id = p.id AND ep.event_id = %s WHERE p.container_id IN (SELECT id FROM tree) LIMIT 1"
    )
    return bool(bulk.fetch(container_tree_sql("id = %s") + sql, [box_id, shipment.send_event_id]))


def _receiver_of_package(package: Package) -> int | None:

    send_events = EventPackage.objects.filter(package_id=package.pk).values("event_id")
    return (
        Shipment.objects.filter(send_event_id__in=send_events, status=ShipmentStatus.SENT)
        .order_by("-id")
        .values_list("receiver_id", flat=True)
        .first()
    )


def _introduce_check(
    raw,
    parsed,
    package,
    org_id: int,
    today: date,
    *,
    batch: str,
    expiry: date | None,
    product: Product | None,
):
    """The verdict the introduction service would give this code (`rules.check_introduction`);
    `product` is the one chosen on the form, for codes that do not name theirs."""

    sticker = package is not None and package.state == PackageState.REGISTERED
    if sticker:
        product = package.product
    elif parsed.gtin:
        gtin = ProductGtin.objects.select_related("product").filter(gtin=parsed.gtin).first()
        product = gtin.product if gtin else None
    the_batch = parsed.batch or batch or (package.batch if sticker else "")
    the_expiry = parsed.expiry or expiry or (package.expiry if sticker else None)
    info = {"key": parsed.key, "kind": "package", "product": local_text(product, "trade_name") if product else "",
            "batch": the_batch or "", "expiry": the_expiry}  # fmt: skip
    if package is None and parsed.kind is CodeKind.STICKER:
        return CodeCheck(raw, "sticker_not_issued", **info)
    flags = RecallFlags({product.pk} if product else set())(product, the_batch, parsed.key)
    refusal = rules.check_introduction(
        org_id, on=today,
        state=rules.State(package.state) if package is not None else rules.State.NONE,
        owner_id=package.owner_id if package is not None else None,
        flags=flags | (package.flags if package is not None else 0),
        product_registered=product is not None and product.is_registered_on(today),
        batch=the_batch, expiry=the_expiry,
    )  # fmt: skip
    return CodeCheck(raw, str(refusal) if refusal else None, **info)
