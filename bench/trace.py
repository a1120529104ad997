"""Traceability benchmark: bulk operations through the real services, next to bare COPY.

    scripts/with-postgres.sh .venv/bin/python -m bench.trace [--packages N] [--chunk 10000] [--lookup]

Introduces, ships, accepts and sells N packages in requests of `--chunk` codes through
the same services the API calls (parsing, rules, alerts, audit, idempotency records), and
prints package-events per second for each operation next to a baseline measured in the
same run, request by request (so both see the same load on a shared machine): the same (event, package) rows — plus the package rows for introduction (a
shipment's packages are its send event's rows), and for acceptance the owner and site before
it, as the service writes them — written by a bare psycopg binary COPY into tables with the
same columns and indexes. `--lookup` measures package lookup by key at 10 k and 1 M packages.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import statistics
import sys
import time
import uuid

GS = "\x1d"


def _setup_django() -> None:
    os.environ.setdefault("SALAMAT_MODE", "test")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salamat.settings_test")
    import django

    django.setup()
    from django.conf import settings

    if not settings.IS_POSTGRES:
        sys.exit("bench.trace needs PostgreSQL: run it under scripts/with-postgres.sh (DATABASE_URL)")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _world(tag: str):
    """An importer, a pharmacy and a product with a GTIN, fresh for this run."""
    from datetime import date

    from salamat.accounts.roles import roles_for_organization_type
    from salamat.codes.checkdigit import gs1_check_digit
    from salamat.core.actors import Actor
    from salamat.registry.models import Organization, Product, ProductGtin, Site

    def org(kind: str, n: int) -> Organization:
        o = Organization.objects.create(
            name=f"Bench {kind} {tag}", org_type=kind, tax_id=f"{random.randrange(10**13, 10**14)}",
            status="active", region="bishkek",
        )  # fmt: skip
        Site.objects.create(organization=o, name=f"{o.name} site", address="Bench st. 1", region="bishkek")
        return o

    importer, pharmacy = org("importer", 1), org("pharmacy", 2)
    product = Product.objects.create(
        registration_number=f"KG-BENCH-{tag}", registered_on=date(2020, 1, 1), trade_name="Benchomycin",
        inn="benchomycinum", atc_code="J01CA04", dosage_form="tablets", units_per_package=10,
        manufacturer_name="Bench Pharma", manufacturer_country="KG",
    )  # fmt: skip
    body = f"047{random.randrange(10**9, 10**10)}"
    gtin = (body + str(gs1_check_digit(body))).zfill(14)
    ProductGtin.objects.create(product=product, gtin=gtin)

    def actor(o):
        return Actor(organization=o, roles=frozenset(roles_for_organization_type(o.org_type)))

    return actor(importer), actor(pharmacy), pharmacy, gtin


def _codes(gtin: str, tag: str, start: int, n: int) -> list[str]:
    # What a scanner sends: GS1 element strings with expiry, batch (GS-terminated) and serial.
    return [f"01{gtin}17301231101{tag[:5]}{GS}21{tag}{i:08d}" for i in range(start, start + n)]


@contextlib.contextmanager
def one_core(cur):
    """This process and the PostgreSQL backend of `cur`'s connection on one core, for a measure
    of one query's round trip: on a 2-core machine the same one-row lookup takes ~55 µs when
    both run on one core and ~105 µs when the backend is woken on the other (measured: the
    lookup's figure then flipped between the two from run to run, whatever the table's size).
    Yields whether they could be pinned (not where this user may not move the backend)."""
    cur.execute("SELECT pg_backend_pid()")
    (backend,) = cur.fetchone()
    mine = os.sched_getaffinity(0)
    core = {max(mine)}
    try:
        theirs = os.sched_getaffinity(backend)
        os.sched_setaffinity(backend, core)
    except OSError:
        yield False
        return
    os.sched_setaffinity(0, core)
    try:
        yield True
    finally:
        os.sched_setaffinity(0, mine)
        with contextlib.suppress(OSError):  # the backend may have ended
            os.sched_setaffinity(backend, theirs)


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


class Baseline:
    """The same rows written with a bare psycopg binary COPY into tables with the same
    columns and indexes, one transaction per request, on a connection of its own."""

    TABLES = {
        "ep": "traceability_eventpackage",
        "pkg": "traceability_package",
    }

    def __init__(self) -> None:
        import psycopg
        from django.conf import settings

        db = settings.DATABASES["default"]
        self.conn = psycopg.connect(
            host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], password=db["PASSWORD"] or None,
            dbname=db["NAME"],
        )  # fmt: skip
        with self.conn.cursor() as cur:
            for short, table in self.TABLES.items():
                cur.execute(f"DROP TABLE IF EXISTS bench_{short}")
                cur.execute(f"CREATE TABLE bench_{short} (LIKE {table} INCLUDING DEFAULTS INCLUDING INDEXES)")
            # For `update`: the package table as the platform has it, its storage settings too
            # (fillfactor: room on each page for the changed row), filled outside any timing.
            cur.execute("DROP TABLE IF EXISTS bench_state")
            cur.execute(
                "CREATE TABLE bench_state (LIKE traceability_package INCLUDING DEFAULTS INCLUDING INDEXES)"
            )
            cur.execute("SELECT reloptions FROM pg_class WHERE oid = 'traceability_package'::regclass")
            if options := cur.fetchone()[0]:
                cur.execute(f"ALTER TABLE bench_state SET ({', '.join(options)})")
        self.conn.commit()
        self.event = 0

    def _copy(self, table: str, columns: str, types: list[str], rows) -> None:
        with (
            self.conn.cursor() as cur,
            cur.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT BINARY)") as cp,
        ):
            cp.set_types(types)
            for row in rows:
                cp.write_row(row)

    def _packages(self, table: str, ids: range) -> None:
        from datetime import UTC, date, datetime

        now, expiry, today = datetime.now(UTC), date(2030, 12, 31), date.today()
        self._copy(
            table,
            "id, key, product_id, batch, expiry, state, withdraw_reason, owner_id, site_id, flags, "
            "last_event_id, introduced_on, updated_at",
            ["bigint", "text", "bigint", "text", "date", "smallint", "smallint", "bigint", "bigint",
             "smallint", "bigint", "date", "timestamptz"],
            ((i, f"01/04700000000012/21/B{i:010d}", 1, "B1", expiry, 2, 0, 1, 1, 0, self.event, today, now)
             for i in ids),
        )  # fmt: skip

    def run(self, op: str, first_id: int, count: int) -> float:
        ids = range(first_id, first_id + count)
        self.event += 1
        t = time.perf_counter()
        if op == "introduce":
            self._packages("bench_pkg", ids)
        if op == "accept":  # a change of owner also records the owner and site before it
            self._copy(
                "bench_ep", "event_id, package_id, prev_state, prev_owner_id, prev_site_id",
                ["bigint", "bigint", "smallint", "bigint", "bigint"],
                ((self.event, i, 24, 1, 1) for i in ids),
            )  # fmt: skip
        else:
            self._copy(
                "bench_ep", "event_id, package_id, prev_state", ["bigint", "bigint", "smallint"],
                ((self.event, i, 16) for i in ids),
            )  # fmt: skip
        self.conn.commit()
        elapsed = time.perf_counter() - t
        if op == "introduce":  # the packages `update` changes, not timed
            self._packages("bench_state", ids)
            self.conn.commit()
        return elapsed

    def update(self, op: str, first_id: int, count: int) -> float:
        """Seconds of the package rows' change an operation makes, done bare: one `UPDATE … WHERE
        key = ANY(keys)` of the columns the service changes (not timed with `run`: the figure the
        issue names is COPY alone; this one shows what part of the gap is the state change)."""
        from datetime import UTC, datetime

        if op == "introduce":
            return 0.0
        keys = [f"01/04700000000012/21/B{i:010d}" for i in range(first_id, first_id + count)]
        sets = {
            "ship": "state = 3, last_event_id = %(event)s, updated_at = %(now)s",
            "accept": "state = 2, owner_id = 2, site_id = 2, previous_owner_id = 1, last_event_id = %(event)s, "
            "updated_at = %(now)s",
            "sell": "state = 4, withdraw_reason = 1, withdrawn_on = %(now)s::date, last_event_id = %(event)s, "
            "updated_at = %(now)s",
        }[op]
        t = time.perf_counter()
        with self.conn.cursor() as cur:
            cur.execute(
                f"UPDATE bench_state SET {sets} WHERE key = ANY(%(keys)s)",  # noqa: S608 - ours
                {"event": self.event, "now": datetime.now(UTC), "keys": keys},
            )
            assert cur.rowcount == count
        self.conn.commit()
        return time.perf_counter() - t

    def close(self) -> None:
        with self.conn.cursor() as cur:
            for short in (*self.TABLES, "state"):
                cur.execute(f"DROP TABLE bench_{short}")
        self.conn.commit()
        self.conn.close()


def run_operations(n: int, chunk: int) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """Seconds per operation for n packages in requests of `chunk` codes, through the services
    and — right after each request, so both see the same machine load — through bare COPY, and
    (third) the bare UPDATE of the same packages' state (`Baseline.update`; 0 for introduce)."""
    from salamat.traceability import services

    tag = uuid.uuid4().hex[:6].upper()
    importer, pharmacy_actor, pharmacy, gtin = _world(tag)
    ours = {"introduce": 0.0, "ship": 0.0, "accept": 0.0, "sell": 0.0}
    base = dict.fromkeys(ours, 0.0)
    update = dict.fromkeys(ours, 0.0)
    baseline = Baseline()
    for start in range(0, n, chunk):
        codes = _codes(gtin, tag, start, min(chunk, n - start))
        shipment: dict = {}

        def ship(c=codes, out=shipment):
            out.update(services.shipment_send(actor=importer, receiver_id=pharmacy.external_id, codes=c))

        steps = {
            "introduce": lambda c=codes: services.packages_introduce(actor=importer, codes=c),
            "ship": ship,
            "accept": lambda s=shipment: services.shipment_accept(
                actor=pharmacy_actor, shipment_id=s["shipment_id"]
            ),
            "sell": lambda c=codes: services.packages_sell(actor=pharmacy_actor, codes=c),
        }
        for op, step in steps.items():
            ours[op] += _timed(step)
            base[op] += baseline.run(op, start + 1, len(codes))
            update[op] += baseline.update(op, start + 1, len(codes))
    baseline.close()
    return ours, base, update


def run_lookup(sizes: tuple[int, ...] = (10_000, 1_000_000), probes: int = 3000) -> list[dict]:
    """Median and p99 microseconds of a package lookup by key as the table grows to each size:
    the bare indexed SELECT, and the selector the check page and the API use (ORM, joins)."""
    from django.db import connection

    from salamat.traceability import selectors, services

    tag = uuid.uuid4().hex[:6].upper()
    importer, _pharmacy_actor, _pharmacy, gtin = _world(tag)
    have, out = 0, []
    for size in sizes:
        while have < size:
            n = min(10_000, size - have)
            services.packages_introduce(actor=importer, codes=_codes(gtin, tag, have, n))
            have += n
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE traceability_package")
        keys = [f"01/{gtin}/21/{tag}{random.randrange(have):08d}" for _ in range(probes)]
        row: dict = {"packages": have}
        with connection.cursor() as cur, one_core(cur) as row["pinned"]:
            for key in keys[:300]:  # warm the cache the way a running server has it warm
                cur.execute("SELECT id FROM traceability_package WHERE key = %s", [key])
                cur.fetchall()
            times = []
            for key in keys:
                t = time.perf_counter()
                cur.execute("SELECT id, state, owner_id FROM traceability_package WHERE key = %s", [key])
                assert cur.fetchall()
                times.append((time.perf_counter() - t) * 1e6)
            row["sql"] = _summary(times)
            times = []
            for key in keys:
                t = time.perf_counter()
                assert selectors.package_get(key=key) is not None
                times.append((time.perf_counter() - t) * 1e6)
            row["selector"] = _summary(times)
        out.append(row)
    return out


def _summary(times: list[float]) -> tuple[float, float]:
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.trace", description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=int(os.environ.get("PACKAGES", "100000")))
    parser.add_argument("--chunk", type=int, default=10_000, help="codes per request (default 10000)")
    parser.add_argument("--lookup", action="store_true", help="also measure lookup by key at 10 k and 1 M")
    parser.add_argument("--lookup-only", action="store_true", help=argparse.SUPPRESS)
    args, _unknown = parser.parse_known_args(argv)
    _setup_django()
    n, chunk = args.packages, args.chunk
    if not args.lookup_only:
        print(
            f"traceability bench: {n:,} packages in requests of {chunk:,} codes (PostgreSQL, same services as the API)"
        )
        ours, base, update = run_operations(n, chunk)
        print(
            f"{'operation':<11}{'package-events/s':>18}{'bare COPY /s':>15}{'ratio':>8}   target ≥ 50,000/s and ≥ 0.30"
            "   (ratio to COPY + bare UPDATE of state; the two bare writes alone ÷ COPY)"
        )
        for op, seconds in ours.items():
            rate, base_rate = n / seconds, n / base[op]
            ok = "ok" if rate >= 50_000 and rate / base_rate >= 0.3 else "BELOW TARGET"
            both = (
                f"   ({seconds and (base[op] + update[op]) / seconds:.2f}; {base[op] / (base[op] + update[op]):.2f})"
                if update[op]
                else ""
            )
            print(f"{op:<11}{rate:>18,.0f}{base_rate:>15,.0f}{rate / base_rate:>8.2f}   {ok:<33}{both}")
        total = sum(ours.values())
        print(f"{'all four':<11}{4 * n / total:>18,.0f}{4 * n / sum(base.values()):>15,.0f}"
              f"{sum(base.values()) / total:>8.2f}")  # fmt: skip
    if args.lookup or args.lookup_only:
        print("package lookup by key (ORM, one indexed SELECT):")
        results = run_lookup()
        for r in results:
            (sm, sp), (om, op) = r["sql"], r["selector"]
            print(f"  {r['packages']:>10,} packages: SQL median {sm:6.0f} µs (p99 {sp:6.0f}); "
                  f"selector median {om:6.0f} µs (p99 {op:6.0f})"
                  f"{'' if r['pinned'] else ' (client and server not pinned to one core)'}")  # fmt: skip
        if len(results) == 2:
            small, large = results
            print(f"  ratio 1 M / 10 k (medians): SQL {large['sql'][0] / small['sql'][0]:.2f}, "
                  f"selector {large['selector'][0] / small['selector'][0]:.2f} (target ≤ 2)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
