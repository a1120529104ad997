"""Faults injected into the production server (gunicorn with gunicorn.conf.py): a PostgreSQL
restart under load, and a worker killed in the middle of a write (issue 14, keep it found)."""

import os
import signal
import threading
import time
from collections import Counter

import pytest
import requests
from django.db import connection

from salamat.core.tests.servers import FlakyTcpProxy, gunicorn, gunicorn_worker_pids

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _load(base: str, token: str, stop: threading.Event, seen: list) -> None:
    session = requests.Session()
    while not stop.is_set():
        for path, headers in (("/api/public/where?q=aspirin", {}),
                              ("/api/v1/whoami", {"Authorization": f"Bearer {token}"})):  # fmt: skip
            try:
                response = session.get(base + path, headers=headers, timeout=30)
            except requests.RequestException as exc:
                seen.append((time.monotonic(), path, type(exc).__name__, ""))
                continue
            code = response.json().get("code", "") if response.status_code >= 400 else ""
            seen.append((time.monotonic(), path, response.status_code, code))


def test_a_postgresql_restart_under_load_is_503_then_recovers_without_a_server_restart(make_org, make_token):
    token = make_token(make_org("pharmacy"))
    db = connection.settings_dict
    proxy = FlakyTcpProxy(db["HOST"], int(db["PORT"]))
    url = f"postgres://{db['USER']}@127.0.0.1:{proxy.port}/{db['NAME']}"
    env = {"DATABASE_URL": url, "PUBLIC_RATE_LIMIT": "0", "REDIS_URL": ""}
    try:
        with gunicorn(workers=2, env=env) as base:
            stop, seen = threading.Event(), []
            threads = [threading.Thread(target=_load, args=(base, token, stop, seen)) for _ in range(4)]
            for t in threads:
                t.start()
            time.sleep(2)
            workers_before = _workers(base)
            # when PostgreSQL "restarts": every connection cut, refused for 3 seconds
            restarted_at = time.monotonic()
            proxy.restart(3)
            back_at = time.monotonic()
            time.sleep(4)
            stop.set()
            for t in threads:
                t.join(timeout=60)
            workers_after = _workers(base)
    finally:
        proxy.close()
    during = Counter((status, code) for t, _p, status, code in seen if restarted_at <= t <= back_at + 1)
    after = Counter(status for t, _p, status, _c in seen if t > back_at + 2)
    # then: while it is down, 503 service_unavailable (or an answer that got through), never 500
    assert set(during) <= {(200, ""), (503, "service_unavailable")}, during
    assert during[(503, "service_unavailable")] > 0, during
    # and once it is back, every request succeeds, served by the same worker processes
    assert after and set(after) == {200}, after
    assert workers_after == workers_before


def _workers(base: str) -> set[int]:  # noqa: ARG001
    """The gunicorn worker pids (the server's own process group)."""
    from salamat.core.tests import servers

    return set(gunicorn_worker_pids(servers.LAST_MASTER_PID))


def test_a_worker_killed_mid_write_leaves_nothing_half_written(make_org, make_token, make_product):
    from salamat.traceability.models import Event, Package
    from salamat.traceability.tests.conftest import element_string

    gtin = make_product(units=10).gtins.first().gtin
    token = make_token(make_org("importer"))
    codes = [element_string(gtin, f"K{i:07d}") for i in range(20000)]
    with gunicorn(workers=1) as base:
        from salamat.core.tests import servers

        worker = gunicorn_worker_pids(servers.LAST_MASTER_PID)[0]
        result: dict = {}

        def send():
            try:
                result["response"] = requests.post(
                    base + "/api/v1/packages/introduce",
                    json={"codes": codes},
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=120,
                )
            except requests.RequestException as exc:
                result["error"] = exc

        thread = threading.Thread(target=send)
        thread.start()
        # when the worker is killed while it writes the 20,000 packages
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _writing(worker):
            time.sleep(0.05)
        os.kill(worker, signal.SIGKILL)
        thread.join(timeout=120)
        # then the client got no success, and the server answers again with a new worker
        assert "error" in result or result["response"].status_code >= 500
        assert requests.get(base + "/healthz", timeout=30).status_code == 200
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and Package.objects.exists():
        time.sleep(0.2)
    # and nothing of the request was kept: no package, no event (stock is checked by the fixture)
    assert Package.objects.count() == 0
    assert Event.objects.count() == 0


def _writing(pid: int) -> bool:
    """True once the worker's transaction has written (it holds a transaction id)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND datname = current_database()"
            " AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0] > 0
