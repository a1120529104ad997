"""The citizen check answers from one lookup of the package, whatever its verdict: a sold
package's when, why and where come with it (most packages ever checked have been sold)."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from salamat.portal import selectors
from salamat.stickers.testing import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_org, make_product):
    return build_world(make_org, make_product)


def test_a_sold_package_is_answered_from_one_lookup(world):
    with CaptureQueriesContext(connection) as queries, translation.override("en"):
        result = selectors.package_check(code=world.keys["already_sold"])
    assert len(queries) == 1, [q["sql"] for q in queries]
    assert result.verdict == "already_sold"
    assert result.extra["left"] == {
        "on": timezone.localdate(), "reason": "sold", "place": "Dari-Darmek No. 5",
        "town": "Bishkek city", "recent": True,
    }  # fmt: skip


@pytest.mark.parametrize("verdict", ["genuine", "recalled", "expired", "sticker_not_in_circulation"])
def test_other_packages_are_answered_from_one_lookup_too(world, verdict):
    with CaptureQueriesContext(connection) as queries:
        result = selectors.package_check(code=world.keys[verdict])
    assert len(queries) == 1, [q["sql"] for q in queries]
    assert result.verdict == verdict and "left" not in result.extra


@pytest.mark.postgres_only
def test_on_postgresql_the_lookup_is_a_prepared_statement(world):
    selectors.package_check(code=world.keys["already_sold"])
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%p.withdraw_reason, p.withdrawn_on, s.district FROM traceability_package p%"],
        )
        assert cur.fetchone()[0] == 1


def test_batched_checks_are_written_together_each_as_it_was(world, settings):
    from salamat.portal import services
    from salamat.portal.models import CheckLog

    settings.SALAMAT = {**settings.SALAMAT, "CHECK_LOG_BATCH": 3, "CHECK_LOG_MAX_AGE_SECONDS": 3600}
    before = CheckLog.objects.count()
    services.check_log(key="01/x/21/1", raw="a", verdict="genuine", channel="api", region="osh")
    services.check_log(key="", raw="not a code", verdict="unknown", channel="web")
    assert CheckLog.objects.count() == before  # buffered
    with CaptureQueriesContext(connection) as queries:
        services.check_log(key="01/x/21/2", raw="b", verdict="already_sold", channel="api", region="chui")
    assert CheckLog.objects.count() == before + 3
    assert len([q for q in queries if "INSERT" in q["sql"]]) == 1
    rows = list(CheckLog.objects.order_by("-id").values_list("key", "verdict", "channel", "region")[:3])
    assert rows[::-1] == [
        ("01/x/21/1", "genuine", "api", "osh"),
        ("sha256:" + hashlib.sha256(b"not a code").hexdigest()[:56], "unknown", "web", ""),
        ("01/x/21/2", "already_sold", "api", "chui"),
    ]
    assert services.check_log_flush() == 0


@pytest.mark.postgres_only
def test_a_connection_that_died_while_idle_costs_the_check_nothing(world, monkeypatch):
    """The check's first statement is the prepared lookup: when it finds the reused connection
    dead, the short path (salamat.core.dbconn) opens a fresh one and answers, not a 500."""
    import json

    import psycopg

    from salamat.core import dbconn
    from salamat.portal import api

    monkeypatch.setattr(dbconn, "_in_transaction", lambda opened: False)  # the test's own transaction
    monkeypatch.setattr(dbconn, "_close", lambda opened: None)  # keep the test's connection
    real_execute, failed = psycopg.Cursor.execute, []

    def dead_once(self, query, params=None, **kwargs):
        if not failed:
            failed.append(query)
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        return real_execute(self, query, params, **kwargs)

    connection.ensure_connection()
    monkeypatch.setattr(psycopg.Cursor, "execute", dead_once)
    response = dbconn.run_trusting_open_connections(lambda: api.check_answer(world.keys["already_sold"], ""))
    assert failed and "traceability_package" in str(failed[0])
    assert json.loads(response.content)["verdict"] == "already_sold"
