"""The platform's configurable rules: every default defined once, read through one accessor.

``settings.SALAMAT`` holds what the environment (or a test) sets; :func:`setting` falls back to
:data:`DEFAULTS` for anything it does not name, so no caller writes a default of its own.
This module imports nothing from Django at import time: ``settings.py`` reads the defaults too.
"""

from __future__ import annotations

import os
from typing import Any

# name -> default. A comment on each says what it rules.
DEFAULTS: dict[str, Any] = {
    # API tokens expire after this many days unless re-issued (0 = never).
    "API_TOKEN_TTL_DAYS": 365,
    # Traceability: a participant may cancel its own operation within this many days.
    "CANCEL_WINDOW_DAYS": 10,
    # Event times from scanners: at most this far in the future (clock skew) ...
    "EVENT_TIME_SKEW_SECONDS": 300,
    # ... and at most this many days in the past (scanners upload late).
    "EVENT_TIME_MAX_AGE_DAYS": 30,
    # Stock expiring within this many days is flagged "expiring soon".
    "EXPIRING_SOON_DAYS": 90,
    # Citizen check: requests per client address per window on public pages and the public API.
    "PUBLIC_RATE_LIMIT": 120,
    "PUBLIC_RATE_WINDOW_SECONDS": 60,
    # Citizen check: a package sold at most this many days ago reads "sold on … at …" (the buyer
    # checking at home), not "already sold — possibly counterfeit".
    "CHECK_RECENT_SALE_DAYS": 7,
    # Citizen checks are logged in batches of this many rows per worker (1: at once).
    "CHECK_LOG_BATCH": 1,
    # ... and a partial batch is written once its oldest row is this many seconds old.
    "CHECK_LOG_MAX_AGE_SECONDS": 5,
    # Employer verification of a sick leave: (requests, window in seconds) per client address.
    "SICK_LEAVE_VERIFY_RATE": (20, 60),
    # Overrides of the sick-leave rules table (field name -> value); the defaults live in
    # sickleave/rules.py's Rules dataclass, the one place the published local rules are written.
    "SICK_LEAVE_RULES": None,
    # Clinic onboarding: 1 = a reviewer decides, 2 = automated checks and a signature.
    "ONBOARDING_PHASE": 1,
    # EPCIS capture: at most this many events in one document.
    "EPCIS_CAPTURE_LIMIT": 10_000,
    # EPCIS capture: the largest document accepted, in bytes (None: DATA_UPLOAD_MAX_MEMORY_SIZE).
    "EPCIS_CAPTURE_FILE_SIZE_LIMIT": None,
    # EPCIS capture: documents of at most this many events are applied before the 202 answer (a
    # scanner gets its verdict at once); larger ones by the background worker (0: always the worker).
    "EPCIS_SYNC_CAPTURE_MAX_EVENTS": 100,
    # EPCIS capture: consecutive events identical but for their packages and their times merge into
    # one traceability operation when they lie within this many seconds of the run's first (0: only
    # events with the same time merge). Each event keeps its own eventTime; the operation the latest.
    "EPCIS_MERGE_WINDOW_SECONDS": 30,
    # EPCIS capture: consecutive packing, shipping or receiving events that name none of the same
    # codes go to the traceability core as one batch of at most this many events (1: one by one).
    "EPCIS_BATCH_MAX_EVENTS": 1000,
    # Password login: an account, and an address, is locked after this many failed logins ...
    "LOGIN_FAILURE_LIMIT": 5,
    # ... for this many seconds (each failure during the lockout starts it again).
    "LOGIN_LOCKOUT_SECONDS": 900,
    # While the database is unreachable: 503 with Retry-After of this many seconds.
    "OUTAGE_RETRY_AFTER_SECONDS": 5,
    # Which answers the state registries give: "local" stand-ins or "xroad" (Tunduk).
    "TUNDUK_BACKEND": "local",
    # Labelling schemes: each server process re-checks the registry's schemes at most this
    # often (seconds), so a scheme added or changed takes effect everywhere within that time.
    "SCHEME_RELOAD_SECONDS": 2,
    # Patient record: a clinic treats a patient while it has an open encounter, or recorded one
    # within this many months (its doctors may then read the record).
    "RECORD_TREATING_MONTHS": 12,
    # Patient record: the largest FHIR request body accepted, in bytes (attachments included).
    "RECORD_MAX_BODY_BYTES": 5 * 1024 * 1024,
    # Patient record: the largest PDF a DocumentReference may carry, in bytes (decoded).
    "RECORD_MAX_DOCUMENT_BYTES": 4 * 1024 * 1024,
    # Patient record: at most this many entries in one transaction Bundle.
    "RECORD_MAX_BUNDLE_ENTRIES": 1000,
    # Patient record: demographics from the population registry are re-read after this many hours.
    "RECORD_REGISTRY_REFRESH_HOURS": 24,
    # Read replica (REPLICA_DATABASE_URL): after a failed connection, read from the primary for
    # this many seconds before trying the replica again ...
    "REPLICA_DOWN_SECONDS": 5,
    # ... and read from the primary while the replica is more than this many seconds behind,
    "REPLICA_MAX_LAG_SECONDS": 5,
    # measured at most this often per process.
    "REPLICA_LAG_CHECK_SECONDS": 2,
    # /metrics answers these client addresses (REMOTE_ADDR) without the METRICS_TOKEN.
    "METRICS_ALLOWED_ADDRESSES": ("127.0.0.1", "::1"),
    # Event tables (PostgreSQL): monthly partitions are created this many months ahead ...
    "TRACE_PARTITIONS_AHEAD": 3,
    # ... and those that ended more than this many months ago are detached (0: never) ...
    "TRACE_PARTITIONS_KEEP_MONTHS": 60,
    # ... into this schema, from where an operator dumps and drops them.
    "TRACE_ARCHIVE_SCHEMA": "archive",
}

# Settings the environment may set, as integers (the rest are set in settings modules only).
_FROM_ENVIRONMENT_INT = (
    "API_TOKEN_TTL_DAYS",
    "CANCEL_WINDOW_DAYS",
    "EVENT_TIME_SKEW_SECONDS",
    "EVENT_TIME_MAX_AGE_DAYS",
    "EXPIRING_SOON_DAYS",
    "PUBLIC_RATE_LIMIT",
    "PUBLIC_RATE_WINDOW_SECONDS",
    "LOGIN_FAILURE_LIMIT",
    "LOGIN_LOCKOUT_SECONDS",
    "CHECK_LOG_BATCH",
    "ONBOARDING_PHASE",
    "EPCIS_CAPTURE_LIMIT",
    "EPCIS_SYNC_CAPTURE_MAX_EVENTS",
    "EPCIS_MERGE_WINDOW_SECONDS",
    "REPLICA_DOWN_SECONDS",
    "REPLICA_MAX_LAG_SECONDS",
    "REPLICA_LAG_CHECK_SECONDS",
    "TRACE_PARTITIONS_AHEAD",
    "TRACE_PARTITIONS_KEEP_MONTHS",
)


def from_environment(environ: dict[str, str] | None = None, **overrides: Any) -> dict[str, Any]:
    """``settings.SALAMAT`` as the environment sets it; `overrides` replace the defaults."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {**DEFAULTS, **overrides}
    for name in _FROM_ENVIRONMENT_INT:
        if environ.get(name):
            values[name] = int(environ[name])
    if environ.get("TUNDUK_BACKEND"):
        values["TUNDUK_BACKEND"] = environ["TUNDUK_BACKEND"]
    if environ.get("METRICS_ALLOWED_ADDRESSES"):
        values["METRICS_ALLOWED_ADDRESSES"] = tuple(
            a.strip() for a in environ["METRICS_ALLOWED_ADDRESSES"].split(",") if a.strip()
        )
    return values


def setting(name: str) -> Any:
    """The value of platform setting `name`: ``settings.SALAMAT`` first, then its one default."""
    from django.conf import settings  # settings.py imports this module: read Django's lazily

    if name not in DEFAULTS:
        raise KeyError(f"unknown platform setting {name!r}: add it to salamat.core.conf.DEFAULTS")
    return getattr(settings, "SALAMAT", {}).get(name, DEFAULTS[name])
