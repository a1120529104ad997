"""Hot queries built once and run as prepared statements (PostgreSQL).

The reads clinics' software calls millions of times with the same shape (a token's look-up, a
patient's `$summary` or search) are defined with the ORM like any other query, but on
PostgreSQL their SQL is built once per process, from a query holding placeholder values, and
each request binds its own values in their place (`built_once`, `bind`). The statement then
goes through a server-side-binding cursor (`run_prepared`), so PostgreSQL also plans it once
per connection instead of once per request.

Placeholders are values no request can carry (`placeholder_*`): `bind` swaps every parameter
equal to one for the request's value, and leaves the query's own constants as they are.
"""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Callable, Hashable
from datetime import UTC, datetime
from typing import Any

from django.db import connections
from django.db.models import Model, QuerySet

_built: dict[Hashable, tuple[str, tuple]] = {}


def placeholder_uuid(n: int) -> uuid.UUID:
    return uuid.UUID(int=(0xC0DE << 64) | n)


def placeholder_int(n: int) -> int:
    return -7_777_000_000 - n


def placeholder_str(n: int) -> str:
    return f"\x00placeholder-{n}"  # PostgreSQL text never holds NUL: no real value equals it


def placeholder_datetime(n: int) -> datetime:
    return datetime(1901, 1, 1 + n, tzinfo=UTC)


def built_once(key: Hashable, build: Callable[[], QuerySet]) -> tuple[str, tuple]:
    """(SQL, parameters) of the query `build()` returns (holding placeholders), built on first use."""
    found = _built.get(key)
    if found is None:
        sql, params = build().query.sql_with_params()
        found = _built[key] = (sql, tuple(params))
    return found


def bind(params: tuple, values: dict[Any, Any]) -> list:
    """The parameters with each placeholder replaced by this request's value."""
    return [
        values.get(p, p) if isinstance(p, (int, str, uuid.UUID, datetime)) and not isinstance(p, bool) else p
        for p in params
    ]


def run_prepared(sql: str, params: list, *, using: str = "default") -> list[tuple]:
    """Runs one statement as a prepared statement on the request's connection (PostgreSQL) and
    returns its rows. Like a Django cursor it checks a reused connection first (when Django's
    health checks are on) and goes through the connection's execute wrappers (so a request's
    short path, `salamat.core.dbconn`, sees its first query fail on a connection that died while
    idle and runs again); errors come out as Django's; the statement is in Django's query log
    when it keeps one (tests counting queries see it). Behind PgBouncer, use transaction pooling
    of version 1.21 or later, which keeps protocol-level prepared statements."""
    import psycopg

    connection = connections[using]
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:  # Django opens its connections with preparing off
        raw.prepare_threshold = 5

    def execute(sql: str, params: list, many: bool, context: dict) -> list[tuple]:
        with connection.wrap_database_errors, psycopg.Cursor(raw) as cursor:
            cursor.execute(sql, params, prepare=True)
            # Whether it answered rows, from the result's status: `cursor.description` would
            # build an object per column on every call (22 for the public check's lookup).
            result = cursor.pgresult
            answered = result is not None and result.status == psycopg.pq.ExecStatus.TUPLES_OK
            return cursor.fetchall() if answered else []

    for wrapper in reversed(connection.execute_wrappers):
        execute = functools.partial(wrapper, execute)
    began = time.monotonic()
    rows = execute(sql, params, False, {"connection": connection, "cursor": None})
    if connection.queries_logged:
        connection.queries_log.append(
            {"sql": f"{sql} -- {params!r}", "time": f"{time.monotonic() - began:.3f}"}
        )
    return rows


def instance_from_row(
    model: type[Model], attnames: tuple[str, ...], values, *, using: str = "default"
) -> Model:
    """A `model` instance from a row of `run_prepared` (columns `attnames`), each value converted
    as the ORM converts what it reads (`from_db_value`: JSON, custom fields)."""
    connection = connections[using]
    converted = []
    for name, value in zip(attnames, values, strict=True):
        field = model._meta.get_field(name)
        if value is not None and hasattr(field, "from_db_value"):
            value = field.from_db_value(value, None, connection)
        converted.append(value)
    return model.from_db(using, attnames, converted)
