"""The regulator's writes: recalls and blocks (flagging packages at once), resolving alerts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from salamat.accounts.selectors import users_with_role
from salamat.core.actors import Actor
from salamat.core.audit import audit_record
from salamat.core.errors import Conflict, NotFound, ValidationFailed, field_error
from salamat.registry.models import Organization, Product
from salamat.traceability import bulk, rules
from salamat.traceability.models import (
    Alert,
    AlertStatus,
    Package,
    Recall,
    RecallKind,
    RecallStatus,
    StockBalance,
)
from salamat.traceability.services.engine import _parse
from salamat.traceability.stock import recount_products


@dataclass(frozen=True)
class RecallScope:
    """What a recall names: a product, one batch of it, or a list of package keys."""

    product: Product | None
    batch: str
    keys: list[str]


@dataclass(frozen=True)
class RecallHolder:
    """A participant holding packages a recall would cover (None: sold, used or destroyed)."""

    organization: Organization | None
    packages: int


@dataclass(frozen=True)
class RecallPreview:
    """What a recall would flag, before it is made: how many packages, who holds them, and
    (to catch a mistyped batch) the batches of the product that are in stock."""

    packages: int
    in_circulation: int
    holders: list[RecallHolder]
    holder_count: int
    batches_in_stock: list[dict]


PREVIEW_HOLDERS = 20  # holders listed in a preview, the largest first; `holder_count` has them all


def _recall_scope_of(
    *, product_id: uuid.UUID | None, batch: str, package_codes: list[str] | None
) -> RecallScope:
    """Checks what a recall names (the same rules for the preview and the recall itself)."""
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
    batch = (batch or "").strip()
    if batch and product is None:
        raise field_error("batch", "product_required", _("A batch is recalled together with its product."))
    return RecallScope(product=product, batch=batch[:20], keys=keys)


def _packages_in(scope: RecallScope):
    return _scope_queryset(product_id=scope.product.pk if scope.product else None, batch=scope.batch,
                           keys=scope.keys)  # fmt: skip


def recall_preview(
    *,
    actor: Actor,
    product_id: uuid.UUID | None = None,
    batch: str = "",
    package_codes: list[str] | None = None,
) -> RecallPreview:
    """What a recall of this product, batch or package list would flag, without flagging it."""
    actor.require_role("regulator")
    scope = _recall_scope_of(product_id=product_id, batch=batch, package_codes=package_codes)
    by_owner: dict[int | None, int] = {}
    in_circulation = 0
    rows = _packages_in(scope).values("owner_id", "state").annotate(n=Count("id")).order_by()
    for row in rows:
        held = row["state"] in (rules.State.IN_CIRCULATION, rules.State.IN_TRANSIT)
        owner = row["owner_id"] if held else None
        by_owner[owner] = by_owner.get(owner, 0) + row["n"]
        in_circulation += row["n"] if held else 0
    orgs = Organization.objects.in_bulk([o for o in by_owner if o is not None])
    ranked = sorted(
        by_owner.items(), key=lambda item: (item[0] is None, -item[1], orgs[item[0]].name if item[0] else "")
    )
    batches: list[dict] = []
    if scope.product is not None:
        batches = list(
            StockBalance.objects.filter(product=scope.product, packages__gt=0)
            .values("batch")
            .annotate(packages=Sum("packages"))
            .order_by("-packages", "batch")[:10]
        )
    return RecallPreview(
        packages=sum(by_owner.values()),
        in_circulation=in_circulation,
        holders=[
            RecallHolder(organization=orgs.get(o) if o else None, packages=n)
            for o, n in ranked[:PREVIEW_HOLDERS]
        ],  # fmt: skip
        holder_count=sum(1 for o in by_owner if o is not None),
        batches_in_stock=batches,
    )


@transaction.atomic
def recall_create(
    *,
    actor: Actor,
    reason: str,
    kind: str = RecallKind.RECALL,
    product_id: uuid.UUID | None = None,
    batch: str = "",
    package_codes: list[str] | None = None,
    confirm_no_match: bool = False,
) -> Recall:
    """Recalls or blocks a product, one batch of it, or a list of packages; flags them at once.

    A recall that covers no package is refused unless `confirm_no_match`: blocking a batch
    before it reaches the country is legitimate, a mistyped batch is not, and only the person
    can tell them apart (the preview shows what would be flagged)."""
    actor.require_role("regulator")
    org = actor.require_organization()
    if not (reason or "").strip():
        raise field_error("reason", "required", _("Give the reason for the recall."))
    scope = _recall_scope_of(product_id=product_id, batch=batch, package_codes=package_codes)
    if not confirm_no_match and not _packages_in(scope).exists():
        raise ValidationFailed(
            "recall_matches_nothing",
            _(
                "No package matches this recall: check the batch and the codes. To block a batch "
                "that has not reached the country yet, confirm that no package matches."
            ),
            details={"packages": 0},
        )
    recall = Recall.objects.create(
        kind=kind, product=scope.product, batch=scope.batch, package_keys=scope.keys, reason=reason.strip(),
        created_by=actor.user, organization=org,
    )  # fmt: skip
    recall.package_count = _recall_scope(recall).update(flags=F("flags").bitor(_flag_of(recall)))
    recall.save(update_fields=["package_count"])
    recount_products(_recall_scope(recall).values_list("product_id", flat=True).distinct())
    audit_record(
        actor=actor, action="recall.create", obj=recall,
        changes={"kind": kind, "batch": recall.batch, "packages": recall.package_count,
                 "confirmed_no_match": recall.package_count == 0},
    )  # fmt: skip
    return recall


def _flag_of(recall: Recall) -> int:
    return int(rules.Flag.RECALLED if recall.kind == RecallKind.RECALL else rules.Flag.BLOCKED)


def _scope_queryset(*, product_id: int | None, batch: str, keys: list[str]):
    qs = Package.objects.all()
    if product_id is not None:
        qs = qs.filter(product_id=product_id)
        if batch:
            qs = qs.filter(batch=batch)
    if keys:
        cond, params = bulk.in_list("key", keys)
        qs = qs.extra(where=[cond], params=params)  # noqa: S610 - one array/JSON parameter, no user SQL
    return qs


def _recall_scope(recall: Recall):
    return _scope_queryset(product_id=recall.product_id, batch=recall.batch, keys=recall.package_keys)


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


# The changes of an alert's status the regulator's staff may make (a table, not code): a new
# alert is taken in hand or closed; one in hand is put back or closed; a closed one reopened.
ALERT_TRANSITIONS: dict[str, frozenset[str]] = {
    AlertStatus.OPEN: frozenset({AlertStatus.IN_PROGRESS, AlertStatus.RESOLVED}),
    AlertStatus.IN_PROGRESS: frozenset({AlertStatus.OPEN, AlertStatus.RESOLVED}),
    AlertStatus.RESOLVED: frozenset({AlertStatus.IN_PROGRESS}),
}


def _alert_locked(alert_id: uuid.UUID) -> Alert:
    alert = Alert.objects.select_for_update().filter(external_id=alert_id).first()
    if alert is None:
        raise NotFound("alert_not_found", _("No such alert."))
    return alert


@transaction.atomic
def alert_set_status(*, actor: Actor, alert_id: uuid.UUID, status: str, note: str = "") -> Alert:
    """Moves an alert to `status` (ALERT_TRANSITIONS); closing it needs a note saying how."""
    actor.require_role("regulator")
    if status not in AlertStatus.values:
        raise field_error("status", "bad_status", _("Choose a status."))
    alert = _alert_locked(alert_id)
    if status == alert.status:
        raise Conflict("alert_status_unchanged", _("The alert already has this status."))
    if status not in ALERT_TRANSITIONS[alert.status]:
        raise Conflict("alert_bad_transition", _("This alert cannot go to that status from its current one."))
    note = (note or "").strip()
    if status == AlertStatus.RESOLVED and not note:
        raise field_error("note", "required", _("Say how the alert was resolved."))
    old = alert.status
    now = timezone.now()
    alert.status = status
    alert.status_changed_by = actor.user
    alert.status_changed_at = now
    if status == AlertStatus.RESOLVED:
        alert.resolution_note, alert.resolved_by, alert.resolved_at = note, actor.user, now
    elif old == AlertStatus.RESOLVED:  # reopened: the note stays in the audit log
        alert.resolution_note, alert.resolved_by, alert.resolved_at = "", None, None
    alert.save(
        update_fields=["status", "status_changed_by", "status_changed_at", "resolution_note", "resolved_by",
                       "resolved_at"]
    )  # fmt: skip
    audit_record(
        actor=actor, action="alert.status", obj=alert,
        changes={"status": {"old": old, "new": status}, **({"note": note} if note else {})},
    )  # fmt: skip
    return alert


@transaction.atomic
def alert_resolve(*, actor: Actor, alert_id: uuid.UUID, note: str) -> Alert:
    """Closes an alert with the regulator's note."""
    actor.require_role("regulator")
    alert = _alert_locked(alert_id)
    if alert.status == AlertStatus.RESOLVED:
        raise Conflict("alert_not_open", _("This alert is already resolved."))
    return alert_set_status(actor=actor, alert_id=alert_id, status=AlertStatus.RESOLVED, note=note)


@transaction.atomic
def alert_assign(*, actor: Actor, alert_id: uuid.UUID, assignee_id: uuid.UUID | None) -> Alert:
    """Gives an alert to a member of the regulator's staff (None: to nobody)."""
    actor.require_role("regulator")
    assignee = None
    if assignee_id is not None:
        assignee = users_with_role(role="regulator").filter(external_id=assignee_id).first()
        if assignee is None:
            raise field_error(
                "assignee", "assignee_not_staff", _("Alerts are assigned to the regulator's staff only.")
            )
    alert = _alert_locked(alert_id)
    if alert.assigned_to_id == (assignee.pk if assignee else None):
        return alert
    old = alert.assigned_to
    alert.assigned_to = assignee
    alert.assigned_at = timezone.now() if assignee else None
    alert.save(update_fields=["assigned_to", "assigned_at"])
    audit_record(
        actor=actor, action="alert.assign", obj=alert,
        changes={"assigned_to": {"old": str(old.external_id) if old else None,
                                 "new": str(assignee.external_id) if assignee else None}},
    )  # fmt: skip
    return alert
