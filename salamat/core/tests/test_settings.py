"""Production settings refuse to start without real secrets and pass `check --deploy`."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
REAL_SECRET = "k3J9x0pQ-this-is-only-a-test-secret-of-sufficient-length-7Yw2"


def _run(env_overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SALAMAT_", "DATABASE_URL", "SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC"))
    }
    env.update({"DJANGO_SETTINGS_MODULE": "salamat.settings", **env_overrides})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_without_secret():
    result = _run({"DATABASE_URL": "postgres://u@127.0.0.1/db", "ALLOWED_HOSTS": "salamat.example"}, "check")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_the_development_secret():
    result = _run(
        {
            "SECRET_KEY": "dev-insecure-salamat-key-never-use-in-production-0123456789abcdef",
            "DATABASE_URL": "postgres://u@127.0.0.1/db",
            "ALLOWED_HOSTS": "salamat.example",
        },
        "check",
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_without_database_url():
    result = _run({"SECRET_KEY": REAL_SECRET, "ALLOWED_HOSTS": "salamat.example"}, "check")
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr


def test_production_refuses_debug():
    result = _run(
        {
            "SECRET_KEY": REAL_SECRET,
            "DATABASE_URL": "postgres://u@127.0.0.1/db",
            "ALLOWED_HOSTS": "salamat.example",
            "DEBUG": "1",
        },
        "check",
    )
    assert result.returncode != 0
    assert "DEBUG" in result.stderr


def test_production_passes_check_deploy():
    result = _run(
        {
            "SECRET_KEY": REAL_SECRET,
            "DATABASE_URL": "postgres://u@127.0.0.1/db",
            "ALLOWED_HOSTS": "salamat.example",
        },
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stderr + result.stdout
