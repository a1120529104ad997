#!/usr/bin/env bash
# Takes a verified base backup of the PostgreSQL server, for point-in-time recovery together
# with the WAL archive (docs/operations.md, "Backups").
#
#   scripts/pg-backup.sh BACKUP_ROOT
#
# Connects with libpq's environment (PGHOST, PGPORT, PGUSER; a role with REPLICATION).
# Writes BACKUP_ROOT/base-<UTC time>/ (plain format with the WAL it needs, checked with
# pg_verifybackup against its manifest) and prints that directory. Then keeps the newest
# BACKUP_KEEP backups (default 7) and, when WAL_ARCHIVE names the WAL archive, removes the
# archived WAL older than the oldest backup kept (pg_archivecleanup).
# Run it as the server's owner (postgres), e.g. from deploy/systemd/salamat-backup.timer.
set -euo pipefail

find_bin() {
    local name=$1 candidate
    for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$candidate/$name" ]; then echo "$candidate/$name"; return; fi
    done
    command -v "$name" || { echo "pg-backup: $name not found (apt-get install postgresql)" >&2; exit 1; }
}

ROOT=${1:?usage: pg-backup.sh BACKUP_ROOT}
KEEP=${BACKUP_KEEP:-7}
mkdir -p "$ROOT"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
DEST="$ROOT/base-$STAMP"
trap 'rm -rf "$DEST.partial"' EXIT

# -X stream: the backup carries the WAL written while it was taken, so it restores on its own;
# -c fast: start at once with an immediate checkpoint instead of waiting for the next one.
"$(find_bin pg_basebackup)" -D "$DEST.partial" -Fp -X stream -c fast --label "salamat $STAMP" >&2
"$(find_bin pg_verifybackup)" --quiet "$DEST.partial" >&2
mv "$DEST.partial" "$DEST"
echo "$DEST"

# Retention: the newest $KEEP backups, and the archived WAL that the oldest of them needs.
mapfile -t backups < <(ls -d "$ROOT"/base-* 2>/dev/null | grep -v '\.partial$' | sort)
if [ "${#backups[@]}" -gt "$KEEP" ]; then
    for old in "${backups[@]:0:${#backups[@]}-KEEP}"; do rm -rf "$old"; done
    backups=("${backups[@]: -KEEP}")
fi
if [ -n "${WAL_ARCHIVE:-}" ] && [ "${#backups[@]}" -gt 0 ]; then
    oldest_wal=$(sed -n 's/^START WAL LOCATION: .* (file \([0-9A-F]*\))$/\1/p' "${backups[0]}/backup_label")
    [ -n "$oldest_wal" ] && "$(find_bin pg_archivecleanup)" "$WAL_ARCHIVE" "$oldest_wal"
fi
