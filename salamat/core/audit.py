"""Writing the audit trail. Called by services inside their transaction."""

from __future__ import annotations

from typing import Any

from django.db import models

from salamat.core import context
from salamat.core.actors import Actor
from salamat.core.models import AuditLog

# Keys that must never reach the audit log even if a caller passes them.
_PII_KEYS = frozenset(
    {"pin", "diagnosis", "diagnosis_code", "password", "token", "secret", "phone", "birth_date"}
)


def _scrub(changes: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        if key in _PII_KEYS:
            clean[key] = "[hidden]"
        elif isinstance(value, dict):
            clean[key] = _scrub(value)
        else:
            clean[key] = value
    return clean


def audit_record(
    *,
    actor: Actor,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    changes: dict[str, Any] | None = None,
) -> AuditLog:
    """Appends one audit row for `action` by `actor` on `obj` (or the given type and id)."""
    ctx = context.current()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(getattr(obj, "external_id", None) or obj.pk)
    return AuditLog.objects.create(
        actor_user=actor.user,
        actor_client=actor.api_client,
        organization=actor.organization,
        action=action,
        object_type=object_type,
        object_id=object_id,
        changes=_scrub(changes or {}),
        ip=ctx.ip,
        request_id=ctx.request_id,
    )


def diff(instance: models.Model, fields: list[str], old: dict[str, Any]) -> dict[str, Any]:
    """Old and new values of `fields` that changed, JSON-ready."""
    out: dict[str, Any] = {}
    for name in fields:
        new = getattr(instance, name)
        if old.get(name) != new:
            out[name] = {"old": _jsonable(old.get(name)), "new": _jsonable(new)}
    return out


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, models.Model):
        return str(value.pk)
    return str(value)
