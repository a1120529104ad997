#!/usr/bin/env bash
# The whole check: ruff, import contracts, migrations up to date, translations compiled, then the
# whole test suite (browser tests included) against a throwaway PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export SALAMAT_MODE=test
start=$(date +%s)

echo "== system packages"
bash scripts/system-deps.sh

echo "== ruff"
$BIN/ruff check .
$BIN/ruff format --check .

echo "== import contracts (layers; pure modules import no Django)"
$BIN/lint-imports --no-cache --no-logo

echo "== migrations are up to date"
$BIN/python manage.py makemigrations --check --dry-run

echo "== translation catalogues compile"
$BIN/python manage.py compilemessages --ignore ".venv" --ignore "var" >/dev/null

export SALAMAT_BROWSER_TESTS=1

echo "== test suite on PostgreSQL"
scripts/with-postgres.sh $BIN/pytest -q -p no:randomly "$@"
echo "== test.sh took $(( $(date +%s) - start )) s"
