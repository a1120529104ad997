# Salamat — targets a newcomer can guess.  `make run`, `make test`, `make bench`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PACKAGES ?= 100000
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help venv run dev-setup test test-ops test-quick lint format migrations-check messages bench clean serve

help:
	@echo "make run        start the platform on SQLite with demo data (http://$(HOST):$(PORT)/) and its job worker"
	@echo "make test       whole suite on a throwaway PostgreSQL + ruff + migrations check"
	@echo "make test-quick the suite on SQLite, no browser tests"
	@echo "make test-ops   operations tests alone: replica, backup/restore, metrics, deploy files (PostgreSQL)"
	@echo "make bench      benchmarks on a throwaway PostgreSQL (PACKAGES=$(PACKAGES))"
	@echo "make lint       ruff check + format check"
	@echo "make messages   extract and compile the ru/ky/en translation catalogues"

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

venv: $(VENV)/.installed

dev-setup: venv
	SALAMAT_MODE=development $(BIN)/python manage.py dev_setup

run: dev-setup
	SALAMAT_MODE=development $(BIN)/python manage.py dev_banner --host $(HOST) --port $(PORT)
	@# The job runner's worker (salamat/core/jobs.py) runs beside the web server and stops with it;
	@# jobs a killed worker left unfinished are queued again first.
	SALAMAT_MODE=development $(BIN)/python manage.py epcis_capture_resume
	@SALAMAT_MODE=development $(BIN)/python manage.py db_worker --no-reload --interval 0.5 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	echo "job worker started (pid $$worker)"; \
	SALAMAT_MODE=development $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: venv
	bash scripts/test.sh

test-ops: venv
	SALAMAT_MODE=test scripts/with-postgres.sh $(BIN)/pytest -q salamat/core/tests/test_ops_replica.py \
		salamat/core/tests/test_ops_backup.py salamat/core/tests/test_ops_distribution.py \
		salamat/core/tests/test_ops_observability.py salamat/core/tests/test_ops_deploy.py

test-quick: venv
	SALAMAT_MODE=test $(BIN)/pytest -q -m "not browser" -x

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: venv
	SALAMAT_MODE=test $(BIN)/python manage.py makemigrations --check --dry-run

messages: venv
	@# One catalogue per app (salamat/<app>/locale), English msgids; fill ru and ky, then compile.
	@for app in salamat/*/; do \
		if [ -d "$$app/locale" ]; then \
			(cd "$$app" && SALAMAT_MODE=development ../../$(BIN)/python ../../manage.py makemessages \
				-l ru -l ky -l en --no-obsolete --no-location >/dev/null) || exit 1; \
		fi; \
	done
	SALAMAT_MODE=development $(BIN)/python manage.py compilemessages --ignore .venv --ignore var

# The scale bench's cluster is sized as deploy/postgresql/salamat.conf sizes production: a quarter of
# memory for PostgreSQL's buffer cache, three quarters as the planner's estimate of the OS cache,
# random reads priced for SSD.
BENCH_SHARED_BUFFERS ?= $(shell awk '/^MemTotal/ {print int($$2 / 4096) "MB"}' /proc/meminfo 2>/dev/null || echo 512MB)
BENCH_CACHE_SIZE ?= $(shell awk '/^MemTotal/ {print int($$2 * 3 / 4096) "MB"}' /proc/meminfo 2>/dev/null || echo 4GB)

# Up to 100,000 packages: every benchmark. More: the scale bench alone (history of 100,000 and of
# PACKAGES loaded, the same figures measured at both and printed side by side).
bench: venv
	@if [ "$(PACKAGES)" -gt 100000 ]; then \
		PACKAGES=$(PACKAGES) PG_SHARED_BUFFERS=$(BENCH_SHARED_BUFFERS) PG_EFFECTIVE_CACHE_SIZE=$(BENCH_CACHE_SIZE) PG_RANDOM_PAGE_COST=1.1 \
			scripts/with-postgres.sh $(BIN)/python -m bench scale --packages $(PACKAGES); \
	else \
		PACKAGES=$(PACKAGES) scripts/with-postgres.sh $(BIN)/python -m bench all --packages $(PACKAGES); \
	fi

clean:
	rm -rf var/salamat.sqlite3* var/static
