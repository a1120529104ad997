"""Packages registered before they are introduced: the package rows of issued stickers.

A registered package (state `registered`) is held by the organisation that will introduce it,
and by it alone; it is not in circulation, so it has no event and no stock. The stickers module
registers the packages of the stickers it issues (at order time, or when a blank sticker is
applied) and removes them when an unused sticker is voided; it never writes package rows itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salamat.core.actors import Actor
from salamat.core.audit import audit_record
from salamat.core.errors import PermissionDenied
from salamat.registry.models import Organization, OrganizationStatus, Product
from salamat.traceability import bulk
from salamat.traceability.models import Package
from salamat.traceability.rules import Reason, State
from salamat.traceability.services.engine import INTRODUCER_TYPES, PACKAGE_TABLE


def _require_introducer(actor: Actor) -> Organization:
    """Only an active manufacturer or importer holds packages it has not introduced yet."""
    org = actor.require_organization()
    if org.status != OrganizationStatus.ACTIVE or org.org_type not in INTRODUCER_TYPES:
        raise PermissionDenied(
            "not_an_introducer", _("Only an active manufacturer or importer may introduce packages.")
        )
    return org


def _audit_keys(actor: Actor, action: str, keys: Sequence[str], **changes) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="traceability.package",
        object_id=keys[0] if len(keys) == 1 else f"{len(keys)} packages",
        changes={"package_count": len(keys), **changes},
    )


@transaction.atomic
def packages_register(
    *, actor: Actor, product: Product, batch: str, expiry: date, keys: Sequence[str]
) -> int:
    """Registers the packages `keys` of one product, batch and expiry, held by the actor's
    organisation (which alone may then introduce them by scanning their codes)."""
    org = _require_introducer(actor)
    if not keys:
        return 0
    now = timezone.now()
    ids = bulk.allocate_ids(PACKAGE_TABLE, len(keys))
    bulk.insert_rows(
        PACKAGE_TABLE,
        ("id", "key", "product_id", "batch", "expiry", "state", "withdraw_reason", "owner_id", "flags",
         "updated_at"),
        ("bigint", "text", "bigint", "text", "date", "smallint", "smallint", "bigint", "smallint", "timestamptz"),
        (
            (pid, key, product.pk, batch, expiry, int(State.REGISTERED), int(Reason.NONE), org.pk, 0, now)
            for pid, key in zip(ids, keys, strict=True)
        ),
    )  # fmt: skip
    _audit_keys(
        actor, "package.register", keys, product=str(product.external_id), batch=batch, expiry=str(expiry)
    )
    return len(keys)


def packages_lock_states(*, keys: Sequence[str]) -> dict[str, int]:
    """Locks the packages `keys` that exist (in id order, as every operation does) and answers
    each one's state, for a caller that decides on them in the same transaction."""
    return dict(
        Package.objects.select_for_update().filter(key__in=keys).order_by("id").values_list("key", "state")
    )


@transaction.atomic
def packages_unregister(*, actor: Actor, keys: Sequence[str]) -> int:
    """Removes the actor's registered packages among `keys` (a voided sticker's package never
    entered circulation and has no events); a package introduced since stays. Answers how many."""
    org = _require_introducer(actor)
    _total, by_model = Package.objects.filter(key__in=keys, state=State.REGISTERED, owner_id=org.pk).delete()
    removed = by_model.get(Package._meta.label, 0)
    if removed:
        _audit_keys(actor, "package.unregister", keys, removed=removed)
    return removed
