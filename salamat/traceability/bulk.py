"""Set-based SQL for requests of tens of thousands of codes, one code path per backend.

Every helper issues ONE statement whatever the number of rows, so the number of
queries of an operation never grows with the number of codes:

* PostgreSQL: lists travel as one array parameter (``= ANY(%s)``), inserts go through
  psycopg 3 binary ``COPY``, per-row updates through ``UPDATE … FROM unnest(arrays)``.
* SQLite (the first-run default): lists travel as one JSON parameter read with
  ``json_each``; inserts are ``INSERT … SELECT … FROM json_each``; per-row updates are
  ``UPDATE … FROM (SELECT … FROM json_each)``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from django.db import connection

SEP = "\x1e"  # ASCII record separator: never part of a canonical package key
_SEP = SEP


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def in_list(column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
    """A condition "`column` is one of `values`" with a single parameter."""
    if is_postgres():
        if values and isinstance(values[0], str):
            # Tens of thousands of keys travel as ONE string split by the server: adapting a
            # list of str element by element (quoting checks) costs more than the lookup.
            joined = _SEP.join(values)
            if joined.count(_SEP) == len(values) - 1:  # no key contains the separator
                return f"{column} = ANY(string_to_array(%s, E'\\x1e'))", [joined]
        if values and type(values[0]) is int and all(type(v) is int for v in values):
            # Ids likewise: one string of digits is parsed by the server faster than psycopg
            # adapts a list of 50,000 Python ints.
            return f"{column} = ANY(string_to_array(%s, ',')::bigint[])", [",".join(map(str, values))]
        return f"{column} = ANY(%s)", [list(values)]
    sql = f"{column} IN (SELECT value FROM json_each(%s))"  # noqa: S608 - column names are ours
    return sql, [json.dumps(list(values), default=_json_value)]


def cursor():
    """A cursor for set-based statements. On PostgreSQL it binds parameters on the server,
    so a 50,000-element array travels as one binary value instead of being spelled out
    in the SQL text; it is still Django's wrapper (query logging, execute wrappers)."""
    if not is_postgres():
        return connection.cursor()
    import psycopg

    connection.ensure_connection()
    return connection._prepare_cursor(psycopg.Cursor(connection.connection))


def fetch(sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    with cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def execute(sql: str, params: Sequence[Any] = ()) -> int:
    with cursor() as cur:
        cur.execute(sql, params)
        return cur.rowcount


def for_update() -> str:
    """The row-lock clause (SQLite locks the whole database on write instead)."""
    return " FOR UPDATE" if is_postgres() else ""


def plan_for_keyed_lookups() -> None:
    """Makes the rest of the current transaction cost random reads as a cached or SSD-backed
    database does (``random_page_cost`` 1.1 instead of PostgreSQL's default of 4, which models
    spinning disks).

    With the default, the planner judges a 1,250-key lookup in a table of 100,000 packages
    dearer through the key index than by reading the whole table, and each slice of a bulk
    request then scans every package: measured 13.5 ms by seq scan against 1.5 ms by the index,
    growing with the table until its statistics are refreshed. ``SET LOCAL`` keeps the setting
    to this transaction, so it needs no cluster tuning or superuser and survives a transaction
    pooler. Production clusters on SSD should set ``random_page_cost = 1.1`` anyway (see the
    README's deployment notes)."""
    if is_postgres():
        execute("SET LOCAL random_page_cost = 1.1")


def plan_by_key_only() -> None:
    """`plan_for_keyed_lookups`, and for the rest of the transaction no plan that reads a whole
    table (``enable_seqscan`` off), in the same round trip: for the fast path's one statement
    (`services.fast`), whose every row is named by its key or its event.

    Its 10,000 keys cost the same ~1.2 µs each through the key index whatever the table's size,
    while reading the table and hashing the keys costs ~0.25 µs for every package in it. The
    planner underprices that hashing and picks it until the table holds ~10 times the keys:
    measured in the benchmark's requests on tables of 100,000–170,000 packages, 36 → 52 ms by
    the whole table as it grew, against a flat ~12 ms by the index.

    Its statement, prepared (`core.prepared.run_prepared`), is also planned once per connection
    (``plan_cache_mode``): by default PostgreSQL plans it afresh for each request's values,
    ~2.5 ms of a ~65 ms statement, to choose among plans of which only the index one is left."""
    if is_postgres():
        execute(
            "SELECT set_config('random_page_cost', '1.1', true), set_config('enable_seqscan', 'off', true), "
            "set_config('plan_cache_mode', 'force_generic_plan', true)"
        )


def allocate_ids(table: str, count: int) -> list[int]:
    """`count` fresh primary keys for `table`, so rows can be COPYed with their ids known."""
    if count == 0:
        return []
    if is_postgres():
        # The sequence is looked up once (MATERIALIZED), not once per row: the catalog lookup
        # of pg_get_serial_sequence costs more than nextval itself. One array, not 50,000 rows.
        rows = fetch(
            "WITH s AS MATERIALIZED (SELECT pg_get_serial_sequence(%s, 'id')::regclass AS seq) "
            "SELECT array_agg(nextval(s.seq)) FROM s, generate_series(1, %s)",
            [table, count],
        )
        return rows[0][0]
    # SQLite serialises writers; the caller is inside a transaction.
    start = (fetch(f"SELECT COALESCE(MAX(id), 0) FROM {table}")[0][0] or 0) + 1  # noqa: S608 - table names are ours
    return list(range(start, start + count))


def insert_rows(
    table: str, columns: Sequence[str], types: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Inserts `rows` (tuples in the order of `columns`); `types` are PostgreSQL type names."""
    rows = list(rows)
    if not rows:
        return
    cols = ", ".join(columns)
    if is_postgres():
        connection.ensure_connection()
        raw = connection.connection  # the psycopg connection under Django's wrapper, same transaction
        # Django's error translation (IntegrityError on a duplicate key) applies to COPY too.
        with (
            connection.wrap_database_errors,
            raw.cursor() as cursor,
            cursor.copy(f"COPY {table} ({cols}) FROM STDIN (FORMAT BINARY)") as copy,
        ):
            copy.set_types(list(types))
            for row in rows:
                copy.write_row(row)
        return
    picks = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(columns)))
    execute(
        f"INSERT INTO {table} ({cols}) SELECT {picks} FROM json_each(%s)",  # noqa: S608
        [json.dumps([[_sqlite_value(v) for v in row] for row in rows], default=_json_value)],
    )


def rows_relation(
    alias: str, columns: Sequence[str], types: Sequence[str], rows: Sequence[Sequence[Any]]
) -> tuple[str, list[Any]]:
    """`rows` (tuples in the order of `columns`) as a relation named `alias` to select FROM or
    join, one parameter per column (PostgreSQL) or one for all (SQLite); `types` as in
    PostgreSQL."""
    if is_postgres():
        return _unnest(alias, columns, types, list(zip(*rows, strict=True)))
    return _json_rows(alias, columns, rows)


def _unnest(
    alias: str, columns: Sequence[str], types: Sequence[str], values: Sequence[Sequence[Any]]
) -> tuple[str, list[Any]]:
    """PostgreSQL: `unnest(…) AS alias(columns)` of the column-wise `values`, one parameter a
    column: integer columns as one string of digits (parsed by the server faster than psycopg
    adapts a list of ints, see `in_list`), the others as arrays."""
    unnest_sql, params = [], []
    for pg_type, column in zip(types, values, strict=True):
        if pg_type in ("bigint", "integer", "smallint") and all(v is None or type(v) is int for v in column):
            unnest_sql.append(f"string_to_array(%s, ',', '')::{pg_type}[]")
            params.append(",".join("" if v is None else str(v) for v in column))
        else:
            unnest_sql.append(f"%s::{pg_type}[]")
            params.append(list(column))
    return f"unnest({', '.join(unnest_sql)}) AS {alias}({', '.join(columns)})", params


def _json_rows(alias: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> tuple[str, list[Any]]:
    """SQLite: the rows as a relation read from one JSON parameter."""
    picks = ", ".join(f"json_extract(value, '$[{i}]') AS {c}" for i, c in enumerate(columns))
    return (
        f"(SELECT {picks} FROM json_each(%s)) AS {alias}",  # noqa: S608 - names are ours
        [json.dumps([[_sqlite_value(v) for v in row] for row in rows], default=_json_value)],
    )


def add_to(key_columns: Sequence[str], count_columns: Sequence[str], target: str) -> str:
    """The clause that makes an INSERT add its amounts to the counters of the row already there
    with the same keys: `ON CONFLICT (keys) DO UPDATE …`; `target` names the table inserted into
    (its alias on PostgreSQL)."""
    adds = ", ".join(f"{c} = {target}.{c} + EXCLUDED.{c}" for c in count_columns)
    return f"ON CONFLICT ({', '.join(key_columns)}) DO UPDATE SET {adds}"


def update_where(table: str, assignments: dict[str, Any], ids: Sequence[int]) -> int:
    """Sets the same values on every row of `table` whose id is in `ids`."""
    if not ids:
        return 0
    names = list(assignments)
    sets = ", ".join(f"{name} = %s" for name in names)
    cond, params = in_list("id", ids)
    values = [_param(assignments[name]) for name in names]
    return execute(f"UPDATE {table} SET {sets} WHERE {cond}", values + params)  # noqa: S608


def update_rows(
    table: str, columns: Sequence[str], types: Sequence[str], rows: Sequence[Sequence[Any]]
) -> int:
    """Per-row values: each row is `(id, value1, value2, …)` for `columns`; `types` as in PostgreSQL."""
    if not rows:
        return 0
    sets = ", ".join(f"{c} = v.{c}" for c in columns)
    if is_postgres():
        # A column with one value for every row travels as one parameter; integer columns as one
        # string of digits (parsed by the server faster than psycopg adapts a list of ints, see
        # `in_list`); the others as arrays.
        set_sql, set_params, varying, varying_types, varying_values = [], [], [], [], []
        for i, (column, pg_type, values) in enumerate(
            zip(("id", *columns), ("bigint", *types), zip(*rows, strict=True), strict=True)
        ):
            first = values[0]
            if i and all(v is first or (type(v) is type(first) and v == first) for v in values):
                set_sql.append(f"{column} = %s::{pg_type}")
                set_params.append(first)
                continue
            if i:
                set_sql.append(f"{column} = v.{column}")
            varying.append(column)
            varying_types.append(pg_type)
            varying_values.append(values)
        relation, relation_params = _unnest("v", varying, varying_types, varying_values)
        return execute(
            f"UPDATE {table} AS t SET {', '.join(set_sql)} FROM {relation} WHERE t.id = v.id",  # noqa: S608
            set_params + relation_params,
        )
    relation, params = _json_rows("v", ("id", *columns), rows)
    return execute(f"UPDATE {table} SET {sets} FROM {relation} WHERE {table}.id = v.id", params)  # noqa: S608


def add_counts(
    table: str,
    key_columns: Sequence[str],
    key_types: Sequence[str],
    count_columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> int:
    """Adds per-row amounts to counters: each row is `(key1, …, count1, …)`; a missing row is
    created with the amounts. `key_columns` must be a unique constraint of `table`. Callers
    pass the rows sorted, so concurrent requests lock shared rows in the same order."""
    if not rows:
        return 0
    columns = (*key_columns, *count_columns)
    relation, params = rows_relation("v", columns, (*key_types, *("integer",) * len(count_columns)), rows)
    alias, target = (" AS t", "t") if is_postgres() else ("", table)
    return execute(
        f"INSERT INTO {table}{alias} ({', '.join(columns)}) SELECT * FROM {relation} WHERE true "  # noqa: S608
        f"{add_to(key_columns, count_columns, target)}",
        params,
    )


def _param(value: Any) -> Any:
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _json_value(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)
