"""The read replica, for real: a PostgreSQL streaming replica of the test suite's own primary
(pg_basebackup -R from Debian's binaries, started on a free loopback port), routing through
salamat.core.db_routing, and what a request sees when the replica is stopped.

The proof that a read went to the replica is a row the primary has and the replica has not yet
replayed (replay paused with pg_wal_replay_pause): a marked view does not see it, the primary
does; after replay resumes the marked view sees it too.
"""

from __future__ import annotations

import time

import pytest
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext

from salamat.core import db_routing
from salamat.core.db_routing import REPLICA, replica_reads, replica_state
from salamat.core.tests.pgcluster import (
    Cluster,
    allow_alias_in_running_test,
    pg_bin,
    require_binaries,
    run_pg,
)

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

# A hot standby refuses to start with less of these than its primary has.
_MATCH_PRIMARY = (
    "max_connections", "max_worker_processes", "max_wal_senders",
    "max_prepared_transactions", "max_locks_per_transaction",
)  # fmt: skip


@pytest.fixture
def replica(pg_workdir, settings):
    """A streaming replica of the primary the suite runs on, as the `replica` alias."""
    require_binaries("pg_basebackup", "pg_ctl", "postgres")
    primary = connections["default"].settings_dict
    with connections["default"].cursor() as cur:
        shown = {}
        for name in _MATCH_PRIMARY:
            cur.execute(f"SHOW {name}")
            shown[name] = cur.fetchone()[0]
    standby = Cluster(pg_workdir / "replica")
    backup = run_pg(
        pg_bin("pg_basebackup"), "-h", primary["HOST"] or "127.0.0.1", "-p", str(primary["PORT"] or 5432),
        "-U", primary["USER"], "-D", str(standby.data), "-R", "-X", "stream", "-c", "fast",
        check=False,
    )  # fmt: skip
    if backup.returncode != 0:
        pytest.skip(f"cannot take a base backup of the test database's server: {backup.stderr.strip()}")
    standby.start(hot_standby="on", **shown)
    alias = {**primary, "HOST": "127.0.0.1", "PORT": str(standby.port)}
    alias["OPTIONS"] = {**primary.get("OPTIONS", {}), "connect_timeout": 2}
    alias["TEST"] = {**primary.get("TEST", {}), "MIRROR": "default"}
    connections.settings[REPLICA] = alias
    allow_alias_in_running_test(REPLICA)
    # Measure lag on every routed read; the routing checks below must not trip the lag guard.
    settings.SALAMAT = {**settings.SALAMAT, "REPLICA_LAG_CHECK_SECONDS": 0, "REPLICA_MAX_LAG_SECONDS": 3600}
    db_routing.reset_health()
    try:
        yield standby
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]
        del connections.settings[REPLICA]
        db_routing.reset_health()
        standby.stop("immediate")


def _replayed(standby: Cluster, dbname: str, trade_name: str) -> None:
    standby.wait_for(
        f"SELECT count(*) FROM registry_product WHERE trade_name = '{trade_name}'",  # noqa: S608
        [(1,)],
        dbname=dbname,
    )


def _where(client, name: str) -> list[str]:
    response = client.get("/api/public/where", {"q": name})
    assert response.status_code == 200, response.content
    return [row["product"]["trade_name"] for row in response.json()]


def test_marked_reads_go_to_the_replica_skip_it_when_lagging_and_fall_back_when_it_is_down(
    replica, make_product, client, caplog, settings
):
    dbname = connections["default"].settings_dict["NAME"]
    make_product(trade_name="Replicamycin early")
    _replayed(replica, dbname, "Replicamycin early")

    # given: the replica stops replaying; the primary gets a new product
    replica.query("SELECT pg_wal_replay_pause()", dbname=dbname)
    make_product(trade_name="Replicamycin late", gtin="04600000000015")

    # then: the marked views read the replica (the late product is not there yet) ...
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        assert _where(client, "Replicamycin") == ["Replicamycin early"]
        page = client.get("/where", {"q": "Replicamycin"}).content.decode()
        check = client.get("/api/public/check", {"code": "4600000000015"}).json()
    assert "Replicamycin early" in page and "Replicamycin late" not in page
    assert check["verdict"] == "unknown"  # the replica does not know the product's GTIN yet
    assert any("registry_product" in q["sql"] for q in on_replica.captured_queries)
    # ... while every other read, and reads after a write or inside a transaction, see the primary
    from salamat.registry.models import Product

    assert Product.objects.filter(trade_name="Replicamycin late").exists()
    with replica_reads():
        assert not Product.objects.filter(trade_name="Replicamycin late").exists()
        with transaction.atomic():
            assert Product.objects.filter(trade_name="Replicamycin late").exists()
    with replica_reads():
        # (the factory counts products to name the new one: that count came from the replica)
        make_product(
            trade_name="Replicamycin written", registration_number="KG-TEST-REPL", gtin="04600000000022"
        )
        assert Product.objects.filter(trade_name="Replicamycin late").exists()
    # the lag is exposed
    # (once the paused replica has received the new WAL, which a loaded machine may take a moment for)
    deadline = time.monotonic() + 20
    while replica_state().get("lag_seconds") == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    state = replica_state()
    assert state["configured"] is True and state["lag_seconds"] > 0
    # and a replica further behind than REPLICA_MAX_LAG_SECONDS is passed over
    lagging = {**settings.SALAMAT, "REPLICA_MAX_LAG_SECONDS": 0.5}
    settings.SALAMAT, relaxed = lagging, settings.SALAMAT
    while replica_state()["lag_seconds"] <= 0.5:
        time.sleep(0.1)
    with replica_reads():
        assert Product.objects.filter(trade_name="Replicamycin late").exists()
    assert replica_state()["status"] == "lagging"
    settings.SALAMAT = relaxed

    # when: replay resumes, the marked views see what the primary has
    replica.query("SELECT pg_wal_replay_resume()", dbname=dbname)
    _replayed(replica, dbname, "Replicamycin written")
    assert _where(client, "Replicamycin") == [
        "Replicamycin early",
        "Replicamycin late",
        "Replicamycin written",
    ]
    assert client.get("/api/public/check", {"code": "4600000000015"}).json()["verdict"] == "not_tracked"

    # when: the replica goes away
    replica.stop("immediate")
    started = time.monotonic()
    names = _where(client, "Replicamycin")
    first = time.monotonic() - started
    # then: the request still succeeds, from the primary, without waiting long for the dead replica
    assert names == ["Replicamycin early", "Replicamycin late", "Replicamycin written"]
    assert first < 3
    assert replica_state() == {"configured": True, "status": "down"}
    # and the failure is remembered: the next requests do not try the replica at all
    remembered = db_routing._health.down_until
    caplog.clear()
    assert client.get("/where", {"q": "Replicamycin"}).status_code == 200
    assert client.get("/api/public/check", {"code": "4600000000015"}).json()["verdict"] == "not_tracked"
    assert db_routing._health.down_until == remembered
    assert "replica unavailable" not in caplog.text
