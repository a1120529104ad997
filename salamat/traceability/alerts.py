"""Reads for the regulator's alert pages: the inbox with its filters, one alert with what
happened to it, the staff it can be assigned to, a citizen's photo. No writes here (those are
`services.alert_set_status`, `alert_assign`, `alert_resolve`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db.models import Q, QuerySet

from salamat.accounts.models import User
from salamat.accounts.selectors import users_with_role
from salamat.core.actors import Actor
from salamat.core.models import AuditLog
from salamat.traceability.models import Alert, AlertSeverity, AlertStatus

ACTIVE = "active"  # the inbox's default: new and in progress
ALL = "all"
STATUS_FILTERS = (ACTIVE, ALL, *AlertStatus.values)
MINE, NOBODY = "me", "none"  # the assignee filter's two words besides a person's id
PHOTO_TYPES = {"jpeg": "image/jpeg", "jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


@dataclass(frozen=True)
class AlertFilters:
    """The inbox's filters, already checked (an unknown value means "any")."""

    status: str = ACTIVE
    kind: str = ""
    severity: str = ""
    assignee: str = ""

    @classmethod
    def of(cls, params) -> AlertFilters:
        status = params.get("status", ACTIVE)
        severity = params.get("severity", "")
        return cls(
            status=status if status in STATUS_FILTERS else ALL,
            kind=params.get("kind", "")[:40],
            severity=severity if severity in AlertSeverity.values else "",
            assignee=params.get("assignee", "")[:40],
        )


def alerts_inbox(*, filters: AlertFilters, actor: Actor) -> QuerySet[Alert]:
    """The regulator's alerts, newest first, as filtered."""
    qs = Alert.objects.select_related("organization", "resolved_by", "assigned_to", "status_changed_by")
    if filters.status == ACTIVE:
        qs = qs.filter(status__in=[AlertStatus.OPEN, AlertStatus.IN_PROGRESS])
    elif filters.status != ALL:
        qs = qs.filter(status=filters.status)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.severity:
        qs = qs.filter(severity=filters.severity)
    if filters.assignee == MINE:
        qs = qs.filter(assigned_to=actor.user) if actor.user else qs.none()
    elif filters.assignee == NOBODY:
        qs = qs.filter(assigned_to__isnull=True)
    elif filters.assignee:
        qs = qs.filter(
            Q(assigned_to__external_id=filters.assignee) if _is_uuid(filters.assignee) else Q(pk=None)
        )
    return qs.order_by("-created_at", "-id")


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def alert_by_external_id(external_id) -> Alert | None:
    return (
        Alert.objects.select_related("organization", "resolved_by", "assigned_to", "status_changed_by")
        .filter(external_id=external_id)
        .first()
    )


def alert_staff() -> QuerySet[User]:
    """The people an alert can be assigned to: those holding the regulator role."""
    return users_with_role(role="regulator")


@dataclass(frozen=True)
class AlertChange:
    """One change of an alert, from the audit log: who, when, what."""

    at: datetime
    by: User | None
    action: str  # "alert.status", "alert.assign", "alert.resolve" (before statuses existed)
    changes: dict


def alert_history(alert: Alert) -> list[AlertChange]:
    """What the regulator's staff did with the alert, oldest first."""
    rows = (
        AuditLog.objects.filter(object_type=Alert._meta.label_lower, object_id=str(alert.external_id))
        .filter(action__startswith="alert.")
        .select_related("actor_user")
        .order_by("created_at", "id")
    )
    return [AlertChange(at=r.created_at, by=r.actor_user, action=r.action, changes=r.changes) for r in rows]


def alert_photo(alert: Alert) -> tuple[Path, str] | None:
    """The citizen's photo attached to an alert (its file and content type), if it is there."""
    relative = str((alert.details or {}).get("photo") or "")
    kind = relative.rsplit(".", 1)[-1].lower()
    if not relative or kind not in PHOTO_TYPES:
        return None
    root = (Path(settings.MEDIA_ROOT) / "portal" / "reports").resolve()
    path = (Path(settings.MEDIA_ROOT) / relative).resolve()
    if path.parent != root or not path.is_file():  # only the reports' own folder, never ../
        return None
    return path, PHOTO_TYPES[kind]
