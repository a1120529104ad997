"""The bulk operations' lookups go through the key index, whatever the cluster's cost settings."""

import psycopg
import pytest
from django.db import connection, transaction

from salamat.codes.fast import lean_key
from salamat.traceability import bulk, rules, services
from salamat.traceability.tests.conftest import actor_for

pytestmark = pytest.mark.postgres_only


def _lookup_plan(keys: list[str]) -> str:
    cond, params = bulk.in_list("key", keys)
    rows = bulk.fetch(
        f"EXPLAIN SELECT id FROM traceability_package WHERE {cond} ORDER BY id FOR UPDATE", params
    )
    return "\n".join(r[0] for r in rows)


@pytest.mark.django_db(transaction=True)
def test_a_slice_of_keys_is_looked_up_through_the_key_index(importer, codes):
    # 20,000 packages and a slice of 1 % of them (as a 1,250-code slice of a bulk request in
    # 125,000 packages): inside an operation's transaction the slice goes through the key index.
    # (With PostgreSQL's default random_page_cost of 4 the planner often reads the whole table
    # instead, depending on how fresh its statistics are: 13.5 ms against 1.5 ms measured at
    # 100,000 packages; what it picks then is not deterministic enough to assert here.)
    batch = codes(20_000)
    services.packages_introduce(actor=actor_for(importer), codes=batch)
    # Statistics as a running system has them: without, the planner may still believe the table
    # empty (autovacuum had not analysed it) and walk the primary key, filtering by key.
    bulk.execute("ANALYZE traceability_package")
    keys = [lean_key(c) for c in batch[5_000:5_200]]
    cluster_setting = bulk.fetch("SHOW random_page_cost")[0][0]
    with transaction.atomic():
        bulk.plan_for_keyed_lookups()
        ours = _lookup_plan(keys)
    assert "Seq Scan" not in ours and "package_key_unique" in ours, ours[:300]
    assert (
        bulk.fetch("SHOW random_page_cost")[0][0] == cluster_setting
    )  # SET LOCAL: gone with the transaction


@pytest.mark.django_db(transaction=True)
def test_operations_run_with_the_setting_and_leave_it_behind(importer, pharmacy, introduced, monkeypatch):
    seen: list[str] = []
    check = rules.check

    def spy(*args, **kwargs):
        if not seen:
            with connection.cursor() as cur:
                cur.execute("SHOW random_page_cost")
                seen.append(cur.fetchone()[0])
        return check(*args, **kwargs)

    batch = introduced(2)
    cluster_setting = bulk.fetch("SHOW random_page_cost")[0][0]
    monkeypatch.setattr(rules, "check", spy)
    services.shipment_send(actor=actor_for(importer), receiver_id=pharmacy.external_id, codes=batch)
    assert seen == ["1.1"]
    assert bulk.fetch("SHOW random_page_cost")[0][0] == cluster_setting


def _fast_plan(keys: list[str]) -> str:
    rows = bulk.fetch(
        "EXPLAIN UPDATE traceability_package SET updated_at = now() "
        "WHERE key = ANY(string_to_array(%s, E'\\x1e')) AND state = 2",
        [bulk.SEP.join(keys)],
    )
    return "\n".join(r[0] for r in rows)


@pytest.mark.django_db(transaction=True)
def test_the_fast_path_reads_packages_by_key_even_half_of_a_small_table(importer, codes):
    # The fast path's one statement names each package by its key: through the key index it
    # costs the same per key whatever the table holds, where the planner's other choice, the whole
    # table with the keys hashed, grows with the table (see `bulk.plan_by_key_only`).
    batch = codes(2_000)
    services.packages_introduce(actor=actor_for(importer), codes=batch)
    bulk.execute("ANALYZE traceability_package")
    keys = [lean_key(c) for c in batch[:1_000]]
    settings = bulk.fetch("SHOW enable_seqscan")[0][0], bulk.fetch("SHOW random_page_cost")[0][0]
    with transaction.atomic():
        bulk.plan_by_key_only()
        ours = _fast_plan(keys)
        # and its plan for any keys (the statement is planned once per connection): the same
        with psycopg.ClientCursor(connection.connection) as cur:  # values in the text: utility statements
            cur.execute(
                "PREPARE by_keys(text) AS UPDATE traceability_package SET updated_at = now() "
                "WHERE key = ANY(string_to_array($1, E'\\x1e')) AND state = 2"
            )
            cur.execute("EXPLAIN EXECUTE by_keys(%s)", [bulk.SEP.join(keys)])
            generic = "\n".join(r[0] for r in cur.fetchall())
            cur.execute("DEALLOCATE by_keys")
    assert "Seq Scan" not in ours and "package_key_unique" in ours, ours[:300]
    assert "Seq Scan" not in generic and "package_key_unique" in generic and "$1" in generic, generic[:300]
    # Local to the transaction: gone with it.
    assert (bulk.fetch("SHOW enable_seqscan")[0][0], bulk.fetch("SHOW random_page_cost")[0][0]) == settings


_SETTINGS = (
    "SELECT current_setting('enable_seqscan'), current_setting('random_page_cost'), "
    "current_setting('plan_cache_mode')"
)


@pytest.mark.django_db(transaction=True)
def test_the_fast_path_runs_with_the_settings_and_leaves_them_behind(importer, pharmacy, introduced):
    batch = introduced(150)
    seen: list[tuple[str, str, str]] = []

    def spy(execute, sql, params, many, context):
        if sql.startswith("WITH u AS (UPDATE") and not seen:
            with connection.cursor() as cur:
                cur.execute(_SETTINGS)
                seen.append(cur.fetchone())
        return execute(sql, params, many, context)

    settings = bulk.fetch(_SETTINGS)[0]
    with connection.execute_wrapper(spy):
        services.shipment_send(actor=actor_for(importer), receiver_id=pharmacy.external_id, codes=batch)
    assert seen == [("off", "1.1", "force_generic_plan")]
    assert bulk.fetch(_SETTINGS)[0] == settings


@pytest.mark.django_db(transaction=True)
def test_the_fast_path_statement_is_planned_once_per_connection(importer, pharmacy, introduced):
    # PostgreSQL would plan the prepared statement afresh for each request's keys (~2.5 ms of a
    # 10,000-code request's ~65) to choose among plans of which the settings leave one.
    actor = actor_for(importer)
    connection.close()  # a connection of its own: no statement prepared by an earlier test
    for start in (0, 1000, 2000):
        batch = introduced(150, start=start)
        services.shipment_send(actor=actor, receiver_id=pharmacy.external_id, codes=batch)
    plans = bulk.fetch(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE 'WITH u AS (UPDATE%%'"
    )
    assert plans == [(3, 0)]
