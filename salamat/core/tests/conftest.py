"""Fixtures of the operations tests."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from salamat.core.tests.pgcluster import as_postgres


@pytest.fixture
def pg_workdir() -> Iterator[Path]:
    """A fresh directory for clusters, outside pytest's tmp_path: pytest makes its own base
    directory root-only again whenever another pytest run starts, which would lock the
    server's owner out of its data directory mid-test (as scripts/with-postgres.sh, in TMPDIR)."""
    path = Path(tempfile.mkdtemp(prefix="salamat-ops-", dir=os.environ.get("TMPDIR", "/tmp")))
    os.chmod(path, 0o755)
    if os.geteuid() == 0:
        as_postgres()  # the user exists
        shutil.chown(path, "postgres")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
