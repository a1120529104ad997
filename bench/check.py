"""Citizen check benchmark: the public check API under gunicorn next to a bare WSGI baseline.

    scripts/with-postgres.sh .venv/bin/python -m bench check [--packages 1000000] [--workers 2]
        [--seconds 10] [--connections 16]

Loads N packages into PostgreSQL with COPY, starts gunicorn (sync workers, the production
settings: SALAMAT_MODE=production, persistent connections) on loopback, and drives
``GET /api/public/check?code=…`` with random codes of loaded packages for bounded runs
(``wrk`` when installed, else a small threaded keep-alive client in this process). Then the
same with a minimal WSGI app (bench/_check_baseline.py) under the same gunicorn and worker
count doing the same indexed lookup with psycopg. Prints requests/s, p50 and p99 of both and
the ratio. Targets on 2 cores: ≥ 1,000 req/s, p99 < 50 ms, ≥ 0.4 of the baseline.

The rate limiter stays on (its limit raised so one loopback client is never refused) and
every check is logged (batched), as in production.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"


def _setup_django() -> None:
    os.environ.setdefault("SALAMAT_MODE", "test")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salamat.settings_test")
    import django

    django.setup()
    from django.conf import settings

    if not settings.IS_POSTGRES:
        sys.exit("bench.check needs PostgreSQL: run it under scripts/with-postgres.sh (DATABASE_URL)")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def load_packages(n: int) -> tuple[str, str]:
    """N packages of one product held by one pharmacy, loaded with a binary COPY; (gtin, tag)."""
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
    org = Organization.objects.create(
        name=f"Bench pharmacy {tag}", org_type="pharmacy", tax_id=f"{random.randrange(10**13, 10**14)}",
        status="active", region="bishkek",
    )  # fmt: skip
    site = Site.objects.create(
        organization=org, name="Bench pharmacy", address="Bench st. 1", region="bishkek"
    )
    product = Product.objects.create(
        registration_number=f"KG-BENCH-{tag}", registered_on=date(2020, 1, 1), trade_name="Benchomycin",
        inn="benchomycinum", atc_code="J01CA04", dosage_form="tablets", manufacturer_name="Bench Pharma",
        manufacturer_country="KG",
    )  # fmt: skip
    body = f"047{random.randrange(10**9, 10**10)}"
    gtin = (body + str(gs1_check_digit(body))).zfill(14)
    ProductGtin.objects.create(product=product, gtin=gtin)
    tl = TrackingList.objects.create(
        code=f"bench-{tag.lower()}", name="Bench", mandatory_from=date(2024, 1, 1)
    )
    TrackingListEntry.objects.create(tracking_list=tl, product=product)
    connection.ensure_connection()
    raw = connection.connection
    now = time.time()
    from datetime import datetime

    stamp = datetime.fromtimestamp(now, tz=UTC)
    expiry, today = date(2030, 12, 31), date.today()
    with raw.cursor() as cur:
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM traceability_package")
        start = cur.fetchone()[0] + 1
        columns = "id, key, product_id, batch, expiry, state, withdraw_reason, owner_id, site_id, flags, introduced_on, updated_at"
        with cur.copy(f"COPY traceability_package ({columns}) FROM STDIN (FORMAT BINARY)") as copy:  # noqa: S608
            copy.set_types(["bigint", "text", "bigint", "text", "date", "smallint", "smallint", "bigint", "bigint",
                            "smallint", "date", "timestamptz"])  # fmt: skip
            for i in range(n):
                copy.write_row((start + i, f"01/{gtin}/21/{tag}{i:09d}", product.pk, "B1", expiry, 2, 0, org.pk,
                                site.pk, 0, today, stamp))  # fmt: skip
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('traceability_package', 'id'), (SELECT MAX(id) FROM traceability_package))"
        )
    raw.commit() if not raw.autocommit else None
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE traceability_package")
        # Write the loaded pages out now, not during the first measured run.
        cur.execute("CHECKPOINT")
    return gtin, tag


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(app: str, workers: int, env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    cmd = [str(GUNICORN), "-c", str(ROOT / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}",
           "--workers", str(workers), "--access-logfile", "/dev/null", "--error-logfile", "-", app]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, port
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"gunicorn did not start: {proc.stderr.read().decode()[-2000:]}")


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


# --- load generators -----------------------------------------------------------------------


def _wrk(port: int, path: str, codes: list[str], seconds: int, connections: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write("codes = {" + ",".join(f'"{c}"' for c in codes) + "}\n")
        lua.write(
            'request = function()\n  return wrk.format("GET", "'
            + path
            + '?code=" .. codes[math.random(#codes)])\nend\n'
        )
    try:
        out = subprocess.run(  # noqa: S603
            [shutil.which("wrk"), "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", lua.name,
             f"http://127.0.0.1:{port}"],
            capture_output=True, text=True, check=True, timeout=seconds + 30,
        ).stdout  # fmt: skip
    finally:
        os.unlink(lua.name)

    def ms(label: str) -> float:
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\b", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50": ms("50"), "p99": ms("99"), "bad": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": errors.group(1) if errors else "", "tool": "wrk"}  # fmt: skip


def http_load(
    port: int,
    paths: list[str],
    seconds: int,
    connections: int,
    *,
    headers: dict | None = None,
    timeout: int = 10,
) -> dict:
    """A bounded keep-alive GET client: `connections` threads, each with one http.client connection,
    each asking for random `paths` until `seconds` have passed; requests/s, p50/p99 ms, non-200s."""
    stop_at = time.perf_counter() + seconds
    latencies: list[list[float]] = [[] for _ in range(connections)]
    bad = [0] * connections

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        rnd = random.Random(i)
        mine = latencies[i]
        while (t := time.perf_counter()) < stop_at:
            conn.request("GET", rnd.choice(paths), headers=headers or {})
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - t)
            if response.status != 200:
                bad[i] += 1
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    times = sorted(x for part in latencies for x in part)
    return {"rps": len(times) / elapsed, "p50": statistics.median(times) * 1000,
            "p99": times[int(len(times) * 0.99)] * 1000, "bad": sum(bad)}  # fmt: skip


def _python_client(port: int, path: str, codes: list[str], seconds: int, connections: int) -> dict:
    """The public check under `http_load`, one random code per request."""
    result = http_load(port, [f"{path}?code={code}" for code in codes], seconds, connections)
    return {**result, "socket_errors": "", "tool": "python"}


def drive(port: int, path: str, codes: list[str], seconds: int, connections: int, tool: str) -> dict:
    # A short warm-up: workers import lazily and open their database connection on first use.
    for _ in range(4):  # one connection at a time reaches each worker in turn
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for code in codes[:25]:
            conn.request("GET", f"{path}?code={code}")
            conn.getresponse().read()
        conn.close()
    if tool == "wrk":
        return _wrk(port, path, codes, seconds, connections)
    return _python_client(port, path, codes, seconds, connections)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.check", description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=int(os.environ.get("PACKAGES", "1000000")))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds of both servers")
    parser.add_argument("--tool", choices=("auto", "wrk", "python"), default="auto")
    args, _unknown = parser.parse_known_args(argv)
    tool = args.tool if args.tool != "auto" else ("wrk" if shutil.which("wrk") else "python")
    _setup_django()
    t = time.perf_counter()
    gtin, tag = load_packages(args.packages)
    load_s = time.perf_counter() - t
    print(f"check bench: {args.packages:,} packages loaded by COPY in {load_s:.1f} s "
          f"({args.packages / load_s:,.0f} rows/s); gunicorn sync × {args.workers}, {args.seconds} s runs, "
          f"{args.connections} connections, load by {tool}")  # fmt: skip
    rnd = random.Random(7)
    codes = [f"01{gtin}21{tag}{rnd.randrange(args.packages):09d}" for _ in range(5000)]
    env = {
        **os.environ,
        "SALAMAT_MODE": "production", "DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1,localhost", "SECURE_SSL_REDIRECT": "0", "DB_CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING", "PUBLIC_RATE_LIMIT": "1000000000", "CHECK_LOG_BATCH": "200",
        "DJANGO_SETTINGS_MODULE": "salamat.settings", "PYTHONPATH": str(ROOT),
    }  # fmt: skip
    apps = {
        "public check API": ("salamat.wsgi:application", "/api/public/check"),
        "baseline WSGI+psycopg": ("bench._check_baseline:application", "/check"),
    }
    # Interleaved rounds (baseline first, then ours, twice) so that both see the same background
    # load of a shared machine; each figure below is the mean of its rounds.
    runs: dict[str, list[dict]] = {name: [] for name in apps}
    for _round in range(args.rounds):
        for name in reversed(apps):
            app, path = apps[name]
            proc, port = start_gunicorn(app, args.workers, env)
            try:
                runs[name].append(drive(port, path, codes, args.seconds, args.connections, tool))
            finally:
                stop(proc)
    results = {
        name: {
            "rps": statistics.mean(r["rps"] for r in rs), "p50": statistics.mean(r["p50"] for r in rs),
            "p99": statistics.mean(r["p99"] for r in rs), "bad": sum(r["bad"] for r in rs),
            "socket_errors": " ".join(r["socket_errors"] for r in rs),
            "each": ", ".join(f"{r['rps']:,.0f}" for r in rs),
        }
        for name, rs in runs.items()
    }  # fmt: skip
    print(f"{'':<24}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-200':>9}   req/s of each round")
    for name, r in results.items():
        print(
            f"{name:<24}{r['rps']:>9,.0f}{r['p50']:>9.1f}{r['p99']:>9.1f}{r['bad']:>9}   {r['each']}"
            f"  {r['socket_errors']}"
        )
    print(f"load average during the runs (1/5/15 min): {' '.join(f'{x:.1f}' for x in os.getloadavg())} on "
          f"{os.cpu_count()} CPUs")  # fmt: skip
    ours, base = results["public check API"], results["baseline WSGI+psycopg"]
    ratio = ours["rps"] / base["rps"]
    ok = ours["rps"] >= 1000 and ours["p99"] < 50 and ratio >= 0.4 and ours["bad"] == 0
    print(
        f"ratio {ratio:.2f} of baseline; targets ≥ 1,000 req/s, p99 < 50 ms, ≥ 0.40: {'ok' if ok else 'BELOW TARGET'}"
    )
    from salamat.portal.models import CheckLog

    print(f"check log rows written during the run: {CheckLog.objects.count():,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
