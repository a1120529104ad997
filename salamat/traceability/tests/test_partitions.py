"""Partitioned event tables on PostgreSQL (migration 0009, `traceability.partitions`): the
tables are partitioned, rows land in their month, the upkeep creates partitions ahead, moves
strays out of the default partition and detaches old months to the archive schema, the
migration moves existing rows, and the hot lookups stay index scans."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from django.core.management import call_command
from django.db import connection

from salamat.traceability import partitions
from salamat.traceability.models import DailyDelta, Event, EventPackage

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_only]


def _one(sql: str, params=()):
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def _this_month() -> date:
    return partitions.month_start(datetime.now(UTC).date())


def test_both_tables_are_partitioned_by_month_with_partitions_ahead_and_a_default():
    rows = dict(
        _one(
            "SELECT c.relname, pg_get_partkeydef(c.oid) FROM pg_partitioned_table p "
            "JOIN pg_class c ON c.oid = p.partrelid WHERE c.relname LIKE 'traceability_%%'"
        )
    )
    assert rows == {
        "traceability_event": "RANGE (record_time)",
        "traceability_eventpackage": "RANGE (recorded_on)",
    }
    month = _this_month()
    for table in partitions.TABLES:
        names = [p.name for p in partitions.partitions(table)]
        wanted = [partitions.partition_name(table, partitions.add_months(month, i)) for i in range(4)]
        assert set(wanted) <= set(names)
        assert names[-1] == f"{table}_default"
    keys = dict(_one("SELECT conrelid::regclass::text, pg_get_constraintdef(oid) FROM pg_constraint "
                     "WHERE contype = 'p' AND conrelid::regclass::text IN "
                     "('traceability_event', 'traceability_eventpackage')"))  # fmt: skip
    assert keys == {
        "traceability_event": "PRIMARY KEY (id, record_time)",
        "traceability_eventpackage": "PRIMARY KEY (event_id, package_id, recorded_on)",
    }


def test_each_event_package_row_maintains_two_indexes_only():
    # The primary key finds a shipment's packages by event, eventpackage_package_idx a
    # package's history; every further index would be written once per package of every bulk
    # operation (migration 0011 dropped two single-column ones).
    indexes = _one(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c "
        "ON c.oid = i.indexrelid WHERE i.indrelid = 'traceability_eventpackage'::regclass ORDER BY 1"
    )
    assert [(name, definition.split(" USING ")[1]) for name, definition in indexes] == [
        ("eventpackage_package_idx", "btree (package_id, event_id)"),
        ("traceability_eventpackage_pkey", "btree (event_id, package_id, recorded_on)"),
    ]
    month = partitions.partition_name("traceability_eventpackage", _this_month())
    assert _one("SELECT count(*) FROM pg_index WHERE indrelid = %s::regclass", [month]) == [(2,)]


def test_rows_land_in_the_partition_of_their_month(introduced):
    introduced()
    event = Event.objects.get()
    month = _this_month()
    assert _one("SELECT tableoid::regclass::text FROM traceability_event WHERE id = %s", [event.pk]) == [
        (partitions.partition_name("traceability_event", month),)
    ]
    assert _one(
        "SELECT DISTINCT tableoid::regclass::text, recorded_on FROM traceability_eventpackage WHERE event_id = %s",
        [event.pk],
    ) == [(partitions.partition_name("traceability_eventpackage", month), datetime.now(UTC).date())]
    # Django still reads and addresses them by id.
    assert EventPackage.objects.filter(event=event).count() == 3
    assert Event.objects.filter(pk=event.pk).update(units=None) == 1


def test_upkeep_creates_months_ahead_and_detaches_old_ones_to_the_archive(introduced, settings):
    introduced()
    month = _this_month()
    settings.SALAMAT = {**settings.SALAMAT, "TRACE_PARTITIONS_AHEAD": 2, "TRACE_PARTITIONS_KEEP_MONTHS": 3}
    later = partitions.add_months(month, 4)  # four months on: this month is past keeping
    result = partitions.maintain(today=later)
    for table in partitions.TABLES:
        for i in (5, 6):
            assert partitions.partition_name(table, partitions.add_months(month, i)) in result["created"]
        assert f"archive.{partitions.partition_name(table, month)}" in result["detached"]
        assert partitions.partition_name(table, month) not in [p.name for p in partitions.partitions(table)]
    # The archived rows are whole in the archive schema and gone from the live tables.
    name = partitions.partition_name("traceability_eventpackage", month)
    assert _one(f"SELECT count(*) FROM archive.{name}") == [(3,)]  # noqa: S608
    assert EventPackage.objects.count() == 0
    assert Event.objects.count() == 0
    # Running it again changes nothing.
    assert partitions.maintain(today=later) == {"created": [], "detached": []}


def test_upkeep_moves_rows_out_of_the_default_partition(introduced):
    introduced(1)
    event = Event.objects.get()
    far = partitions.add_months(_this_month(), 30)
    # A row no monthly partition takes (as if the upkeep had not run for years) is not refused …
    _one(
        "INSERT INTO traceability_eventpackage (event_id, package_id, prev_state, recorded_on) "
        "VALUES (%s, 999999, 0, %s) RETURNING tableoid::regclass::text",
        [event.pk, far.replace(day=15)],
    )
    assert _one("SELECT count(*) FROM traceability_eventpackage_default") == [(1,)]
    # … and the upkeep moves it into its month once that month's partition is made.
    partitions.maintain(today=partitions.add_months(far, -1))
    assert _one("SELECT count(*) FROM traceability_eventpackage_default") == [(0,)]
    name = partitions.partition_name("traceability_eventpackage", far)
    assert _one(f"SELECT package_id FROM {name}") == [(999999,)]  # noqa: S608


def test_the_management_command_runs_the_upkeep(capsys):
    call_command("partitions_maintain")
    out = capsys.readouterr().out
    assert json.loads(out) == {"created": [], "detached": []}  # the migration made them already


def _plan(sql: str, params=()) -> str:
    with connection.cursor() as cur:
        cur.execute("ANALYZE traceability_event")
        cur.execute("ANALYZE traceability_eventpackage")
        cur.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        return json.dumps(cur.fetchone()[0])


def _scans(plan: str) -> list[tuple[str, str]]:
    found = []

    def walk(node):
        if "Relation Name" in node:
            found.append((node["Node Type"], node["Relation Name"]))
        for child in node.get("Plans", []):
            walk(child)

    walk(json.loads(plan)[0]["Plan"])
    return found


def test_hot_lookups_are_index_scans_on_the_partitions_and_pruned_when_the_time_is_known(introduced):
    codes = introduced(50)
    package_id = _one("SELECT id FROM traceability_package ORDER BY id LIMIT 1")[0][0]
    event = Event.objects.get()
    month = _this_month()
    with connection.cursor() as cur:
        # The tables are tiny here; on real sizes the planner needs no nudge (bench.trace prints
        # the same plans at millions of rows). What this shows: every partition has an index
        # that answers the query, and where the month is known only its partition is read.
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("SET LOCAL enable_bitmapscan = off")
    history = _scans(
        _plan("SELECT event_id FROM traceability_eventpackage WHERE package_id = %s", [package_id])
    )
    assert history and all(kind in ("Index Scan", "Index Only Scan") for kind, _ in history), history
    assert {rel for _, rel in history} == {p.name for p in partitions.partitions("traceability_eventpackage")}
    by_id = _scans(_plan("SELECT * FROM traceability_event WHERE id = %s", [event.pk]))
    assert by_id and all(kind in ("Index Scan", "Index Only Scan") for kind, _ in by_id), by_id
    by_uuid = _scans(_plan("SELECT id FROM traceability_event WHERE event_id = %s", [event.event_id]))
    assert by_uuid and all(kind in ("Index Scan", "Index Only Scan") for kind, _ in by_uuid), by_uuid
    # With the time known, one partition: the event's month.
    pruned = _scans(
        _plan(
            "SELECT * FROM traceability_event WHERE id = %s AND record_time = %s",
            [event.pk, event.record_time],
        )
    )
    assert [rel for _, rel in pruned] == [partitions.partition_name("traceability_event", month)]
    pruned = _scans(
        _plan(
            "SELECT package_id FROM traceability_eventpackage WHERE event_id = %s AND recorded_on = %s",
            [event.pk, event.record_time.astimezone(UTC).date()],
        )
    )
    assert [rel for _, rel in pruned] == [partitions.partition_name("traceability_eventpackage", month)]
    assert len(codes) == 50


def test_the_migration_moves_existing_rows_both_ways(introduced):
    from django.db.migrations.executor import MigrationExecutor

    introduced(5)
    before_events = list(Event.objects.order_by("pk").values_list("pk", "event_id", "record_time"))
    before_rows = sorted(EventPackage.objects.values_list("event_id", "package_id", "prev_state"))
    executor = MigrationExecutor(connection)
    executor.migrate([("traceability", "0008_package_state_not_introduced")])
    assert not partitions.is_partitioned("traceability_event")
    assert not partitions.is_partitioned("traceability_eventpackage")
    assert list(Event.objects.order_by("pk").values_list("pk", "event_id", "record_time")) == before_events
    assert sorted(EventPackage.objects.values_list("event_id", "package_id", "prev_state")) == before_rows
    # Plain tables written by the services as before the migration; then partitioned again.
    # (Today's services also record the daily counters' deltas, a table of a later migration:
    # made for the while.)
    with connection.schema_editor() as editor:
        editor.create_model(DailyDelta)
    introduced(2, start=100)
    with connection.schema_editor() as editor:
        editor.delete_model(DailyDelta)
    before_events = list(Event.objects.order_by("pk").values_list("pk", "event_id", "record_time"))
    before_rows = sorted(EventPackage.objects.values_list("event_id", "package_id", "prev_state"))
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert partitions.is_partitioned("traceability_event")
    assert partitions.is_partitioned("traceability_eventpackage")
    assert list(Event.objects.order_by("pk").values_list("pk", "event_id", "record_time")) == before_events
    assert sorted(EventPackage.objects.values_list("event_id", "package_id", "prev_state")) == before_rows
    # The month's rows are in the month's partitions, and ids continue after the last one.
    month = _this_month()
    name = partitions.partition_name("traceability_eventpackage", month)
    assert _one(f"SELECT count(*) FROM {name}") == [(7,)]  # noqa: S608
    introduced(2, start=200)
    assert Event.objects.order_by("-pk").first().pk > before_events[-1][0]
