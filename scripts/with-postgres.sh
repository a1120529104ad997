#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL cluster and always removes the cluster.
#   scripts/with-postgres.sh <command...>
# The cluster lives in a fresh temporary directory, listens on a free loopback port and
# on a Unix socket in that directory; DATABASE_URL is exported to the command.
set -euo pipefail

find_bin() {
    local name=$1
    if command -v "$name" >/dev/null 2>&1 && "$name" --version >/dev/null 2>&1; then
        command -v "$name"; return
    fi
    local candidate
    for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$candidate/$name" ]; then echo "$candidate/$name"; return; fi
    done
    return 1
}

if ! find_bin initdb >/dev/null; then
    echo "with-postgres: no PostgreSQL server binaries found; installing Debian's postgresql" >&2
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    else
        echo "with-postgres: run 'sudo apt-get install postgresql' first" >&2; exit 1
    fi
fi
INITDB=$(find_bin initdb)
PG_CTL=$(find_bin pg_ctl)

RUN_AS=()
if [ "$(id -u)" = 0 ]; then
    # initdb refuses to run as root; Debian's postgresql package creates this user.
    id postgres >/dev/null 2>&1 || useradd --system --home /var/lib/postgresql --shell /bin/sh postgres
    RUN_AS=(runuser -u postgres --)
fi

PGDIR=$(mktemp -d "${TMPDIR:-/tmp}/salamat-pg.XXXXXX")
chmod 755 "$PGDIR"
[ "${#RUN_AS[@]}" -gt 0 ] && chown postgres "$PGDIR"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

cleanup() {
    "${RUN_AS[@]}" "$PG_CTL" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PGDIR"
}
trap cleanup EXIT INT TERM

"${RUN_AS[@]}" "$INITDB" -D "$PGDIR/data" -U salamat --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
# Settings for a disposable test cluster: durability off, enough connections for
# the browser tests' live server and the concurrency tests. PG_SHARED_BUFFERS sizes the buffer
# cache (512MB by default; the scale bench sizes it as production is: a quarter of memory, and
# random_page_cost 1.1 for SSD — deploy/postgresql/salamat.conf).
SHARED_BUFFERS=${PG_SHARED_BUFFERS:-512MB}
EFFECTIVE_CACHE=${PG_EFFECTIVE_CACHE_SIZE:-4GB}
RANDOM_PAGE_COST=${PG_RANDOM_PAGE_COST:-4}
# PG_DURABLE=1: production's durability instead (every commit flushed to disk), for benchmarks
# that should say what it costs.
DURABILITY="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
[ "${PG_DURABLE:-0}" = 1 ] && DURABILITY="-c fsync=on -c synchronous_commit=on -c full_page_writes=on"
"${RUN_AS[@]}" "$PG_CTL" -D "$PGDIR/data" -l "$PGDIR/server.log" -w -t 60 start -o \
    "-p $PORT -k $PGDIR -c listen_addresses=127.0.0.1 $DURABILITY \
     -c max_connections=200 -c shared_buffers=$SHARED_BUFFERS -c work_mem=32MB \
     -c effective_cache_size=$EFFECTIVE_CACHE -c random_page_cost=$RANDOM_PAGE_COST \
     -c maintenance_work_mem=256MB -c max_wal_size=4GB" >/dev/null

export DATABASE_URL="postgres://salamat@127.0.0.1:$PORT/salamat"
"${RUN_AS[@]}" "$(dirname "$INITDB")/createdb" -h 127.0.0.1 -p "$PORT" -U salamat salamat 2>/dev/null \
    || psql "postgres://salamat@127.0.0.1:$PORT/postgres" -qc "CREATE DATABASE salamat" >/dev/null
echo "with-postgres: PostgreSQL $("$(dirname "$INITDB")/postgres" --version | awk '{print $3}') on port $PORT" >&2
set +e
"$@"
status=$?
set -e
exit $status
