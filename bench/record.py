"""Patient record benchmark: FHIR reads under gunicorn next to a bare WSGI baseline, and
transaction-bundle submission next to a bare COPY of the same rows.

    scripts/with-postgres.sh .venv/bin/python -m bench record [--patients 100000] [--workers 2]
        [--seconds 10] [--connections 8] [--submitters 2]

Loads N patients (100,000 by default, 1,000,000 on request) with about 50 resources each
(visits over three years in several clinics: encounters, diagnoses, vital signs, prescriptions,
laboratory results, vaccinations, allergies) and each resource's first version, by COPY.
Then, under gunicorn (sync workers, production settings, persistent connections) on loopback:

* ``GET /fhir/Patient/{id}/$summary`` (the IPS document) and
  ``GET /fhir/Observation?patient={id}&category=vital-signs`` for random loaded patients, with
  a clinic's API token (every read decided by the access function and logged, as in
  production), next to a minimal WSGI app (bench/_record_baseline.py) under the same server
  doing the same indexed SELECT of one patient's rows;
* ``POST /fhir/`` transaction bundles of about 50 resources each (checked with the FHIR
  library and the platform's rules, stored with every version and audited), in resources/s,
  next to a bare COPY of the rows those bundles stored.

Targets on 2 cores: $summary p99 < 100 ms and ≥ 0.3 of the baseline at 1,000,000 patients;
submission ≥ 2,000 resources/s.
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
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

from bench.check import _setup_django, http_load, start_gunicorn, stop

TEMPLATES = 400  # distinct generated histories; each loaded patient gets one with fresh ids
PATIENT_MARK = "00000000-0000-4000-8000-0000000000aa"


# --- loading ----------------------------------------------------------------------------------


def _setup_clinic(tag: str):
    """A medical organisation with a doctor and an API token (the submitting clinic's software)."""
    from salamat.accounts.models import Membership, Role, User
    from salamat.accounts.services import api_client_issue
    from salamat.core.actors import SYSTEM
    from salamat.registry.models import Organization, Site

    org = Organization.objects.create(
        name=f"Bench clinic {tag}", org_type="medical", tax_id=f"{random.randrange(10**13, 10**14)}",
        status="active", region="bishkek",
    )  # fmt: skip
    Site.objects.create(organization=org, name="Bench clinic", address="Bench st. 2", region="bishkek")
    doctor = User.objects.create_user(username=f"bench-doctor-{tag}", first_name="Bench", last_name="Doctor")
    Membership.objects.create(user=doctor, organization=org, role=Role.DOCTOR)
    _client, token = api_client_issue(actor=SYSTEM, organization=org, name="bench")
    return org, doctor, token


def _templates(org, doctor, now: datetime) -> list[list]:
    from salamat.records.synthetic import Clinic, history

    clinic = Clinic(0, str(org.external_id), org.name, f"Practitioner/{doctor.external_id}")
    rng = random.Random(15)
    return [
        history(rng, patient_id=PATIENT_MARK, clinics=[clinic], now=now, visits=7, recent=clinic)
        for _ in range(TEMPLATES)
    ]


def _pin(i: int) -> str:
    born = date(1940, 1, 1) + timedelta(days=i % 25000)
    return f"{1 + i % 2}{born:%d%m%Y}{i // 25000 + 50000:05d}"


_LOADED_TABLES = ("records_resource", "records_resourceversion")


def _drop_secondary(conn) -> list[str]:
    """Drops the loaded tables' foreign keys, unique constraints and secondary indexes (the bench
    loads tens of millions of rows: building an index once is far faster than updating it per
    row); returns the statements that put them back (`_restore`)."""
    tables = list(_LOADED_TABLES)
    constraints = conn.execute(
        "SELECT conname, conrelid::regclass::text, pg_get_constraintdef(oid), contype FROM pg_constraint "
        "WHERE contype IN ('f', 'u') AND (conrelid::regclass::text = ANY(%s) OR confrelid::regclass::text = ANY(%s)) "
        "ORDER BY contype",
        (tables, tables),
    ).fetchall()
    indexes = conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) AND indexname NOT IN "
        "(SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))",
        (tables,),
    ).fetchall()
    restore = [definition for _name, definition in indexes]
    for name, table, definition, kind in constraints:  # foreign keys first ('f' < 'u')
        conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        # The generated rows refer to rows that exist: foreign keys come back without re-checking
        # every loaded row (NOT VALID; they hold for every row written afterwards).
        suffix = " NOT VALID" if kind == "f" else ""
        restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}{suffix}')
    for name, _definition in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    return restore


def _restore(url: str, statements: list[str]) -> None:
    """Recreates what `_drop_secondary` dropped, two at a time (the machine's two cores)."""
    from concurrent.futures import ThreadPoolExecutor

    import psycopg

    def run(statement: str) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("SET maintenance_work_mem = '512MB'")
            conn.execute(statement)

    indexes = [s for s in statements if not s.startswith("ALTER")]
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(run, indexes))
    for statement in statements:
        if statement.startswith("ALTER"):
            run(statement)


def load(n: int, org, doctor, templates: list[list]) -> tuple[list[str], int]:
    """COPY n patients and their histories (resources and first versions); (patient ids, rows)."""
    import psycopg
    from django.db import connection

    url = os.environ["DATABASE_URL"]
    stamp = datetime.now(tz=UTC).isoformat()
    # Each template as text rows with placeholders for the ids, once.
    shapes = []
    for items in templates:
        index = {item.external_id: j for j, item in enumerate(items)}
        shapes.append(
            [
                (
                    item.resource_type, item.status, item.category, item.code_system, item.code,
                    item.effective.isoformat(), index.get(item.encounter.external_id) if item.encounter else None,
                    json.dumps(item.body, separators=(",", ":"), ensure_ascii=False), str(item.external_id),
                    str(item.encounter.external_id) if item.encounter else None,
                )
                for item in items
            ]
        )  # fmt: skip
    with connection.cursor() as cur:
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM records_patient")
        first_patient = cur.fetchone()[0] + 1
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM records_resource")
        next_resource = cur.fetchone()[0] + 1
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM records_resourceversion")
        next_version = cur.fetchone()[0] + 1
    patient_ids = [str(uuid.UUID(int=random.getrandbits(128), version=4)) for _ in range(n)]
    with psycopg.connect(url, autocommit=True) as conn:
        restore = _drop_secondary(conn)
    try:
        with psycopg.connect(url) as conn_r:
            with (
                conn_r.cursor() as cur,
                cur.copy(
                    "COPY records_patient (id, external_id, pin, family_name, given_name, middle_name, birth_date, sex, "
                    "registry_checked_at, source_system, source_value, created_at, updated_at) FROM STDIN"
                ) as copy,
            ):
                for i in range(n):
                    pin = _pin(first_patient + i)  # unique also when a database is loaded twice
                    born = f"{pin[5:9]}-{pin[3:5]}-{pin[1:3]}"
                    copy.write_row((first_patient + i, patient_ids[i], pin, "Benchova" if pin[0] == "1" else "Benchov",
                                    "Testa", "", born, "female" if pin[0] == "1" else "male", stamp, "", "", stamp, stamp))  # fmt: skip
            conn_r.commit()
        org_id, doctor_id = org.pk, doctor.pk
        # COPY text lines built here and written in large chunks (psycopg's write_row dumps field
        # by field: too slow for millions of rows). Compact JSON has no tab or newline; its
        # backslashes are doubled for the text format once per template.
        escaped = [
            [(*row[:7], row[7].replace("\\", "\\\\"), row[8], row[9]) for row in shape] for shape in shapes
        ]
        bases = [next_resource]  # the first resource id of each patient
        for i in range(n):
            bases.append(bases[-1] + len(escaped[i % TEMPLATES]))
        rows = bases[-1] - next_resource

        seeds = {0: random.getrandbits(64), n // 2: random.getrandbits(64)}  # fresh ids on every load

        def copy_resources(part: range) -> None:
            """COPY the resources of the patients in `part` (one connection: one server process)."""
            rng = random.Random(seeds[part.start])
            with psycopg.connect(url) as conn, conn.cursor() as cur:
                with cur.copy(
                    "COPY records_resource (id, external_id, resource_type, patient_id, organization_id, "
                    "recorded_by_id, status, category, code_system, code, effective, encounter_id, identifier_system, "
                    "identifier_value, version_id, last_updated, created_at, body) FROM STDIN"
                ) as copy:
                    out: list[str] = []
                    for i in part:
                        shape, pid, patient_pk, base = (
                            escaped[i % TEMPLATES],
                            patient_ids[i],
                            first_patient + i,
                            bases[i],
                        )
                        new_ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in shape]
                        for j, (
                            rtype,
                            status,
                            category,
                            system,
                            code,
                            when,
                            enc,
                            body,
                            old_id,
                            old_enc,
                        ) in enumerate(shape):
                            text = body.replace(PATIENT_MARK, pid).replace(old_id, new_ids[j])
                            if enc is not None:
                                text = text.replace(old_enc, new_ids[enc])
                            enc_id = str(base + enc) if enc is not None else "\\N"
                            out.append(
                                f"{base + j}\t{new_ids[j]}\t{rtype}\t{patient_pk}\t{org_id}\t{doctor_id}\t{status}\t"
                                f"{category}\t{system}\t{code}\t{when}\t{enc_id}\t\t\t1\t{when}\t{stamp}\t{text}\n"
                            )
                        if len(out) > 5000:
                            copy.write("".join(out))
                            out = []
                    copy.write("".join(out))
                conn.commit()

        def copy_versions(first: int, last: int) -> None:
            """Each resource's first version, copied inside the server (the JSON is not parsed again)."""
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(
                    "INSERT INTO records_resourceversion (id, resource_id, version_id, status, organization_id, "
                    "recorded_by_id, last_updated, body) SELECT id - %s + %s, id, 1, status, organization_id, "
                    "recorded_by_id, last_updated, body FROM records_resource WHERE id >= %s AND id < %s",
                    (next_resource, next_version, first, last),
                )

        # Two at a time: the server parses the JSON, one process per connection, on two cores.
        half = n // 2
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(copy_resources, [range(0, half), range(half, n)]))
        middle = bases[half]
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda span: copy_versions(*span), [(next_resource, middle), (middle, bases[-1])]))
    finally:
        _restore(url, restore)
    with connection.cursor() as cur:
        for table in ("records_patient", "records_resource", "records_resourceversion"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            )  # noqa: S608
    with psycopg.connect(url, autocommit=True) as conn:
        for table in ("records_patient", "records_resource", "records_resourceversion"):
            conn.execute(f"VACUUM ANALYZE {table}")
        conn.execute("CHECKPOINT")  # write the loaded pages out now, not during the measured runs
    return patient_ids, rows


# --- load generators ----------------------------------------------------------------------------


def _get_runs(port: int, paths: list[str], seconds: int, connections: int, headers: dict) -> dict:
    """`http_load` after a warm-up (workers import lazily and connect on first use)."""
    deadline = time.monotonic() + 180
    for _ in range(4):  # warm-up: workers import lazily and connect on first use
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for path in paths[:10]:
            while True:  # a worker still booting on a loaded machine may drop the first connection
                try:
                    conn.request("GET", path, headers=headers)
                    conn.getresponse().read()
                    break
                except (ConnectionError, http.client.HTTPException):
                    if time.monotonic() > deadline:
                        raise
                    conn.close()
                    time.sleep(1)
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.close()
    return http_load(port, paths, seconds, connections, headers=headers, timeout=30)


def _bundle(template: list, patient_id: str) -> dict:
    """A template history as a transaction bundle for `patient_id` (entries refer by urn:uuid)."""
    urls = {str(item.external_id): f"urn:uuid:{uuid.uuid4()}" for item in template}
    entries = []
    for item in template:
        body = json.loads(json.dumps(item.body).replace(PATIENT_MARK, patient_id))
        body.pop("id", None)
        body.pop("meta", None)
        body.pop("serviceProvider", None)
        if "encounter" in body:
            body["encounter"] = {"reference": urls[body["encounter"]["reference"].partition("/")[2]]}
        entries.append(
            {"fullUrl": urls[str(item.external_id)], "resource": body,
             "request": {"method": "POST", "url": item.resource_type}}
        )  # fmt: skip
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def _submit_runs(port: int, bundles: list[bytes], seconds: int, clients: int, headers: dict) -> dict:
    stop_at = time.perf_counter() + seconds
    stored = [0] * clients
    sent = [0] * clients
    bad: list[str] = []
    latencies: list[float] = []
    lock = threading.Lock()
    queue = list(reversed(bundles))

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while time.perf_counter() < stop_at:
            with lock:
                if not queue:
                    break
                body = queue.pop()
            t = time.perf_counter()
            conn.request("POST", "/fhir/", body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            latencies.append(time.perf_counter() - t)
            sent[i] += 1
            if response.status == 200:
                stored[i] += len(json.loads(data)["entry"])
            else:
                bad.append(data[:300].decode(errors="replace"))
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    return {"resources": sum(stored), "bundles": sum(sent), "seconds": elapsed, "rate": sum(stored) / elapsed, "bad": bad,
            "p50": statistics.median(latencies) * 1000 if latencies else 0.0}  # fmt: skip


def _bare_copy(first_id: int) -> tuple[int, float]:
    """COPY the rows the submission stored into a scratch copy of the table (same indexes)."""
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        conn.execute("CREATE TEMP TABLE bench_resource (LIKE records_resource INCLUDING INDEXES)")
        with conn.cursor() as cur:
            cur.execute(
                "SELECT id, external_id, resource_type, patient_id, organization_id, recorded_by_id, api_client_id, "
                "status, category, code_system, code, effective, encounter_id, identifier_system, identifier_value, "
                "version_id, last_updated, created_at, body::text FROM records_resource WHERE id >= %s",
                (first_id,),
            )
            rows = cur.fetchall()
        began = time.perf_counter()
        with (
            conn.cursor() as cur,
            cur.copy(
                "COPY bench_resource (id, external_id, resource_type, patient_id, organization_id, recorded_by_id, "
                "api_client_id, status, category, code_system, code, effective, encounter_id, identifier_system, "
                "identifier_value, version_id, last_updated, created_at, body) FROM STDIN"
            ) as copy,
        ):
            for row in rows:
                copy.write_row(row)
        conn.commit()
        return len(rows), time.perf_counter() - began


# --- main ------------------------------------------------------------------------------------


def _mean(runs: list[dict]) -> dict:
    return {key: statistics.mean(r[key] for r in runs) for key in ("rps", "p50", "p99")} | {
        "bad": sum(r["bad"] for r in runs), "each": ", ".join(f"{r['rps']:,.0f}" for r in runs)
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.record", description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--submitters", type=int, default=2, help="concurrent bundle submitters")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds of both servers")
    args, _unknown = parser.parse_known_args(argv)
    _setup_django()
    from salamat.records.models import Resource

    tag = secrets.token_hex(3)
    org, doctor, token = _setup_clinic(tag)
    now = datetime.now(tz=UTC).replace(microsecond=0) - timedelta(hours=1)
    templates = _templates(org, doctor, now)
    t = time.perf_counter()
    patient_ids, rows = load(args.patients, org, doctor, templates)
    load_s = time.perf_counter() - t
    print(f"record bench: {args.patients:,} patients, {rows:,} resources (+ as many versions) loaded by COPY in "
          f"{load_s:.1f} s ({2 * rows / load_s:,.0f} rows/s); gunicorn sync × {args.workers}, {args.seconds} s runs, "
          f"{args.connections} connections, load by a threaded Python client")  # fmt: skip

    env = {
        **os.environ,
        "SALAMAT_MODE": "production", "DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1,localhost", "SECURE_SSL_REDIRECT": "0", "DB_CONN_MAX_AGE": "600",
        "LOG_LEVEL": "WARNING", "PUBLIC_RATE_LIMIT": "1000000000", "API_RATE_LIMIT": "1000000000",
        "DJANGO_SETTINGS_MODULE": "salamat.settings", "PYTHONPATH": str(os.getcwd()),
    }  # fmt: skip
    rnd = random.Random(7)
    sample = [patient_ids[rnd.randrange(len(patient_ids))] for _ in range(3000)]
    auth = {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"}
    cases = {
        "$summary": (
            [f"/fhir/Patient/{p}/$summary" for p in sample],
            [f"/summary?patient={p}" for p in sample],
        ),
        "patient+category search": (
            [f"/fhir/Observation?patient={p}&category=vital-signs" for p in sample],
            [f"/search?patient={p}&category=vital-signs" for p in sample],
        ),
    }
    results: dict[tuple[str, str], list[dict]] = {}
    for _round in range(args.rounds):
        for server, app in (
            ("baseline", "bench._record_baseline:application"),
            ("salamat", "salamat.wsgi:application"),
        ):
            proc, port = start_gunicorn(app, args.workers, env)
            try:
                for case, (ours, base) in cases.items():
                    paths = ours if server == "salamat" else base
                    results.setdefault((case, server), []).append(
                        _get_runs(port, paths, args.seconds, args.connections, auth)
                    )
            finally:
                stop(proc)
    print(f"{'':<34}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-200':>9}   req/s of each round")
    verdicts = []
    for case in cases:
        for server in ("salamat", "baseline"):
            r = _mean(results[(case, server)])
            results[(case, server)] = r  # type: ignore[assignment]
            print(
                f"{case + ' · ' + server:<34}{r['rps']:>9,.0f}{r['p50']:>9.1f}{r['p99']:>9.1f}{r['bad']:>9}   {r['each']}"
            )
        ours, base = results[(case, "salamat")], results[(case, "baseline")]
        ratio = ours["rps"] / base["rps"]
        print(f"  {case}: {ratio:.2f} of the baseline")
        if case == "$summary":
            verdicts.append(ours["p99"] < 100 and ratio >= 0.3 and ours["bad"] == 0)

    # --- submission
    first_id = (Resource.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    bundles = [
        json.dumps(_bundle(templates[i % TEMPLATES], patient_ids[i % len(patient_ids)])).encode()
        for i in range(400)
    ]
    proc, port = start_gunicorn("salamat.wsgi:application", args.workers, env)
    try:
        headers = {**auth, "Content-Type": "application/fhir+json"}
        _submit_runs(port, bundles[:2], 60, 1, headers)  # warm-up
        sub = _submit_runs(port, bundles[2:], args.seconds * 2, args.submitters, headers)
    finally:
        stop(proc)
    copied, copy_s = _bare_copy(first_id)
    print(f"transaction bundles: {sub['resources']:,} resources in {sub['seconds']:.1f} s = {sub['rate']:,.0f} "
          f"resources/s ({args.submitters} submitters, {sub['bundles']} bundles of ~{sub['resources'] // max(1, sub['bundles'])}, "
          f"p50 {sub['p50']:.0f} ms a bundle, {len(sub['bad'])} refused)")  # fmt: skip
    if sub["bad"]:
        print("  first refusal:", sub["bad"][0])
    print(f"bare COPY of the same {copied:,} rows: {copied / copy_s:,.0f} rows/s")
    verdicts.append(sub["rate"] >= 2000)
    print(f"load average (1/5/15 min): {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs "
          "(a shared machine: other work runs beside the benchmark)")  # fmt: skip
    print(f"targets ($summary p99 < 100 ms and ≥ 0.3 of baseline; submission ≥ 2,000 resources/s): "
          f"{'ok' if all(verdicts) else 'BELOW TARGET'}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
