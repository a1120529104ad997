"""Every write of the stickers module: order, print (audited), void, apply."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salamat.codes import sticker_serial_new, sticker_serial_normalise
from salamat.core.actors import Actor
from salamat.core.audit import audit_record
from salamat.core.errors import NotFound, PermissionDenied, ValidationFailed, field_error
from salamat.registry.models import Organization, OrganizationStatus, Product
from salamat.stickers.models import Sticker, StickerOrder, StickerStatus
from salamat.traceability import selectors as trace_selectors
from salamat.traceability import services as trace
from salamat.traceability.rules import State

MAX_ORDER = 10_000  # stickers per order
MAX_VOID = 10_000  # stickers per void request
ORDER_ROLES = ("warehouse_operator", "org_admin")


def _require_orderer(actor: Actor) -> Organization:
    """Stickers are for those who introduce packages: an active manufacturer or importer."""
    org = actor.require_organization()
    if not (actor.user is not None and actor.user.is_superuser):
        actor.require_role(*ORDER_ROLES)
    if org.status != OrganizationStatus.ACTIVE or org.org_type not in trace.INTRODUCER_TYPES:
        raise PermissionDenied(
            "not_an_introducer", _("Only an active manufacturer or importer may order stickers.")
        )
    return org


def _new_serials(count: int) -> list[str]:
    """`count` fresh serials no sticker has yet (a clash in 32^12 is rare; redraw if one happens)."""
    serials: set[str] = set()
    while len(serials) < count:
        serials.update(sticker_serial_new() for _ in range(count - len(serials)))
        taken = set(Sticker.objects.filter(serial__in=serials).values_list("serial", flat=True))
        serials -= taken
    return list(serials)


@transaction.atomic
def sticker_order_create(
    *,
    actor: Actor,
    quantity: int,
    product_id: uuid.UUID | None = None,
    batch: str = "",
    expiry: date | None = None,
) -> StickerOrder:
    """Issues `quantity` stickers with random serials; with product, batch and expiry the packages
    are registered at once (state `registered`), so the sticker can be introduced by scanning it."""
    org = _require_orderer(actor)
    if not 1 <= quantity <= MAX_ORDER:
        raise field_error(
            "quantity", "bad_quantity", _("Order between 1 and %(max)d stickers.") % {"max": MAX_ORDER}
        )
    product = None
    if product_id is not None:
        product = Product.objects.filter(external_id=product_id).first()
        if product is None:
            raise field_error("product", "product_not_registered", _("No such product in the registry."))
    batch = (batch or "").strip()
    if (batch or expiry) and product is None:
        raise field_error("product", "product_required", _("A batch or expiry needs a product."))
    if expiry is not None and expiry < timezone.localdate():
        raise field_error("expiry", "expired", _("The expiry date has passed."))
    order = StickerOrder.objects.create(
        organization=org, product=product, batch=batch[:20], expiry=expiry, quantity=quantity,
        created_by=actor.user,
    )  # fmt: skip
    for attempt in range(3):
        serials = _new_serials(quantity)
        try:
            with transaction.atomic():
                Sticker.objects.bulk_create([Sticker(serial=s, order=order) for s in serials])
            break
        except IntegrityError:  # another order took one of these serials a moment ago
            if attempt == 2:
                raise
    if product is not None and batch and expiry is not None:
        _register_packages(actor=actor, product=product, batch=batch[:20], expiry=expiry, serials=serials)
    audit_record(
        actor=actor,
        action="sticker.order",
        obj=order,
        changes={
            "quantity": quantity,
            "product": str(product_id or ""),
            "batch": batch,
            "expiry": str(expiry or ""),
        },
    )
    return order


def _register_packages(*, actor: Actor, product: Product, batch: str, expiry: date, serials: Sequence[str]):
    """The stickers' packages, registered by the traceability service (state `registered`, held by
    the sticker holder, who alone may introduce them)."""
    trace.packages_register(
        actor=actor, product=product, batch=batch, expiry=expiry, keys=[f"sticker:{s}" for s in serials]
    )


def sticker_order_get(*, actor: Actor, order_id: uuid.UUID) -> StickerOrder:
    """An order of the actor's organisation (others' orders do not exist for it)."""
    org = actor.require_organization()
    order = (
        StickerOrder.objects.select_related("product").filter(external_id=order_id, organization=org).first()
    )
    if order is None:
        raise NotFound("order_not_found", _("No such sticker order in your organisation."))
    return order


@transaction.atomic
def sticker_order_print(*, actor: Actor, order: StickerOrder, layout: str) -> StickerOrder:
    """Records a print of the order; every print after the first is a reprint, audited as such."""
    order = StickerOrder.objects.select_for_update().get(pk=order.pk)
    reprint = order.print_count > 0
    order.print_count += 1
    order.save(update_fields=["print_count"])
    audit_record(
        actor=actor,
        action="sticker.reprint" if reprint else "sticker.print",
        obj=order,
        changes={"layout": layout, "print_count": order.print_count},
    )
    return order


def _canonical(serials: Sequence[str]) -> tuple[list[str], list[dict]]:
    good, bad = [], []
    for raw in serials:
        text = raw.strip()
        if text.lower().startswith("sticker:"):
            text = text[8:]
        if "/p/" in text:
            text = text.rsplit("/p/", 1)[1]
        serial = sticker_serial_normalise(text)
        if serial is None:
            bad.append({"code": raw, "reason": "bad_serial"})
        else:
            good.append(serial)
    return good, bad


@transaction.atomic
def stickers_void(*, actor: Actor, serials: Sequence[str], reason: str = "") -> int:
    """Voids unused stickers of the actor's organisation: all or nothing. An applied sticker
    cannot be voided (its package is in the traceability chain)."""
    org = _require_orderer(actor)
    if not 1 <= len(serials) <= MAX_VOID:
        raise field_error(
            "serials", "bad_count", _("Void between 1 and %(max)d stickers.") % {"max": MAX_VOID}
        )
    good, errors = _canonical(serials)
    found = {
        s.serial: s
        for s in Sticker.objects.select_for_update()
        .select_related("order")
        .filter(serial__in=good)
        .order_by("id")
    }
    packages = trace.packages_lock_states(keys=[f"sticker:{s}" for s in good])
    for serial in good:
        sticker = found.get(serial)
        state = packages.get(f"sticker:{serial}")
        if sticker is None or sticker.order.organization_id != org.pk:
            errors.append({"code": serial, "reason": "sticker_not_found"})
        elif sticker.status == StickerStatus.VOIDED:
            errors.append({"code": serial, "reason": "already_voided"})
        elif state is not None and state != State.REGISTERED:
            errors.append({"code": serial, "reason": "already_applied"})
    if errors:
        raise ValidationFailed(
            "stickers_refused",
            _("Nothing was voided: some stickers cannot be voided."),
            details={"errors": errors},
        )
    now = timezone.now()
    Sticker.objects.filter(serial__in=good).update(status=StickerStatus.VOIDED, voided_at=now)
    trace.packages_unregister(actor=actor, keys=[f"sticker:{s}" for s in good])
    audit_record(
        actor=actor,
        action="sticker.void",
        object_type="stickers.sticker",
        object_id=good[0] if len(good) == 1 else f"{len(good)} stickers",
        changes={"count": len(good), "serials": good[:100], "reason": reason[:500]},
    )
    return len(good)


@transaction.atomic
def stickers_apply(
    *,
    actor: Actor,
    serials: Sequence[str],
    product_id: uuid.UUID | None = None,
    batch: str | None = None,
    expiry: date | None = None,
    site_id: uuid.UUID | None = None,
) -> dict:
    """Applies stickers to packages: introduces the packages `sticker:<serial>` into circulation
    through the traceability service (all or nothing). Blank stickers need the product, batch and
    expiry here; stickers ordered for a product take them from the order unless given."""
    org = _require_orderer(actor)
    good, errors = _canonical(serials)
    stickers = {
        s.serial: s for s in Sticker.objects.select_related("order").filter(serial__in=good).order_by("id")
    }
    existing = trace_selectors.package_keys_existing(keys=[f"sticker:{s}" for s in good])
    product = None
    if product_id is not None:
        product = Product.objects.filter(external_id=product_id).first()
        if product is None:
            raise field_error("product", "product_not_registered", _("No such product in the registry."))
    to_register: dict[tuple[int, str, date], list[str]] = {}
    for serial in good:
        sticker = stickers.get(serial)
        if sticker is None or sticker.order.organization_id != org.pk:
            errors.append({"code": serial, "reason": "sticker_not_found"})
            continue
        if sticker.status == StickerStatus.VOIDED:
            errors.append({"code": serial, "reason": "sticker_voided"})
            continue
        if f"sticker:{serial}" in existing:
            continue  # registered at order time (or already applied: the service refuses that)
        the_product = product or sticker.order.product
        the_batch = (batch or sticker.order.batch or "").strip()[:20]
        the_expiry = expiry or sticker.order.expiry
        if the_product is None or not the_batch or the_expiry is None:
            errors.append({"code": serial, "reason": "product_batch_expiry_required"})
            continue
        to_register.setdefault((the_product.pk, the_batch, the_expiry), []).append(serial)
    if errors:
        raise ValidationFailed(
            "stickers_refused",
            _("Nothing was applied: some stickers cannot be applied."),
            details={"errors": errors},
        )
    products = Product.objects.in_bulk({k[0] for k in to_register})
    for (product_pk, the_batch, the_expiry), group in to_register.items():
        _register_packages(
            actor=actor, product=products[product_pk], batch=the_batch, expiry=the_expiry, serials=group
        )
    return trace.packages_introduce(
        actor=actor, codes=[f"sticker:{s}" for s in good], batch=batch or None, expiry=expiry, site_id=site_id
    )
