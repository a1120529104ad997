"""Backups that restore: a base backup (scripts/pg-backup.sh) of a throwaway cluster with WAL
archiving on, more writes, a moment recorded, more writes; then scripts/pg-restore-pitr.sh
restores to that moment into a new directory, the restored cluster starts, and exactly the rows
committed before the moment are there."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from salamat.core.tests.pgcluster import (
    Cluster,
    owned_dir,
    require_binaries,
    run_pg,
)

SCRIPTS = Path(__file__).resolve().parents[3] / "scripts"

pytestmark = pytest.mark.postgres_only


def _insert(cluster: Cluster, batch: str, n: int) -> None:
    cluster.query(
        "INSERT INTO ledger (batch, n) SELECT %s, g FROM generate_series(1, %s) g", [batch, n], dbname="ops"
    )


def test_a_base_backup_and_the_wal_archive_restore_to_a_point_in_time(pg_workdir):
    require_binaries("initdb", "pg_ctl", "pg_basebackup", "pg_verifybackup", "pg_archivecleanup")
    root = pg_workdir
    archive, backups = owned_dir(root / "wal-archive"), owned_dir(root / "backups")
    primary = Cluster(root / "primary").initdb()
    primary.configure(
        wal_level="replica",
        archive_mode="on",
        archive_command=f"test ! -f {archive}/%f && cp %p {archive}/%f",
    )
    primary.start()
    try:
        primary.query("CREATE DATABASE ops")
        primary.query("CREATE TABLE ledger (id bigserial PRIMARY KEY, batch text, n int)", dbname="ops")
        _insert(primary, "before-backup", 3)

        # given: a base backup, taken by the script as an operator would
        env = {
            "PGHOST": "127.0.0.1",
            "PGPORT": str(primary.port),
            "PGUSER": "salamat",
            "WAL_ARCHIVE": str(archive),
        }
        taken = run_pg("bash", str(SCRIPTS / "pg-backup.sh"), str(backups), env=env)
        backup = Path(taken.stdout.strip())
        assert backup.parent == backups and (backup / "backup_label").exists()

        # and: more writes, a moment, and more writes after it
        _insert(primary, "after-backup", 4)
        time.sleep(0.2)
        moment = primary.query("SELECT clock_timestamp()::text")[0][0]
        time.sleep(0.2)
        _insert(primary, "after-moment", 5)
        primary.query("DELETE FROM ledger WHERE batch = 'before-backup'", dbname="ops")
        # the segment holding the last writes goes to the archive
        last = primary.query("SELECT pg_walfile_name(pg_switch_wal())")[0][0]
        primary.wait_for(
            f"SELECT last_archived_wal >= '{last}' FROM pg_stat_archiver",  # noqa: S608
            [(True,)],
        )
    finally:
        primary.stop()

    # when: restored to the moment, into a new directory, and started
    restored = Cluster(root / "restored")
    run_pg("bash", str(SCRIPTS / "pg-restore-pitr.sh"), str(backup), str(archive), str(restored.data), moment)
    restored.start()
    try:
        restored.wait_for("SELECT pg_is_in_recovery()", [(False,)], timeout=60)
        # then: everything committed before the moment, nothing after it
        rows = restored.query(
            "SELECT batch, count(*) FROM ledger GROUP BY batch ORDER BY batch", dbname="ops"
        )
        assert rows == [("after-backup", 4), ("before-backup", 3)]
        assert "recovery stopping before commit" in restored.log_text()
        # and the restored server is open for writes, on a new timeline
        _insert(restored, "after-restore", 1)
        assert restored.query("SELECT timeline_id FROM pg_control_checkpoint()")[0][0] >= 1
    finally:
        restored.stop("immediate")


def test_the_restore_script_refuses_a_directory_that_is_not_empty(pg_workdir):
    require_binaries("initdb")
    root = pg_workdir
    backup, archive, target = owned_dir(root / "b"), owned_dir(root / "a"), owned_dir(root / "t")
    (backup / "backup_label").write_text("START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\n")
    (target / "PG_VERSION").write_text("15\n")
    result = run_pg(
        "bash", str(SCRIPTS / "pg-restore-pitr.sh"), str(backup), str(archive), str(target), check=False
    )
    assert result.returncode == 1
    assert "is not empty" in result.stderr
    assert sorted(p.name for p in target.iterdir()) == ["PG_VERSION"]
