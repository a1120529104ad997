"""The scale bench's history generator writes a consistent history (tiny size): every package's
events are where its state says, in the partition of their month, and the stock agrees."""

import pytest
from django.db import connection

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _one(sql: str):
    with connection.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def test_history_is_consistent_and_partitioned():
    from bench import scale
    from salamat.traceability import stock
    from salamat.traceability.rules import Reason, State

    world = scale.build_world()
    info = scale.load_history(0, 20_000, total=30_000, world=world)
    more = scale.load_history(20_000, 10_000, total=30_000, world=world)
    assert _one("SELECT count(*) FROM traceability_package") == [(30_000,)]
    # 5 rows per package, a sixth for the 70 % sold: 5.7 per package.
    assert info["ep_rows"] == 114_000 and more["ep_rows"] == 171_000
    # Every (event, package) row names an event of the same month (the same partition family).
    assert _one(
        "SELECT count(*) FROM traceability_eventpackage ep LEFT JOIN traceability_event e ON e.id = ep.event_id "
        "WHERE e.id IS NULL OR (e.record_time AT TIME ZONE 'UTC')::date <> ep.recorded_on"
    ) == [(0,)]
    months = _one("SELECT count(DISTINCT tableoid) FROM traceability_eventpackage")[0][0]
    assert months >= 12
    assert _one("SELECT count(*) FROM traceability_eventpackage_default") == [(0,)]
    # A package's last event is the last of its rows; sold ones are withdrawn with a sale date.
    assert _one(
        "SELECT count(*) FROM traceability_package p WHERE p.last_event_id <> "
        "(SELECT max(event_id) FROM traceability_eventpackage ep WHERE ep.package_id = p.id)"
    ) == [(0,)]
    assert _one(
        "SELECT state, withdraw_reason, count(*), count(withdrawn_on) FROM traceability_package "
        "GROUP BY 1, 2 ORDER BY 1"
    ) == [(int(State.IN_CIRCULATION), 0, 9_000, 0), (int(State.WITHDRAWN), int(Reason.SOLD), 21_000, 21_000)]
    # Shipments close with their acceptance, and every event's package count is its rows.
    assert _one(
        "SELECT count(*) FROM traceability_event e WHERE e.package_count <> "
        "(SELECT count(*) FROM traceability_eventpackage ep WHERE ep.event_id = e.id)"
    ) == [(0,)]
    assert _one("SELECT count(*) FROM traceability_shipment") == [(30_000 // 2_000 + 30_000 // 200,)]
    assert stock.differences() == []


def test_report_prints_only_the_parts_measured():
    from bench import scale

    def result(median: float, pinned: bool = True) -> dict:
        times: dict = dict.fromkeys(
            ("sql first", "sql warm", "selector first", "selector warm"), (median, 2 * median)
        )
        times["pinned"] = pinned
        return {"lookup": times, "load": 1.0, "load_after": 1.0}

    lines = scale.report([100_000, 10_000_000], [result(100.0), result(130.0)])
    text = "\n".join(lines)
    assert "not pinned" not in text
    unpinned = "\n".join(scale.report([100_000, 10_000_000], [result(100.0), result(130.0, pinned=False)]))
    assert "(lookups measured with client and server not pinned to one core" in unpinned
    assert "lookup by key, sql first, median µs" in text
    assert "public check" not in text and "dashboard" not in text and "package-events/s" not in text
    # 130 µs against 100 µs is more than 1.2×: the verdict says so.
    assert text.count("BELOW TARGET (within 1.2×)") == 4
    assert "lookup by key, sql first, median µs" in lines[1] and lines[1].rstrip().endswith(
        "BELOW TARGET (within 1.2×)"
    )


def test_report_names_the_operation_target_missed():
    from bench import scale

    def result(ops: dict) -> dict:
        return {"ops": ops, "load": 1.0, "load_after": 1.0}

    # (package-events/s, bare COPY/s, COPY + bare UPDATE /s) per operation, at 100 k and 10 M.
    small = {"introduce": (70.0, 100.0, 0.0), "ship": (35.0, 100.0, 40.0), "sell": (50.0, 100.0, 60.0)}
    big = {"introduce": (50.0, 100.0, 0.0), "ship": (36.0, 100.0, 40.0), "sell": (45.0, 100.0, 60.0)}
    lines = scale.report([100_000, 10_000_000], [result(small), result(big)])
    verdicts = {
        line.split()[0]: line.split("   ")[-1].strip() for line in lines if "package-events/s" in line
    }
    assert verdicts == {
        "introduce": "BELOW TARGET (≥ 1/1.2 of 100k)",  # 0.7 and 0.5 of COPY, but 50 < 70 / 1.2
        "ship": "BELOW TARGET (≥ 0.4 of COPY)",  # flat, but 0.35 of COPY
        "sell": "ok",
    }
    # What the two bare writes alone would reach (COPY ÷ (COPY + bare UPDATE)): 40 / 100 for ship.
    (ship_alone,) = [line for line in lines if "the two bare writes alone" in line][:1]
    assert ship_alone.split()[-2:] == ["0.40", "0.40"]
