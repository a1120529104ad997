"""Running a request's view without Django's per-request connection health check.

With persistent connections and `CONN_HEALTH_CHECKS`, Django sends a ``SELECT 1`` before the
first query of every request: for a small read (the public check, a FHIR read) that round trip
costs about as much as the read itself. The short paths for machine calls skip it: a persistent
connection that died while idle is found out by the request's own FIRST query instead; nothing
has been read or written yet at that point, so the open connections are closed and the view
runs once more on fresh ones. A failure of a later query is raised as usual, and inside a
transaction (a test's) the health check is kept, since a failed query cannot be taken back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db import InterfaceError, OperationalError, connections

T = TypeVar("T")


class _FirstQuery:
    """An execute wrapper noting whether the request's very first query failed."""

    __slots__ = ("ran", "failed")

    def __init__(self) -> None:
        self.ran = False
        self.failed = False

    def __call__(self, execute, sql, params, many, context):
        if self.ran:
            return execute(sql, params, many, context)
        self.ran = True
        try:
            return execute(sql, params, many, context)
        except (OperationalError, InterfaceError):
            self.failed = True
            raise


def run_trusting_open_connections(view: Callable[[], T]) -> T:
    """`view()`, on open connections trusted without a health check (see the module text)."""
    opened = [c for c in connections.all(initialized_only=True) if c.connection is not None]
    if not opened or _in_transaction(opened):
        return view()
    first = _FirstQuery()
    for conn in opened:
        conn.health_check_done = True
    for conn in connections.all(initialized_only=True):
        conn.execute_wrappers.append(first)
    try:
        return view()
    except (OperationalError, InterfaceError):
        if not first.failed:
            raise
    finally:
        for conn in connections.all(initialized_only=True):
            if first in conn.execute_wrappers:
                conn.execute_wrappers.remove(first)
    _close(opened)  # one of them died while idle: start again on fresh connections
    return view()


def _in_transaction(opened) -> bool:
    """Inside a transaction (a test's) a failed query cannot be taken back: keep the check."""
    return any(c.in_atomic_block for c in opened)


def _close(opened) -> None:
    for conn in opened:
        conn.close()
