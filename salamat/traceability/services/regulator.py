"""The regulator's writes: recalls and blocks (flagging packages at once), resolving alerts."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from salamat.core.actors import Actor
from salamat.core.audit import audit_record
from salamat.core.errors import Conflict, NotFound, ValidationFailed, field_error
from salamat.registry.models import Product
from salamat.traceability import bulk, rules
from salamat.traceability.models import Alert, AlertStatus, Package, Recall, RecallKind, RecallStatus
from salamat.traceability.services.engine import _parse
from salamat.traceability.stock import recount_products


@transaction.atomic
def recall_create(
    *,
    actor: Actor,
    reason: str,
    kind: str = RecallKind.RECALL,
    product_id: uuid.UUID | None = None,
    batch: str = "",
    package_codes: list[str] | None = None,
) -> Recall:
    """Recalls or blocks a product, one batch of it, or a list of packages; flags them at once."""
    actor.require_role("regulator")
    org = actor.require_organization()
    if not (reason or "").strip():
        raise field_error("reason", "required", _("Give the reason for the recall."))
    product = None
    if product_id is not None:
        product = Product.objects.filter(external_id=product_id).first()
        if product is None:
            raise field_error("product", "product_not_found", _("No such product in the registry."))
    keys: list[str] = []
    if package_codes:
        request = _parse(package_codes, containers=False)
        if request.errors:
            raise ValidationFailed(
                "bad_codes", _("Some codes are not valid."), details={"errors": request.errors}
            )
        keys = list(request.packages)
    if product is None and not keys:
        raise field_error(
            "product", "recall_scope_required", _("Name a product, a batch of it, or packages.")
        )
    if batch and product is None:
        raise field_error("batch", "product_required", _("A batch is recalled together with its product."))
    recall = Recall.objects.create(
        kind=kind, product=product, batch=(batch or "")[:20], package_keys=keys, reason=reason.strip(),
        created_by=actor.user, organization=org,
    )  # fmt: skip
    recall.package_count = _recall_scope(recall).update(flags=F("flags").bitor(_flag_of(recall)))
    recall.save(update_fields=["package_count"])
    recount_products(_recall_scope(recall).values_list("product_id", flat=True).distinct())
    audit_record(
        actor=actor, action="recall.create", obj=recall,
        changes={"kind": kind, "batch": recall.batch, "packages": recall.package_count},
    )  # fmt: skip
    return recall


def _flag_of(recall: Recall) -> int:
    return int(rules.Flag.RECALLED if recall.kind == RecallKind.RECALL else rules.Flag.BLOCKED)


def _recall_scope(recall: Recall):
    qs = Package.objects.all()
    if recall.product_id is not None:
        qs = qs.filter(product_id=recall.product_id)
        if recall.batch:
            qs = qs.filter(batch=recall.batch)
    if recall.package_keys:
        cond, params = bulk.in_list("key", recall.package_keys)
        qs = qs.extra(where=[cond], params=params)  # noqa: S610 - one array/JSON parameter, no user SQL
    return qs


@transaction.atomic
def recall_lift(*, actor: Actor, recall_id: uuid.UUID, reason: str = "") -> Recall:
    """Lifts a recall; packages stay flagged only where another active recall still covers them."""
    actor.require_role("regulator")
    recall = Recall.objects.select_for_update().filter(external_id=recall_id).first()
    if recall is None:
        raise NotFound("recall_not_found", _("No such recall."))
    if recall.status != RecallStatus.ACTIVE:
        raise Conflict("recall_not_active", _("This recall was already lifted."))
    recall.status = RecallStatus.LIFTED
    recall.lifted_at = timezone.now()
    recall.lifted_by = actor.user
    recall.lift_reason = reason
    recall.save(update_fields=["status", "lifted_at", "lifted_by", "lift_reason"])
    bit = _flag_of(recall)
    _recall_scope(recall).update(flags=F("flags").bitand(~bit & 0x7FFF))
    for other in Recall.objects.filter(status=RecallStatus.ACTIVE, kind=recall.kind):
        _recall_scope(other).update(flags=F("flags").bitor(bit))
    recount_products(_recall_scope(recall).values_list("product_id", flat=True).distinct())
    audit_record(actor=actor, action="recall.lift", obj=recall, changes={"reason": reason})
    return recall


@transaction.atomic
def alert_resolve(*, actor: Actor, alert_id: uuid.UUID, note: str) -> Alert:
    """Closes an alert with the regulator's note."""
    actor.require_role("regulator")
    alert = Alert.objects.select_for_update().filter(external_id=alert_id).first()
    if alert is None:
        raise NotFound("alert_not_found", _("No such alert."))
    if alert.status != AlertStatus.OPEN:
        raise Conflict("alert_not_open", _("This alert is already resolved."))
    if not (note or "").strip():
        raise field_error("note", "required", _("Say how the alert was resolved."))
    alert.status = AlertStatus.RESOLVED
    alert.resolution_note = note.strip()
    alert.resolved_by = actor.user
    alert.resolved_at = timezone.now()
    alert.save(update_fields=["status", "resolution_note", "resolved_by", "resolved_at"])
    audit_record(actor=actor, action="alert.resolve", obj=alert, changes={"status": "resolved"})
    return alert
