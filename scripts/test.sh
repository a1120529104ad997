#!/usr/bin/env bash
# The whole check: ruff, import contracts, migrations up to date, translations compiled, then the
# whole test suite (browser tests included) against a throwaway PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export SALAMAT_MODE=test
start=$(date +%s)

echo "== ruff"
$BIN/ruff check .
$BIN/ruff format --check .

echo "== import contracts (layers; pure modules import no Django)"
$BIN/lint-imports --no-cache --no-logo

echo "== migrations are up to date"
$BIN/python manage.py makemigrations --check --dry-run

echo "== translation catalogues compile"
$BIN/python manage.py compilemessages --ignore ".venv" --ignore "var" >/dev/null

if [ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1; then
    export SALAMAT_BROWSER_TESTS=1
else
    echo "test.sh: chromium not installed; browser tests will FAIL (install Debian's chromium)" >&2
    export SALAMAT_BROWSER_TESTS=1
fi

echo "== test suite on PostgreSQL"
scripts/with-postgres.sh $BIN/pytest -q -p no:randomly "$@"
echo "== test.sh took $(( $(date +%s) - start )) s"
