"""Scale benchmark: the same figures at 100,000 packages and at N, side by side, in one run.

    scripts/with-postgres.sh .venv/bin/python -m bench scale --packages 10000000
    make bench PACKAGES=10000000          (the cluster sized as production: see the Makefile)
    … -m bench scale --packages 1000000 --only lookup,dashboard   (a part of the figures)

Loads a realistic history for 100,000 packages, measures, loads the rest up to N, and measures
again. The history is what a year of the market leaves: packages of 200 products in lots of
10,000, each introduced by the importer, shipped to one of 4 wholesalers in shipments of 2,000
and accepted, shipped on to one of 40 pharmacies in shipments of 200 and accepted, and 70 % of
them sold in sales of 4: 5.7 (event, package) rows per package, spread over the last 13
months (so over 13 monthly partitions). It is generated inside PostgreSQL (`INSERT … SELECT`
from `generate_series`) with the indexes of the three tables dropped and built after — in
this benchmark only; the platform's own writes never do that.

At each size it measures:
- the bulk operations (introduce, ship, accept, sell) of `--ops` fresh packages in requests of
  10,000 codes through the services, each request next to a bare COPY of the same rows
  (`bench.trace.run_operations`): package-events/s and the ratio to COPY (the target), and,
  for information, to COPY plus a bare `UPDATE` of the same packages' state;
- package lookup by key: bare SQL and the selector (median µs of the best of 5 rounds, p99 of
  all), each on keys first touched and again warm (at millions of packages first touch includes
  buffer-cache misses);
- the public check under gunicorn (production settings) next to a bare WSGI + psycopg app
  (`bench.check`): requests/s, p99, ratio;
- the regulator dashboard's queries (series of 30 days, coverage, availability by region, top
  alert kinds): milliseconds each;
- a 10,000-code sale through `POST /api/v1/packages/sell` under gunicorn next to the same
  service call in-process: seconds and the HTTP + JSON overhead;
and prints the plans of the hot event queries at N. Targets: operations ≥ 0.4 of COPY and
within 1.2× of their 100,000-package rate; lookup within 1.2×; check p99 < 50 ms and ≥ 0.6 of
the baseline; dashboard queries < 200 ms; HTTP overhead ≤ 25 %.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta

SMALL = 100_000
B_INTRO, B_WHOLESALE, B_PHARMACY, B_SALE = 10_000, 2_000, 200, 4
N_PRODUCTS, N_WHOLESALERS, N_PHARMACIES = 200, 4, 40
SPAN_DAYS, FIRST_DAYS_AGO = 360, 400
HISTORY_TABLES = ("traceability_package", "traceability_event", "traceability_eventpackage")


def _sql(cur, sql: str, params=()) -> list:
    cur.execute(sql, params)
    return cur.fetchall() if cur.description else []


# --- the world and the history ---------------------------------------------------------------


def build_world() -> dict:
    """Organisations, sites and products of the history, and their ids in helper tables."""
    from django.db import connection

    from salamat.codes.checkdigit import gs1_check_digit
    from salamat.registry.models import (
        Organization,
        Product,
        ProductGtin,
        Site,
        TrackingList,
        TrackingListEntry,
    )

    tag = secrets.token_hex(3).upper()

    def org(kind: str, i: int) -> tuple[int, int]:
        o = Organization.objects.create(
            name=f"Scale {kind} {i} {tag}", org_type=kind, tax_id=f"{random.randrange(10**13, 10**14)}",
            status="active", region=["bishkek", "osh", "chui", "issyk_kul"][i % 4],
        )  # fmt: skip
        s = Site.objects.create(organization=o, name=f"{o.name} site", address="Scale st. 1", region=o.region)
        return o.pk, s.pk

    orgs = [("importer", 0, *org("importer", 0))]
    orgs += [("wholesaler", i, *org("wholesaler", i)) for i in range(N_WHOLESALERS)]
    orgs += [("pharmacy", i, *org("pharmacy", i)) for i in range(N_PHARMACIES)]
    tl = TrackingList.objects.create(
        code=f"scale-{tag.lower()}", name="Scale", mandatory_from=date(2024, 1, 1)
    )
    products = []
    for i in range(N_PRODUCTS):
        p = Product.objects.create(
            registration_number=f"KG-SCALE-{tag}-{i}", registered_on=date(2020, 1, 1),
            trade_name=f"Scalomycin {i}", inn="scalomycinum", atc_code="J01CA04", dosage_form="tablets",
            units_per_package=10, manufacturer_name="Scale Pharma", manufacturer_country="KG",
        )  # fmt: skip
        body = f"048{random.randrange(10**9, 10**10)}"
        gtin = (body + str(gs1_check_digit(body))).zfill(14)
        ProductGtin.objects.create(product=p, gtin=gtin)
        TrackingListEntry.objects.create(tracking_list=tl, product=p)
        products.append((i, p.pk, gtin))
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS scale_org, scale_product")
        cur.execute("CREATE TABLE scale_org (kind text, idx int, org_id bigint, site_id bigint)")
        cur.execute("CREATE TABLE scale_product (idx int, product_id bigint, gtin text)")
        cur.executemany("INSERT INTO scale_org VALUES (%s, %s, %s, %s)", orgs)
        cur.executemany("INSERT INTO scale_product VALUES (%s, %s, %s)", products)
    return {"tag": tag, "products": products, "orgs": orgs}


class _IndexesDropped:
    """Drops the indexes and keys of the history tables, and builds them again on exit."""

    def __init__(self, cur) -> None:
        self.cur, self.constraints, self.indexes = cur, [], []

    def __enter__(self):
        for table in HISTORY_TABLES:
            self.constraints += _sql(
                self.cur,
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f') AND conparentid = 0 "
                "ORDER BY contype = 'f'",
                [table],
            )
            self.indexes += _sql(
                self.cur,
                "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index i "
                "WHERE indrelid = %s::regclass AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
                [table],
            )
        for table, name, _definition in self.constraints:
            self.cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _definition in self.indexes:
            self.cur.execute(f"DROP INDEX {name}")
        return self

    def __exit__(self, *exc) -> None:
        for table, name, definition in self.constraints:
            self.cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for _name, definition in self.indexes:
            self.cur.execute(definition.replace(" ON ONLY ", " ON "))


def load_history(first_g: int, n: int, *, total: int, world: dict) -> dict:
    """Packages first_g … first_g+n-1 of a history of `total` and all their events."""
    from django.db import connection, transaction

    from salamat.traceability import partitions
    from salamat.traceability.rules import Reason, State, encode_prev

    now = datetime.now(UTC)
    t0 = now - timedelta(days=FIRST_DAYS_AGO)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL maintenance_work_mem = '1GB'")  # the index builds after the load
        p0 = _sql(cur, "SELECT COALESCE(MAX(id), 0) + 1 FROM traceability_package")[0][0]
        e0 = _sql(cur, "SELECT nextval(pg_get_serial_sequence('traceability_event', 'id'))")[0][0]
        for table in partitions.TABLES:
            partitions.ensure(table, t0.date(), now.date())
        # Time of history package g (0 … total-1): spread evenly over SPAN_DAYS from t0.
        cur.execute(
            "CREATE OR REPLACE FUNCTION scale_t(g bigint) RETURNS timestamptz LANGUAGE sql IMMUTABLE AS "
            f"$$ SELECT '{t0.isoformat()}'::timestamptz + (g::float8 / {total}) * interval '{SPAN_DAYS} days' $$"
        )
        cur.execute("CREATE OR REPLACE FUNCTION scale_sold(g bigint) RETURNS bigint LANGUAGE sql IMMUTABLE AS "
                    "$$ SELECT (g / 10) * 7 + g % 10 $$")  # fmt: skip
        # Event ids of each kind: one block per kind, in the order of the packages.
        g1 = first_g + n - 1
        counts = {
            "intro": g1 // B_INTRO - first_g // B_INTRO + 1,
            "ship1": g1 // B_WHOLESALE - first_g // B_WHOLESALE + 1,
            "ship2": g1 // B_PHARMACY - first_g // B_PHARMACY + 1,
            "sell": (g1 // 10 * 7 + 6) // B_SALE - (first_g // 10 * 7) // B_SALE + 1,
        }
        base = {}
        at = e0
        for kind, batch in (("intro", B_INTRO), ("ship1", B_WHOLESALE), ("accept1", B_WHOLESALE),
                            ("ship2", B_PHARMACY), ("accept2", B_PHARMACY)):  # fmt: skip
            count = counts[kind.replace("accept", "ship")]
            base[kind] = at - first_g // batch  # event id = base + g // batch
            at += count
        base["sell"] = at - (first_g // 10 * 7) // B_SALE  # event id = base + sold index // B_SALE
        at += counts["sell"]
        cur.execute("SELECT setval(pg_get_serial_sequence('traceability_event', 'id'), %s)", [at])
        by_kind: dict[str, list[tuple[int, int]]] = {}
        for kind, _idx, org_id, site_id in world["orgs"]:
            by_kind.setdefault(kind, []).append((org_id, site_id))
        importer, importer_site = (str(x) for x in by_kind["importer"][0])

        def pick(kind: str, col: int, g: str, batch: int) -> str:
            ids = ",".join(str(row[col]) for row in by_kind[kind])
            return f"(ARRAY[{ids}]::bigint[])[({g}) / {batch} % {len(by_kind[kind])} + 1]"

        def wh(col: str, g: str) -> str:
            return pick("wholesaler", 0 if col == "org_id" else 1, g, B_WHOLESALE)

        def ph(col: str, g: str) -> str:
            return pick("pharmacy", 0 if col == "org_id" else 1, g, B_PHARMACY)

        with _IndexesDropped(cur):
            # Events: (kind, batch, days after the package's time, operation, biz step,
            # disposition, organisation, site, source, destination)
            kinds = [
                ("intro", B_INTRO, 0, 1, 1, 1, importer, importer_site, "NULL", "NULL"),
                ("ship1", B_WHOLESALE, 3, 4, 4, 3, importer, importer_site, importer, wh("org_id", "g")),
                ("accept1", B_WHOLESALE, 4, 5, 5, 1, wh("org_id", "g"), wh("site_id", "g"), importer,
                 wh("org_id", "g")),
                ("ship2", B_PHARMACY, 10, 4, 4, 3, wh("org_id", "g"), wh("site_id", "g"), wh("org_id", "g"),
                 ph("org_id", "g")),
                ("accept2", B_PHARMACY, 11, 5, 5, 1, ph("org_id", "g"), ph("site_id", "g"), wh("org_id", "g"),
                 ph("org_id", "g")),
            ]  # fmt: skip
            for kind, batch, days, op, step, disp, org, site, src, dst in kinds:
                cur.execute(
                    f"""INSERT INTO traceability_event (id, event_id, operation, event_type, action, biz_step,
                        disposition, event_time, event_time_zone_offset, record_time, organization_id, site_id,
                        biz_transactions, source_id, destination_id, package_count, containers_before,
                        withdrawn_count)
                    SELECT {base[kind]} + b, gen_random_uuid(), {op}, 1, 2, {step}, {disp},
                        t, '+06:00', t, {org}, {site}, '[]', {src}, {dst},
                        LEAST({batch}, {first_g + n} - g), '[]', 0
                    FROM (SELECT b, GREATEST(b * {batch}, {first_g}) AS g,
                                 scale_t(b * {batch}) + interval '{days} days' AS t
                          FROM generate_series({first_g // batch}, {g1 // batch}) b) x"""  # noqa: S608
                )
            sold_lo, sold_hi = first_g // 10 * 7, g1 // 10 * 7 + 6
            cur.execute(
                f"""INSERT INTO traceability_event (id, event_id, operation, event_type, action, biz_step,
                    disposition, event_time, event_time_zone_offset, record_time, organization_id, site_id,
                    biz_transactions, source_id, destination_id, package_count, containers_before,
                    withdrawn_count)
                SELECT {base["sell"]} + b, gen_random_uuid(), 7, 1, 2, 6, 4, t, '+06:00', t,
                    {ph("org_id", "g")}, {ph("site_id", "g")}, '[]', NULL, NULL, {B_SALE}, '[]', {B_SALE}
                FROM (SELECT b, (b * {B_SALE} / 7) * 10 + (b * {B_SALE}) % 7 AS g,
                             scale_t(((b * {B_SALE} / 7) * 10 + (b * {B_SALE}) % 7)) + interval '20 days' AS t
                      FROM generate_series({sold_lo // B_SALE}, {sold_hi // B_SALE}) b) x"""  # noqa: S608
            )
            # (event, package) rows: the same times, so the same month as their event.
            in_circ, in_transit = (
                encode_prev(State.IN_CIRCULATION, Reason.NONE),
                encode_prev(State.IN_TRANSIT, Reason.NONE),
            )
            rows = [
                ("intro", B_INTRO, 0, 0, "NULL"),
                ("ship1", B_WHOLESALE, 3, in_circ, "NULL"),
                ("accept1", B_WHOLESALE, 4, in_transit, importer),
                ("ship2", B_PHARMACY, 10, in_circ, "NULL"),
                ("accept2", B_PHARMACY, 11, in_transit, wh("org_id", "g")),
            ]
            for kind, batch, days, prev, prev_owner in rows:
                cur.execute(
                    f"""INSERT INTO traceability_eventpackage (event_id, package_id, prev_state, prev_owner_id,
                        recorded_on)
                    SELECT {base[kind]} + g / {batch}, {p0 - first_g} + g, {prev}, {prev_owner},
                        ((scale_t(g / {batch} * {batch}) + interval '{days} days') AT TIME ZONE 'UTC')::date
                    FROM generate_series({first_g}, {g1}) g"""  # noqa: S608
                )
            cur.execute(
                f"""INSERT INTO traceability_eventpackage (event_id, package_id, prev_state, recorded_on)
                SELECT {base["sell"]} + scale_sold(g) / {B_SALE}, {p0 - first_g} + g, {in_circ},
                    ((scale_t((scale_sold(g) / {B_SALE} * {B_SALE} / 7) * 10 + (scale_sold(g) / {B_SALE} * {B_SALE}) % 7)
                      + interval '20 days') AT TIME ZONE 'UTC')::date
                FROM generate_series({first_g}, {g1}) g WHERE g % 10 < 7"""  # noqa: S608
            )
            # Packages: their state after that history.
            sold = encode_prev(State.WITHDRAWN, Reason.SOLD)
            cur.execute(
                f"""INSERT INTO traceability_package (id, key, product_id, batch, expiry, state, withdraw_reason,
                    owner_id, site_id, previous_owner_id, flags, last_event_id, introduced_on, withdrawn_on,
                    updated_at)
                SELECT {p0 - first_g} + g, '01/' || p.gtin || '/21/S' || lpad(g::text, 10, '0'), p.product_id,
                    'L' || (g / {B_INTRO}), date '2028-01-01' + (g / {B_INTRO}) % 700,
                    CASE WHEN sold THEN {sold // 8} ELSE {int(State.IN_CIRCULATION)} END,
                    CASE WHEN sold THEN {int(Reason.SOLD)} ELSE 0 END,
                    {ph("org_id", "g")}, {ph("site_id", "g")}, {wh("org_id", "g")}, 0,
                    CASE WHEN sold THEN {base["sell"]} + scale_sold(g) / {B_SALE} ELSE {base["accept2"]} + g / {B_PHARMACY} END,
                    (scale_t(g / {B_INTRO} * {B_INTRO}) AT TIME ZONE 'UTC')::date,
                    CASE WHEN sold THEN ((scale_t((scale_sold(g) / {B_SALE} * {B_SALE} / 7) * 10
                        + (scale_sold(g) / {B_SALE} * {B_SALE}) % 7) + interval '20 days') AT TIME ZONE 'UTC')::date END,
                    scale_t(g) + interval '20 days'
                FROM (SELECT g, g % 10 < 7 AS sold FROM generate_series({first_g}, {g1}) g) x
                JOIN scale_product p ON p.idx = (x.g / {B_INTRO}) % {N_PRODUCTS}"""  # noqa: S608, E501
            )
            cur.execute(
                "SELECT setval(pg_get_serial_sequence('traceability_package', 'id'), "
                "(SELECT MAX(id) FROM traceability_package))"
            )
            # The shipments of the two kinds of ship events.
            for ship, accept, batch in (("ship1", "accept1", B_WHOLESALE), ("ship2", "accept2", B_PHARMACY)):
                cur.execute(
                    f"""INSERT INTO traceability_shipment (external_id, sender_id, sender_site_id, receiver_id,
                        receiver_site_id, invoice_number, status, package_count, send_event_id, close_event_id,
                        created_at, updated_at)
                    SELECT gen_random_uuid(), e.source_id, e.site_id, e.destination_id, NULL, '', 'accepted',
                        e.package_count, e.id, e.id + {base[accept] - base[ship]}, e.record_time, e.record_time
                    FROM traceability_event e WHERE e.id BETWEEN {base[ship] + first_g // batch}
                        AND {base[ship] + g1 // batch}"""  # noqa: S608
                )
        loaded = time.perf_counter() - started
    with connection.cursor() as cur:
        from salamat.traceability import stock

        stock.rebuild()
        t = time.perf_counter()
        for table in (*HISTORY_TABLES, "traceability_shipment", "traceability_stockbalance"):
            cur.execute(f"VACUUM ANALYZE {table}")
        vacuum = time.perf_counter() - t
        cur.execute("CHECKPOINT")
        ep = _sql(cur, "SELECT count(*) FROM traceability_eventpackage")[0][0]
        events = _sql(cur, "SELECT count(*) FROM traceability_event")[0][0]
    return {"seconds": loaded, "vacuum": vacuum, "ep_rows": ep, "events": events, "p0": p0}


def history_codes(products: list, total: int, count: int, seed: int) -> list[tuple[str, str]]:
    """(key, scanned code) of `count` random history packages."""
    rnd = random.Random(seed)
    out = []
    for _ in range(count):
        g = rnd.randrange(total)
        gtin = products[(g // B_INTRO) % N_PRODUCTS][2]
        serial = f"S{g:010d}"
        out.append((f"01/{gtin}/21/{serial}", f"01{gtin}21{serial}"))
    return out


# --- the measurements ------------------------------------------------------------------------


def measure_ops(n: int) -> dict:
    from bench.trace import run_operations

    ours, base, update = run_operations(n, 10_000)
    return {op: (n / ours[op], n / base[op], n / (base[op] + update[op])) for op in ours}


def measure_lookup(keys: list[str], rounds: int = 5) -> dict:
    """Median and p99 µs of a lookup by key, bare SQL and through the selector, each on keys
    of its own: first touch (keys no lookup of this run has read: their index leaf and heap
    page may be outside PostgreSQL's buffer cache) and warm (the same keys again). At 100,000
    packages every page is in the cache either way; at millions, first touch also measures
    cache misses, which depend on the cluster's memory (`shared_buffers`), not on the index.

    The keys are split into `rounds` rounds (first touch, then warm, for each way); the median
    is the best round's, the p99 is of all rounds together. Another process's burst of CPU can
    only make a round slower, never faster, so the best round is the figure least disturbed by
    what else the machine does; the 100,000- and the N-package figures are minutes apart."""
    from django.db import connection

    from bench.trace import one_core
    from salamat.traceability import selectors

    warm_up, keys = keys[:300], keys[300:]
    half = len(keys) // 2
    by_sql, by_selector = keys[:half], keys[half:]
    sql_text = "SELECT id, state, owner_id FROM traceability_package WHERE key = %s"

    def sql_lookup(cur, key: str) -> None:
        cur.execute(sql_text, [key])
        assert cur.fetchall()

    def selector_lookup(_cur, key: str) -> None:
        assert selectors.package_get(key=key) is not None

    times: dict[str, list[list[float]]] = {}
    with connection.cursor() as cur, one_core(cur) as pinned:
        for key in warm_up:  # connection, prepared plans, the upper levels of the index
            sql_lookup(cur, key)
        for r in range(rounds):
            for name, lookup, pool in (
                ("sql", sql_lookup, by_sql),
                ("selector", selector_lookup, by_selector),
            ):
                round_keys = pool[r::rounds]
                for way in ("first", "warm"):
                    taken = []
                    for key in round_keys:
                        t = time.perf_counter()
                        lookup(cur, key)
                        taken.append((time.perf_counter() - t) * 1e6)
                    times.setdefault(f"{name} {way}", []).append(taken)
    figures: dict = {
        kind: (
            min(statistics.median(one) for one in per_round),
            _median_p99([t for one in per_round for t in one])[1],
        )
        for kind, per_round in times.items()
    }
    figures["pinned"] = pinned
    return figures


def cluster_settings() -> str:
    """The settings the figures depend on most (`make bench` sizes the cluster as production)."""
    from django.db import connection

    names = ("shared_buffers", "effective_cache_size", "random_page_cost", "fsync", "synchronous_commit")
    with connection.cursor() as cur:
        return ", ".join(f"{name} {_sql(cur, f'SHOW {name}')[0][0]}" for name in names)


def _median_p99(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times), times[int(len(times) * 0.99)]


def _production_env() -> dict:
    from bench.check import ROOT

    return {
        **os.environ,
        "SALAMAT_MODE": "production", "DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1,localhost", "SECURE_SSL_REDIRECT": "0", "DB_CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING", "PUBLIC_RATE_LIMIT": "1000000000", "CHECK_LOG_BATCH": "200",
        "DJANGO_SETTINGS_MODULE": "salamat.settings", "PYTHONPATH": str(ROOT),
    }  # fmt: skip


def measure_check(codes: list[str], seconds: int, rounds: int = 2) -> dict:
    from bench.check import drive, start_gunicorn, stop

    apps = {
        "ours": ("salamat.wsgi:application", "/api/public/check"),
        "bare": ("bench._check_baseline:application", "/check"),
    }
    runs: dict[str, list[dict]] = {name: [] for name in apps}
    env = _production_env()
    for _round in range(rounds):
        for name in ("bare", "ours"):
            app, path = apps[name]
            proc, port = start_gunicorn(app, 2, env)
            try:
                runs[name].append(drive(port, path, codes, seconds, 16, "python"))
            finally:
                stop(proc)
    out = {
        name: {k: statistics.mean(r[k] for r in rs) for k in ("rps", "p50", "p99")}
        for name, rs in runs.items()
    }
    out["bad"] = sum(r["bad"] for rs in runs.values() for r in rs)
    return out


def measure_dashboard(product_pk: int) -> dict:
    """Milliseconds of each dashboard query (median of 3, warm), after the daily counters' job
    has run; under "job": that job (a full and a recent-days recount) and, for comparison, the
    series counted from the packages as before the counters."""
    from django.utils import timezone

    from salamat.registry.models import Product
    from salamat.traceability import daily, selectors

    today = timezone.localdate()
    product = Product.objects.get(pk=product_pk)
    job = {}
    for name, full in (("daily counts, full recount", True), ("daily counts, fold of the deltas", False)):
        t = time.perf_counter()
        daily.summarise(full=full)
        job[name] = (time.perf_counter() - t) * 1000
    queries = {
        "series of 30 days": lambda: selectors.tracked_stats(
            date_from=today - timedelta(days=29), date_to=today
        ),
        "coverage": lambda: selectors.coverage(on=today),
        "availability by region": lambda: selectors.availability_by_region(product=product),
        "top alert kinds": lambda: selectors.alert_kinds_top(
            date_from=today - timedelta(days=29), date_to=today
        ),
        "job": lambda: daily.live_series(date_from=today - timedelta(days=29), date_to=today, products=None),
    }
    out = {}
    for name, query in queries.items():
        query()  # warm
        times = []
        for _ in range(3):
            t = time.perf_counter()
            query()
            times.append((time.perf_counter() - t) * 1000)
        out[name] = statistics.median(times)
    job["series of 30 days counted live"] = out.pop("job")
    return {**out, "job": job}


def measure_http_sell(rounds: int = 3, size: int = 10_000) -> dict:
    """Seconds of a `size`-code sale: the service in-process, and POST /api/v1/packages/sell under
    gunicorn with the production settings (fresh packages at a pharmacy for each).

    Before measuring, the workers are warmed with real sales of the same size, as the
    in-process side already is: a worker's first sales pay for its imports, a fresh database
    session (the catalog entries of the package table and of every partition and index of the
    history) and the first statement of each size (measured: 1,610 ms, then 86 ms; in process
    the first 10,000-code sale after a 300-code one took 248 ms, then 82 ms). Sync workers take
    connections in no set order, so there are 6 warm-up sales for the 2 workers, and the median
    of the rounds is reported."""
    from bench.check import start_gunicorn, stop
    from bench.trace import _codes, _world
    from salamat.accounts.services import api_client_issue
    from salamat.core.actors import SYSTEM
    from salamat.traceability import services

    tag = uuid.uuid4().hex[:6].upper()
    importer, pharmacy_actor, pharmacy, gtin = _world(tag)
    batches = []
    for i in range(2 * rounds + 6):
        codes = _codes(gtin, tag, i * size, size)
        services.packages_introduce(actor=importer, codes=codes)
        sent = services.shipment_send(actor=importer, receiver_id=pharmacy.external_id, codes=codes)
        services.shipment_accept(actor=pharmacy_actor, shipment_id=sent["shipment_id"])
        batches.append(codes)
    warm_up = batches[2 * rounds :]
    token = api_client_issue(actor=SYSTEM, organization=pharmacy, name=f"scale {tag}")[1]
    proc, port = start_gunicorn("salamat.wsgi:application", 2, _production_env())
    service_s, http_s = [], []
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        for codes in warm_up:  # warm each worker: imports, its database session, the sale's plans
            conn.request("POST", "/api/v1/packages/sell", body=json.dumps({"codes": codes}), headers=headers)
            response = conn.getresponse()
            answer = response.read()
            if response.status != 200:
                raise RuntimeError(f"warm-up sale answered {response.status}: {answer[:500]!r}")
        for r in range(rounds):
            # Alternate which goes first, so that neither always meets the other's after-effects
            # (autovacuum of the current partition, checkpoints) on a shared machine.
            for way in ("service", "http") if r % 2 == 0 else ("http", "service"):
                codes = batches[2 * r + (way == "http")]
                body = json.dumps({"codes": codes})
                t = time.perf_counter()
                if way == "service":
                    services.packages_sell(actor=pharmacy_actor, codes=codes)
                    service_s.append(time.perf_counter() - t)
                    continue
                conn.request("POST", "/api/v1/packages/sell", body=body, headers=headers)
                response = conn.getresponse()
                answer = response.read()
                http_s.append(time.perf_counter() - t)
                if response.status != 200:
                    raise RuntimeError(f"sell over HTTP answered {response.status}: {answer[:500]!r}")
        conn.close()
    finally:
        stop(proc)
    return {"service": statistics.median(service_s), "http": statistics.median(http_s), "size": size}


def explain_hot_queries(sample_key: str) -> list[str]:
    from django.db import connection

    out = []
    with connection.cursor() as cur:
        pid, last_event = _sql(
            cur, "SELECT id, last_event_id FROM traceability_package WHERE key = %s", [sample_key]
        )[0]
        when = _sql(cur, "SELECT record_time FROM traceability_event WHERE id = %s", [last_event])[0][0]
        for title, sql, params in (
            ("package by key", "SELECT id, state, owner_id FROM traceability_package WHERE key = %s", [sample_key]),
            ("history by package", "SELECT event_id FROM traceability_eventpackage WHERE package_id = %s", [pid]),
            ("event by id", "SELECT * FROM traceability_event WHERE id = %s", [last_event]),
            ("event by id and time", "SELECT * FROM traceability_event WHERE id = %s AND record_time = %s",
             [last_event, when]),
        ):  # fmt: skip
            plan = _sql(cur, "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY ON) " + sql, params)
            out.append(f"-- {title}")
            out += [f"   {line}" for (line,) in plan if "never executed" not in line][:12]
    return out


PARTS = ("ops", "lookup", "check", "dashboard", "sell")


def measure(
    label: str, world: dict, total: int, ops: int, seconds: int, parts: tuple[str, ...] = PARTS
) -> dict:
    print(f"-- measuring at {label} packages (load average {' '.join(f'{x:.1f}' for x in os.getloadavg())})",
          flush=True)  # fmt: skip
    pairs = history_codes(world["products"], total, 3300, seed=total)
    result: dict = {"load": os.getloadavg()[0]}
    if "ops" in parts:
        result["ops"] = measure_ops(ops)
        print("   operations done", flush=True)
    if "lookup" in parts:
        result["lookup"] = measure_lookup([k for k, _ in pairs])
    if "check" in parts:
        result["check"] = measure_check([c for _, c in pairs], seconds)
        print("   check done", flush=True)
    if "dashboard" in parts:
        result["dashboard"] = measure_dashboard(world["products"][0][1])
    if "sell" in parts:
        result["sell"] = measure_http_sell()
    result["explain"] = explain_hot_queries(pairs[0][0])
    result["load_after"] = os.getloadavg()[0]
    return result


# --- the report ------------------------------------------------------------------------------


def report(sizes: list[int], results: list[dict]) -> list[str]:
    lines = []
    head = "".join(f"{s:>16,}" for s in sizes)
    big_vs_small = len(results) == 2
    lines.append(f"{'packages':<38}{head}{'   big/small' if big_vs_small else ''}   verdict")

    def row(name: str, values: list[float], fmt: str, verdict: str = "", ratio: bool = True) -> None:
        cells = "".join(format(v, fmt).rjust(16) for v in values)
        extra = f"{values[-1] / values[0]:>12.2f}" if big_vs_small and ratio and values[0] else " " * 12
        lines.append(f"{name:<38}{cells}{extra if big_vs_small else ''}   {verdict}")

    for op in results[0].get("ops", ()):
        rates = [r["ops"][op][0] for r in results]
        copies = [r["ops"][op][1] for r in results]
        ratios = [a / b for a, b in zip(rates, copies, strict=True)]
        flat = not big_vs_small or rates[-1] >= rates[0] / 1.2
        missed = [
            *(["≥ 0.4 of COPY"] if any(x < 0.4 for x in ratios) else []),
            *([] if flat else ["≥ 1/1.2 of 100k"]),
        ]
        row(
            f"{op} package-events/s", rates, ",.0f", f"BELOW TARGET ({', '.join(missed)})" if missed else "ok"
        )
        row("  bare COPY /s", copies, ",.0f")
        row("  ratio to COPY", ratios, ".2f", ratio=False)
        if op != "introduce":  # (introduce changes no package row: it writes them, in the COPY)
            both = [r["ops"][op][2] for r in results]
            row("  ratio to COPY + bare UPDATE of state", [a / b for a, b in zip(rates, both, strict=True)], ".2f",
                ratio=False)  # fmt: skip
            # What the ratio to COPY would be if the operation did nothing but those two bare writes
            # (no code read, no rule, no event or audit row, no round trip, no commit of its own).
            row("  the two bare writes alone, ÷ COPY", [b / c for b, c in zip(both, copies, strict=True)], ".2f",
                ratio=False)  # fmt: skip
    for kind in (
        ("sql first", "sql warm", "selector first", "selector warm") if "lookup" in results[0] else ()
    ):
        medians = [r["lookup"][kind][0] for r in results]
        p99s = [r["lookup"][kind][1] for r in results]
        ok = not big_vs_small or medians[-1] <= 1.2 * medians[0]
        row(f"lookup by key, {kind}, median µs", medians, ".0f", "ok" if ok else "BELOW TARGET (within 1.2×)")
        row("  p99 µs", p99s, ".0f")
    if "lookup" in results[0] and not all(r["lookup"]["pinned"] for r in results):
        lines.append("  (lookups measured with client and server not pinned to one core: their round trip "
                     "may take ~55 or ~105 µs from run to run on a 2-core machine)")  # fmt: skip
    if "check" in results[0]:
        check_rows(results, row)
    if "dashboard" in results[0]:
        dashboard_rows(results, row)
    if "sell" in results[0]:
        sell_rows(results, row)
    row("load average (1 min) at start / end", [r["load"] for r in results], ".1f", ratio=False)
    row("", [r["load_after"] for r in results], ".1f", ratio=False)
    return lines


def check_rows(results: list[dict], row) -> None:
    ours = [r["check"]["ours"] for r in results]
    bare = [r["check"]["bare"] for r in results]
    ratio = [o["rps"] / b["rps"] for o, b in zip(ours, bare, strict=True)]
    ok = (
        all(o["p99"] < 50 for o in ours)
        and all(x >= 0.6 for x in ratio)
        and not any(r["check"]["bad"] for r in results)
    )
    row("public check (gunicorn) req/s", [o["rps"] for o in ours], ",.0f",
        "ok" if ok else "BELOW TARGET (p99 < 50 ms, ≥ 0.6 of bare)")  # fmt: skip
    row("  p99 ms", [o["p99"] for o in ours], ".1f")
    row("  bare WSGI+psycopg req/s", [b["rps"] for b in bare], ",.0f")
    row("  bare p99 ms", [b["p99"] for b in bare], ".1f")
    row("  ratio to bare", ratio, ".2f", ratio=False)


def sell_rows(results: list[dict], row) -> None:
    service = [r["sell"]["size"] / r["sell"]["service"] for r in results]
    over_http = [r["sell"]["size"] / r["sell"]["http"] for r in results]
    overhead = [r["sell"]["http"] / r["sell"]["service"] - 1 for r in results]
    row("sell 10,000 codes, service, codes/s", service, ",.0f")
    row("  POST /api/v1/packages/sell, codes/s", over_http, ",.0f")
    row("  HTTP + JSON overhead, %", [100 * x for x in overhead], ".0f",
        "ok" if all(x <= 0.25 for x in overhead) else "BELOW TARGET (≤ 25 %)", ratio=False)  # fmt: skip


def dashboard_rows(results: list[dict], row) -> None:
    for name in (n for n in results[0]["dashboard"] if n != "job"):
        values = [r["dashboard"][name] for r in results]
        row(
            f"dashboard: {name}, ms",
            values,
            ".1f",
            "ok" if all(v < 200 for v in values) else "BELOW TARGET (< 200 ms)",
        )
    for name in results[0]["dashboard"]["job"]:
        row(f"  {name}, ms", [r["dashboard"]["job"][name] for r in results], ",.0f")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=int(os.environ.get("PACKAGES", str(SMALL))))
    parser.add_argument(
        "--ops", type=int, default=50_000, help="packages per bulk operation run (default 50000)"
    )
    parser.add_argument("--seconds", type=int, default=8, help="seconds per public check run")
    parser.add_argument(
        "--only",
        default=",".join(PARTS),
        help=f"what to measure, comma-separated (default {','.join(PARTS)})",
    )
    parser.add_argument("--dashboard-only", action="store_true", help="the same as --only dashboard")
    args, _unknown = parser.parse_known_args(argv)
    parts = (
        ("dashboard",) if args.dashboard_only else tuple(p.strip() for p in args.only.split(",") if p.strip())
    )
    if unknown_parts := set(parts) - set(PARTS):
        parser.error(f"--only: unknown {', '.join(sorted(unknown_parts))}; choose from {', '.join(PARTS)}")
    from bench.trace import _setup_django

    _setup_django()
    total = args.packages
    sizes = sorted({min(SMALL, total), total})
    print(f"scale bench: history of {', '.join(f'{s:,}' for s in sizes)} packages; "
          f"{os.cpu_count()} CPUs, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}; "
          f"PostgreSQL {cluster_settings()}", flush=True)  # fmt: skip
    world = build_world()
    results, loaded = [], 0
    for size in sizes:
        info = load_history(loaded, size - loaded, total=total, world=world)
        print(f"-- history to {size:,} packages: {size - loaded:,} packages and their events loaded in "
              f"{info['seconds']:.0f} s (indexes built after), vacuum {info['vacuum']:.0f} s; now "
              f"{info['events']:,} events, {info['ep_rows']:,} (event, package) rows", flush=True)  # fmt: skip
        loaded = size
        if args.dashboard_only:
            results.append({"dashboard": measure_dashboard(world["products"][0][1])})
            continue
        results.append(measure(f"{size:,}", world, size, args.ops, args.seconds, parts))
    if args.dashboard_only:
        lines: list[str] = []
        dashboard_rows(
            results,
            lambda name, values, fmt, verdict="", ratio=True: lines.append(
                f"{name:<44}" + "".join(format(v, fmt).rjust(16) for v in values) + f"   {verdict}"
            ),
        )
        print("\n".join(lines))
        return 0
    print()
    for line in report(sizes, results):
        print(line)
    print()
    print(f"plans at {sizes[-1]:,} packages:")
    for line in results[-1]["explain"]:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
