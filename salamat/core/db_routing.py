"""Reads that tolerate a second of lag go to a streaming replica; everything else to the primary.

Opt-in, per view: wrap a view in :func:`replica_reads` (a decorator and a context manager) and
the ORM's reads inside it go to the ``replica`` database alias, which exists only when
``REPLICA_DATABASE_URL`` is set. Without it the router answers None for everything and Django
behaves exactly as before (the SQLite quick start included). Inside the scope a read still goes
to the primary when

* the request already wrote (read your own write: a write marks the scope, reads follow it),
* a transaction is open on the primary (``transaction.atomic``: its reads must see its writes),
* the model belongs to identity or session tables (a login must work the instant it happens),
* the replica is down: the connection attempt fails fast (``connect_timeout``) and the failure
  is remembered for ``REPLICA_DOWN_SECONDS``, so one dead replica costs one attempt, not one per
  request; a view whose replica read fails mid-way runs once more on the primary;
* the replica lags more than ``REPLICA_MAX_LAG_SECONDS`` (measured at most every
  ``REPLICA_LAG_CHECK_SECONDS`` per process).

Raw SQL that should follow the router takes its connection from :func:`read_connection`.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper

from salamat.core.conf import setting

REPLICA = "replica"
PRIMARY = "default"
# Identity, sessions and tokens: always read where they were just written.
PRIMARY_ONLY_APPS = frozenset(
    {
        "sessions",
        "auth",
        # The shared cache (rate limits, login lockouts) counts on the primary: a replica's
        # copy would lag behind the counters.
        "django_cache",
        "accounts",
        "contenttypes",
        "admin",
        "oauth2_provider",
        "devidp",
        "django_tasks",
        "django_tasks_db",
    }
)

log = logging.getLogger(__name__)


@dataclass
class _Scope:
    wrote: bool = False
    used_replica: bool = False


_scope: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar("salamat_replica_scope", default=None)


@dataclass
class _Health:
    """What this process knows about the replica (shared by its threads)."""

    down_until: float = 0.0
    lag: float | None = None
    lag_checked_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


_health = _Health()


def replica_configured() -> bool:
    return REPLICA in connections.settings


def _mark_down(exc: BaseException) -> None:
    _health.down_until = time.monotonic() + setting("REPLICA_DOWN_SECONDS")
    log.warning(
        "replica unavailable, reading from the primary for %ss: %s", setting("REPLICA_DOWN_SECONDS"), exc
    )
    with contextlib.suppress(DatabaseError):
        connections[REPLICA].close()


def replica_lag_seconds(*, fresh: bool = False) -> float | None:
    """Seconds the replica is behind (0 when it has replayed all it received); None when there is
    no replica or it cannot be reached. Cached for REPLICA_LAG_CHECK_SECONDS unless `fresh`."""
    if not replica_configured():
        return None
    now = time.monotonic()
    if not fresh and now - _health.lag_checked_at < setting("REPLICA_LAG_CHECK_SECONDS"):
        return _health.lag
    if not fresh and now < _health.down_until:
        return None
    try:
        with connections[REPLICA].cursor() as cur:
            cur.execute(
                "SELECT CASE WHEN NOT pg_is_in_recovery() THEN 0 "
                "WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 "
                "ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END"
            )
            lag: float | None = float(cur.fetchone()[0])
    except DatabaseError as exc:
        _mark_down(exc)
        lag = None
    _health.lag, _health.lag_checked_at = lag, time.monotonic()
    return lag


def _replica_usable() -> bool:
    """Connects (or health-checks the persistent connection) once per scope; False when down."""
    if time.monotonic() < _health.down_until:
        return False
    conn = connections[REPLICA]
    try:
        conn.close_if_health_check_failed()
        conn.ensure_connection()
    except DatabaseError as exc:
        _mark_down(exc)
        return False
    lag = replica_lag_seconds()
    return lag is not None and lag <= setting("REPLICA_MAX_LAG_SECONDS")


class _ReplicaScope:
    def __enter__(self) -> _Scope:
        scope = _Scope()
        self._token = _scope.set(scope)
        return scope

    def __exit__(self, *exc_info) -> None:
        _scope.reset(self._token)


def _replica_gone() -> bool:
    conn = connections[REPLICA]
    return conn.connection is None or not conn.is_usable()


def replica_reads(view: Callable | None = None):
    """Marks a view whose reads may come from the replica, a second or so behind:
    ``@replica_reads`` on a view, or ``with replica_reads():`` around a block."""
    if view is None:
        return _ReplicaScope()

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        with _ReplicaScope() as scope:
            try:
                return view(*args, **kwargs)
            except DatabaseError as exc:
                if not scope.used_replica or scope.wrote or connections[PRIMARY].in_atomic_block:
                    raise
                if not _replica_gone():
                    raise  # a real error of the query, not a replica that went away
                _mark_down(exc)
        # The replica went away mid-view: a read-only view runs once more, on the primary.
        return view(*args, **kwargs)

    return wrapper


def _route_read(model) -> str | None:
    scope = _scope.get()
    if scope is None or scope.wrote or not replica_configured():
        return None
    if model is not None and model._meta.app_label in PRIMARY_ONLY_APPS:
        return None
    if connections[PRIMARY].in_atomic_block:
        return None
    if not _replica_usable():
        return None
    scope.used_replica = True
    return REPLICA


def read_connection(model=None) -> BaseDatabaseWrapper:
    """The connection a read of `model` goes to under the router (for raw SQL selectors)."""
    return connections[_route_read(model) or PRIMARY]


class ReplicaRouter:
    """Django database router: see the module docstring."""

    def db_for_read(self, model, **hints):
        instance = hints.get("instance")
        if instance is not None and instance._state.db == PRIMARY:
            return None  # related objects of a row read from the primary stay there
        return _route_read(model)

    def db_for_write(self, model, **hints):
        scope = _scope.get()
        # A cache write (the public check's rate-limit counter) is no data the view reads back:
        # it must not send the rest of the request's reads to the primary.
        if scope is not None and (model is None or model._meta.app_label != "django_cache"):
            scope.wrote = True
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        if {obj1._state.db, obj2._state.db} <= {PRIMARY, REPLICA}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica is a copy of the primary: it is never migrated itself.
        return False if db == REPLICA else None


def replica_state() -> dict:
    """For the readiness check and metrics: configured, reachable, lag in seconds."""
    if not replica_configured():
        return {"configured": False}
    lag = replica_lag_seconds(fresh=True)
    if lag is None:
        return {"configured": True, "status": "down"}
    status = "ok" if lag <= setting("REPLICA_MAX_LAG_SECONDS") else "lagging"
    return {"configured": True, "status": status, "lag_seconds": round(lag, 3)}


def reset_health() -> None:
    """Forgets a remembered failure (tests; an operator who just restarted the replica)."""
    _health.down_until = 0.0
    _health.lag = None
    _health.lag_checked_at = 0.0
