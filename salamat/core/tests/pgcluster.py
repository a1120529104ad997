"""Throwaway PostgreSQL clusters for the operations tests (replica, backup and restore).

Like scripts/with-postgres.sh: Debian's server binaries (on PATH or under
/usr/lib/postgresql/*/bin), a fresh directory, a free loopback port, trust authentication for
the `salamat` role; as root the server runs as the `postgres` user through `runuser`.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import psycopg
import pytest

ROLE = "salamat"


def pg_bin(name: str) -> str | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        path = Path(candidate) / name
        if path.exists():
            return str(path)
    return shutil.which(name)


def require_binaries(*names: str) -> None:
    missing = [n for n in names if pg_bin(n) is None]
    if missing:
        pytest.skip(f"PostgreSQL server binaries not installed: {', '.join(missing)}")


def as_postgres() -> list[str]:
    """The prefix that runs a command as the server's owner (root may not run postgres)."""
    if os.geteuid() != 0:
        return []
    if subprocess.run(["id", "postgres"], capture_output=True).returncode != 0:  # noqa: S607
        subprocess.run(  # noqa: S603
            ["useradd", "--system", "--home", "/var/lib/postgresql", "--shell", "/bin/sh", "postgres"],  # noqa: S607
            check=True,
        )
    return ["runuser", "-u", "postgres", "--"]


def run_pg(*args: str, check: bool = True, env: dict | None = None, timeout: int = 120):
    """Runs a command as the server's owner; output captured, failures shown in full."""
    result = subprocess.run(  # noqa: S603
        [*as_postgres(), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{args} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def owned_dir(path: Path) -> Path:
    """A directory the server's owner may write."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    if os.geteuid() == 0:
        shutil.chown(path, "postgres")
    return path


class Cluster:
    """One PostgreSQL cluster in `data` listening on 127.0.0.1:`port`."""

    def __init__(self, data: Path, port: int | None = None):
        self.data = data
        self.port = port or free_port()
        self.log = data.parent / f"{data.name}.log"

    def url(self, dbname: str = "postgres") -> str:
        return f"postgres://{ROLE}@127.0.0.1:{self.port}/{dbname}"

    def initdb(self) -> Cluster:
        owned_dir(self.data)
        run_pg(
            pg_bin("initdb"), "-D", str(self.data), "-U", ROLE, "--auth=trust",
            "--encoding=UTF8", "--locale=C.UTF-8",
        )  # fmt: skip
        return self

    def configure(self, **settings) -> Cluster:
        """Appends settings to postgresql.conf (the file keeps its owner)."""
        with open(self.data / "postgresql.conf", "a") as conf:
            for name, value in settings.items():
                conf.write(f"{name} = '{value}'\n")
        return self

    def start(self, **settings) -> Cluster:
        options = {
            "port": self.port,
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(self.data.parent),
            "fsync": "off",
            **settings,
        }
        flags = " ".join(f"-c {k}={v}" for k, v in options.items())
        if os.geteuid() == 0 and not self.log.exists():
            self.log.touch()
            shutil.chown(self.log, "postgres")
        run_pg(
            pg_bin("pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-w",
            "-t",
            "60",
            "start",
            "-o",
            flags,
        )
        return self

    def stop(self, mode: str = "fast") -> None:
        run_pg(pg_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def connect(self, dbname: str = "postgres", **kwargs) -> psycopg.Connection:
        return psycopg.connect(self.url(dbname), autocommit=True, **kwargs)

    def query(self, sql: str, params=None, dbname: str = "postgres") -> list[tuple]:
        with self.connect(dbname) as conn, conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []

    def wait_for(self, sql: str, expected, dbname: str = "postgres", timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                last = self.query(sql, dbname=dbname)
                if last == expected:
                    return
            except psycopg.OperationalError as exc:
                last = exc
            time.sleep(0.1)
        raise AssertionError(f"{sql!r} answered {last!r}, not {expected!r}, within {timeout} s")

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def allow_alias_in_running_test(alias: str) -> None:
    """Django's test case refuses connections to database aliases it was not told of when it
    started; an alias whose server the test itself starts is added to the running case."""
    from django.db.backends.base.base import BaseDatabaseWrapper

    for cell in BaseDatabaseWrapper.ensure_connection.__closure__ or ():
        case = cell.cell_contents
        if isinstance(case, type) and hasattr(case, "databases"):
            case.databases = {*case.databases, alias}
