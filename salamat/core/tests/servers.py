"""Real server processes for the tests that need more than one process: gunicorn with the
production configuration (gunicorn.conf.py) against the test database, and redis-server."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[3]
GUNICORN = Path(sys.executable).parent / "gunicorn"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
LAST_MASTER_PID = 0  # the master process of the last gunicorn started


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_database_url() -> str:
    """The URL of the database the test runs on (the test database, not the configured one)."""
    from django.db import connection

    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def wait_until_up(url: str, timeout: float = 60.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            requests.get(url, timeout=30)  # the first request loads the whole URL configuration
            return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@contextlib.contextmanager
def gunicorn(*, workers: int = 1, env: dict[str, str] | None = None, log=None) -> Iterator[str]:
    """A gunicorn with the production configuration on a free port; yields its base URL."""
    port = free_port()
    full_env = {
        **os.environ,
        "SALAMAT_MODE": "test",
        "DJANGO_SETTINGS_MODULE": "salamat.settings_test",
        "DATABASE_URL": test_database_url(),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(workers),
        "DB_CONN_MAX_AGE": "600",
        "PYTHONDONTWRITEBYTECODE": "1",
        **(env or {}),
    }
    proc = subprocess.Popen(
        # no control socket: several test servers (and other test runs) may be up at once
        [str(GUNICORN), "-c", "gunicorn.conf.py", "--no-control-socket", "salamat.wsgi"],
        cwd=ROOT,
        env=full_env,
        stdout=log or subprocess.DEVNULL,
        stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    global LAST_MASTER_PID
    LAST_MASTER_PID = proc.pid
    try:
        wait_until_up(base + "/healthz", proc=proc)
        yield base
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def gunicorn_worker_pids(master_pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master_pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """Debian's redis-server on a free port in a temporary directory; yields its URL."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="salamat-redis-") as tmp:
        proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--dir", tmp, "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        break
                except OSError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise
                    time.sleep(0.1)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


class FlakyTcpProxy:
    """A TCP proxy in front of PostgreSQL that can play a server restart: every connection cut,
    new ones refused for a while, then accepted again. The real cluster is never touched."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        import threading

        self.upstream = (upstream_host, upstream_port)
        self.port = free_port()
        self._up = threading.Event()
        self._up.set()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        import threading

        while not self._stopped:
            try:
                client, _addr = self._listener.accept()
            except OSError:
                return
            if not self._up.is_set():
                client.close()  # the server is "restarting": the connection is refused
                continue
            try:
                server = socket.create_connection(self.upstream)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets |= {client, server}
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def restart(self, downtime: float) -> None:
        """Cuts every open connection, refuses new ones for `downtime` seconds."""
        self._up.clear()
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for s in sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()
        time.sleep(downtime)
        self._up.set()

    def close(self) -> None:
        self._stopped = True
        self._listener.close()
        self.restart(0)
