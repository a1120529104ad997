#!/usr/bin/env bash
# Restores a base backup (scripts/pg-backup.sh) into a NEW data directory and sets it up to
# replay the archived WAL up to a point in time (docs/operations.md, "Restore").
#
#   scripts/pg-restore-pitr.sh BACKUP_DIR WAL_ARCHIVE NEW_PGDATA [TARGET_TIME]
#
# TARGET_TIME is a PostgreSQL timestamp with time zone ('2026-12-06 21:14:03.25+00'): the
# restored server replays every transaction committed up to that moment and none after, then
# is promoted (opens read-write on a new timeline). Without TARGET_TIME it replays all of the
# archive. WAL archiving is off in the restored copy: turn it back on (archive_mode, with a
# fresh archive directory) only once it is to become the primary.
# Run it as the server's owner (postgres); then: pg_ctl -D NEW_PGDATA start
set -euo pipefail

BACKUP=${1:?usage: pg-restore-pitr.sh BACKUP_DIR WAL_ARCHIVE NEW_PGDATA [TARGET_TIME]}
ARCHIVE=${2:?usage: pg-restore-pitr.sh BACKUP_DIR WAL_ARCHIVE NEW_PGDATA [TARGET_TIME]}
PGDATA_NEW=${3:?usage: pg-restore-pitr.sh BACKUP_DIR WAL_ARCHIVE NEW_PGDATA [TARGET_TIME]}
TARGET=${4:-}

[ -f "$BACKUP/backup_label" ] || { echo "pg-restore-pitr: $BACKUP is not a base backup" >&2; exit 1; }
[ -d "$ARCHIVE" ] || { echo "pg-restore-pitr: no WAL archive at $ARCHIVE" >&2; exit 1; }
if [ -e "$PGDATA_NEW" ] && [ -n "$(ls -A "$PGDATA_NEW" 2>/dev/null)" ]; then
    echo "pg-restore-pitr: $PGDATA_NEW is not empty; restore into a new directory" >&2; exit 1
fi
case "$TARGET" in *"'"*) echo "pg-restore-pitr: bad target time" >&2; exit 1 ;; esac

mkdir -p "$PGDATA_NEW"
chmod 700 "$PGDATA_NEW"
cp -a "$BACKUP/." "$PGDATA_NEW/"
rm -f "$PGDATA_NEW/backup_manifest" "$PGDATA_NEW/postmaster.pid"
ARCHIVE_ABS=$(cd "$ARCHIVE" && pwd)
{
    echo "# --- point-in-time recovery (scripts/pg-restore-pitr.sh, $(date -u +%FT%TZ))"
    echo "restore_command = 'cp \"$ARCHIVE_ABS/%f\" \"%p\"'"
    if [ -n "$TARGET" ]; then
        echo "recovery_target_time = '$TARGET'"
        echo "recovery_target_inclusive = on"
    fi
    echo "recovery_target_action = 'promote'"
    echo "archive_mode = off"
} >> "$PGDATA_NEW/postgresql.auto.conf"
touch "$PGDATA_NEW/recovery.signal"
echo "pg-restore-pitr: $PGDATA_NEW is ready; start it (pg_ctl -D $PGDATA_NEW start) and it replays" \
     "the archive${TARGET:+ up to $TARGET}, then opens read-write" >&2
