"""Monthly partitions of the event tables (PostgreSQL only): created ahead, old ones archived.

`traceability_event` is partitioned by `record_time` (when the platform recorded the event:
always "now" when written, so new rows land in the current month) and
`traceability_eventpackage` by `recorded_on`, a date column that exists only on PostgreSQL and
fills itself (`DEFAULT` the current UTC date), so no writer names it. One partition per
calendar month (UTC), named `<table>_pYYYYMM`, plus a `<table>_default` partition that catches
a row no monthly partition takes (the upkeep did not run, a clock far off): nothing is ever
refused for want of a partition, and the next upkeep moves such rows into their month.

`maintain()` is the upkeep: it creates the partitions of the next `TRACE_PARTITIONS_AHEAD`
months, moves rows of those months out of the default partition, and detaches the partitions
that ended more than `TRACE_PARTITIONS_KEEP_MONTHS` ago into the `TRACE_ARCHIVE_SCHEMA` schema
(from where an operator dumps and drops them: `docs/operations.md`). Run by
`manage.py partitions_maintain` (daily from `deploy/systemd/salamat-partitions.timer`) or
queued on the job runner (`partitions_maintain_job`). Idempotent; a no-op on SQLite.

A partition is created as a plain table and then ATTACHed: attaching takes a lighter lock on
the parent than `CREATE TABLE … PARTITION OF` (writes go on), and lets rows be moved in from
the default partition first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.db import connection, transaction

from salamat.core import jobs
from salamat.core.conf import setting

log = logging.getLogger(__name__)

# table -> its partition key column
TABLES: dict[str, str] = {
    "traceability_event": "record_time",
    "traceability_eventpackage": "recorded_on",
}


@dataclass(frozen=True)
class Partition:
    name: str
    start: date | None  # None: the default partition
    end: date | None


def month_start(day: date) -> date:
    return date(day.year, day.month, 1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def partition_name(table: str, month: date) -> str:
    return f"{table}_p{month:%Y%m}"


def _bound(table: str, day: date) -> str:
    """The partition bound literal for `day` in `table`'s key type (timestamps at 00:00 UTC)."""
    return f"'{day.isoformat()} 00:00:00+00'" if TABLES[table] == "record_time" else f"'{day.isoformat()}'"


def is_partitioned(table: str) -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cur:
        cur.execute(
            "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
            "WHERE c.relname = %s AND c.relnamespace = current_schema()::regnamespace",
            [table],
        )
        return cur.fetchone() is not None


def partitions(table: str) -> list[Partition]:
    """`table`'s attached partitions, oldest first, the default partition last."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass",
            [table],
        )
        rows = cur.fetchall()
    found = []
    for name, bound in rows:
        if bound == "DEFAULT":
            found.append(Partition(name, None, None))
            continue
        # FOR VALUES FROM ('2026-12-01 06:00:00+06') TO ('2027-01-01 06:00:00+06'): read the
        # month from the name, the one thing this module writes.
        month = date(int(name[-6:-2]), int(name[-2:]), 1)
        found.append(Partition(name, month, add_months(month, 1)))
    return sorted(found, key=lambda p: (p.start is None, p.start or date.min))


def _create_month(table: str, month: date) -> bool:
    """Creates and attaches `table`'s partition for `month` unless it exists; moves the month's
    rows out of the default partition. True if created."""
    name = partition_name(table, month)
    if any(p.name == name for p in partitions(table)):
        return False
    key, start, end = TABLES[table], _bound(table, month), _bound(table, add_months(month, 1))
    default = f"{table}_default"
    with connection.cursor() as cur:
        cur.execute(f'CREATE TABLE "{name}" (LIKE "{table}" INCLUDING DEFAULTS)')
        # The rows of this month that went to the default partition move into it first (the
        # attach refuses while the default partition holds any).
        cur.execute(
            f'WITH moved AS (DELETE FROM "{default}" WHERE "{key}" >= {start} AND "{key}" < {end} '  # noqa: S608
            f'RETURNING *) INSERT INTO "{name}" SELECT * FROM moved'
        )
        if cur.rowcount:
            log.warning("partitions: moved %s rows of %s from %s", cur.rowcount, name, default)
        cur.execute(f'ALTER TABLE "{table}" ATTACH PARTITION "{name}" FOR VALUES FROM ({start}) TO ({end})')
    return True


def ensure(table: str, first: date, last: date) -> list[str]:
    """Creates `table`'s monthly partitions from the month of `first` to that of `last`."""
    created, month = [], month_start(first)
    while month <= last:
        if _create_month(table, month):
            created.append(partition_name(table, month))
        month = add_months(month, 1)
    return created


def detach_before(table: str, cutoff: date, schema: str) -> list[str]:
    """Detaches `table`'s partitions that end on or before `cutoff` and moves them to `schema`."""
    detached = []
    with connection.cursor() as cur:
        cur.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        for p in partitions(table):
            if p.end is not None and p.end <= cutoff:
                cur.execute(f'ALTER TABLE "{table}" DETACH PARTITION "{p.name}"')
                cur.execute(f'ALTER TABLE "{p.name}" SET SCHEMA "{schema}"')
                detached.append(f"{schema}.{p.name}")
    return detached


def maintain(*, today: date | None = None) -> dict[str, list[str]]:
    """The upkeep: partitions for this month and the next TRACE_PARTITIONS_AHEAD, and those
    older than TRACE_PARTITIONS_KEEP_MONTHS detached to the archive schema. Idempotent."""
    result: dict[str, list[str]] = {"created": [], "detached": []}
    if connection.vendor != "postgresql":
        return result
    today = today or datetime.now(UTC).date()
    this_month = month_start(today)
    last = add_months(this_month, int(setting("TRACE_PARTITIONS_AHEAD")))
    keep = int(setting("TRACE_PARTITIONS_KEEP_MONTHS"))
    schema = str(setting("TRACE_ARCHIVE_SCHEMA"))
    for table in TABLES:
        if not is_partitioned(table):
            continue
        with transaction.atomic():
            result["created"] += ensure(table, this_month, last)
            if keep > 0:
                result["detached"] += detach_before(table, add_months(this_month, -keep), schema)
    if result["created"] or result["detached"]:
        log.info("partitions: created %s; detached %s", result["created"], result["detached"])
    return result


@jobs.task()
def partitions_maintain_job() -> dict[str, list[str]]:
    """`maintain()` on the job runner."""
    return maintain()
