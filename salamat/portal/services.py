"""Writes of the citizen portal: the check log, the rate limit, a citizen's report."""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import threading
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salamat.core.actors import SYSTEM
from salamat.core.audit import audit_record
from salamat.core.conf import setting
from salamat.core.errors import ValidationFailed, field_error
from salamat.core.ratelimit import fixed_window_hit
from salamat.portal import uploads
from salamat.portal.models import CheckLog
from salamat.registry.models import Organization
from salamat.registry.selectors import regulator_organization
from salamat.traceability import services as trace
from salamat.traceability.models import Alert, AlertSeverity
from salamat.traceability.selectors import package_owner_id

# --- check log ----------------------------------------------------------------------------
#
# Every check is logged for the regulator's statistics. Writing one row per check would put a
# commit (and its WAL flush) on the hot path of every citizen's scan, so each worker keeps a
# small buffer and writes it with one multi-row INSERT when it is full or old; a worker that
# stops flushes at exit. `CHECK_LOG_BATCH` = 1 writes at once (tests, development).

_lock = threading.Lock()
_buffer: list[tuple] = []
_oldest = 0.0


def _conf(name: str) -> int:
    return int(setting(name))


def check_log(*, key: str, raw: str, verdict: str, channel: str, region: str = "") -> None:
    """Records one check: the package key, or a hash of input that is no code (never the text)."""
    global _oldest
    if not key:
        key = "sha256:" + hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()[:56]
    entry = (key[:128], str(verdict), str(channel), region[:20], timezone.now())
    with _lock:
        if not _buffer:
            _oldest = time.monotonic()
        _buffer.append(entry)
        due = len(_buffer) >= _conf("CHECK_LOG_BATCH") or time.monotonic() - _oldest > _conf(
            "CHECK_LOG_MAX_AGE_SECONDS"
        )
    if due:
        check_log_flush()


_INSERT = f"INSERT INTO {CheckLog._meta.db_table} (key, verdict, channel, region, created_at) VALUES "  # noqa: S608
_INSERT_ARRAYS = (
    f"INSERT INTO {CheckLog._meta.db_table} (key, verdict, channel, region, created_at) "  # noqa: S608
    "SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::timestamptz[])"
)


def check_log_flush() -> int:
    """Writes the buffered checks with one multi-row INSERT."""
    with _lock:
        batch = _buffer[:]
        _buffer.clear()
    if not batch:
        return 0
    if connection.vendor == "postgresql":
        # One array per column: the statement's text is the same for any number of rows, so
        # neither the driver nor PostgreSQL parses a thousand placeholders at every flush.
        sql, params = _INSERT_ARRAYS, [list(column) for column in zip(*batch, strict=True)]
    else:
        sql = _INSERT + ", ".join(["(%s, %s, %s, %s, %s)"] * len(batch))
        params = [v for row in batch for v in row]
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # Without waiting for the WAL flush: a crash may lose the last fraction of a second
        # of the log, as it loses the rows still buffered here, and the check that happens
        # to flush is not held up by the disk.
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SET LOCAL synchronous_commit TO OFF")
            cur.execute(sql, params)
    else:
        with connection.cursor() as cur:
            cur.execute(sql, params)
    return len(batch)


def _flush_at_exit() -> None:
    with contextlib.suppress(Exception):  # the process is ending; nothing else to do
        check_log_flush()


atexit.register(_flush_at_exit)


# --- rate limit ---------------------------------------------------------------------------
#
# A fixed-window counter per client address in Django's cache: one `add` and one `incr` per
# request. Production sets CACHES to a shared memcached/Redis so every worker counts together
# (with the default local-memory cache each worker counts alone: a looser limit, never a
# stricter one). A database counter would turn every check into a write; a counter that is
# lost when the cache restarts only forgives a few requests.


def rate_limit_hit(*, ip: str | None, bucket: str = "public") -> int:
    """0 when the request may go ahead, else the seconds until the window resets."""
    return fixed_window_hit(
        bucket=bucket,
        ip=ip,
        limit=_conf("PUBLIC_RATE_LIMIT"),
        window=_conf("PUBLIC_RATE_WINDOW_SECONDS"),
    )


# --- report a suspicion -------------------------------------------------------------------

REPORT_KIND = "citizen_report"
PROBLEMS = ("counterfeit", "already_sold", "damaged", "expired", "side_effects", "price", "other")


def _regulator() -> Organization:
    org = regulator_organization()
    if org is None:
        raise ValidationFailed("no_regulator", _("Reports cannot be received right now."))
    return org


@transaction.atomic
def report_create(
    *,
    key: str,
    verdict: str,
    problem: str,
    description: str = "",
    where_bought: str = "",
    region: str = "",
    phone: str = "",
    photo=None,
) -> Alert:
    """A citizen's suspicion about a package, raised as an alert for the regulator, with the
    check's context. The alert is filed under the holder of the package when there is one
    (so the regulator sees which participant it concerns), else under the regulator."""
    if problem not in PROBLEMS:
        raise field_error("problem", "bad_problem", _("Choose what is wrong."))
    phone = "".join(ch for ch in phone if ch.isdigit() or ch == "+")
    if phone and not 7 <= len(phone.lstrip("+")) <= 15:
        raise field_error(
            "phone", "bad_phone", _("Enter a phone number of 7 to 15 digits, or leave it empty.")
        )
    stored = None
    if photo is not None:
        kind = uploads.check_image(photo)  # raises before anything is written
        stored = _store_photo(photo, kind)
    owner_id = package_owner_id(key=key) if key else None
    organization_id = owner_id or _regulator().pk
    (alert,) = trace.alerts_record(
        [
            {
                "kind": REPORT_KIND,
                "severity": AlertSeverity.HIGH if problem in ("counterfeit", "already_sold") else AlertSeverity.MEDIUM,
                "organization_id": organization_id,
                "operation": "check",
                "codes": [key] if key else [],
                "details": {
                    "verdict": verdict, "problem": problem, "description": description[:2000],
                    "where_bought": where_bought[:300], "region": region[:20], "phone": phone, "photo": stored or "",
                },
            }
        ]
    )  # fmt: skip
    audit_record(
        actor=SYSTEM, action="portal.report", obj=alert, changes={"verdict": verdict, "problem": problem}
    )
    return alert


def _store_photo(photo, kind: str) -> str:
    """Keeps the photo outside the web root; the alert holds its relative path."""
    relative = Path("portal") / "reports" / f"{uuid.uuid4().hex}.{kind}"
    target = Path(settings.MEDIA_ROOT) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    photo.seek(0)
    with target.open("wb") as out:
        for chunk in photo.chunks() if hasattr(photo, "chunks") else [photo.read()]:
            out.write(chunk)
    return str(relative)
