"""Idempotency-Key: a retry of a write gets the stored answer, never a second write.

A retry may arrive while the first request is still running (a client that timed out and
resent, five times at once). Each write therefore claims its key inside its transaction before
it touches anything else: the requests with one key run one after the other, and every one
after the first finds the first one's stored answer instead of racing it for the same rows
(which it would lose with `already_sold` and a false fraud alert).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from salamat.core.actors import Actor
from salamat.core.errors import Conflict
from salamat.traceability.models import IdempotencyRecord


@dataclass(frozen=True)
class Idempotency:
    """An `Idempotency-Key` and the hash of the request it came with."""

    key: str
    request_hash: str


def request_hash(method: str, path: str, body: Any) -> str:
    """SHA-256 of the method, path and canonical JSON body: same request, same hash."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def idempotent_call(*, actor: Actor, idempotency: Idempotency | None, run: Callable[[], dict]) -> dict:
    """Runs `run` (a write answering a JSON-ready dict) at most once per `Idempotency-Key`:
    a retry with the same request gets the stored answer, a different request a 409."""
    if idempotency is None:
        return run()
    org = actor.require_organization()
    replay = _idempotent_replay(org.pk, idempotency)
    if replay is not None:
        return replay
    with transaction.atomic():
        replay = idempotency_claim(org.pk, idempotency)
        if replay is not None:
            return replay
        answer = run()
        IdempotencyRecord.objects.create(
            organization=org, key=idempotency.key, request_hash=idempotency.request_hash, response=answer
        )
    return answer


def _idempotent_replay(org_id: int, idem: Idempotency) -> dict | None:
    record = IdempotencyRecord.objects.filter(organization_id=org_id, key=idem.key).first()
    if record is None:
        return None
    if record.request_hash != idem.request_hash:
        raise Conflict(
            "idempotency_key_reused",
            _("This Idempotency-Key was already used for a different request."),
            details={"idempotency_key": idem.key},
        )
    return {**record.response, "replayed": True}


def idempotency_claim(org_id: int, idem: Idempotency) -> dict | None:
    """Inside a write's transaction, before it locks anything: waits until no other request
    with this key is running, then answers that request's stored answer if it committed one
    (None: go ahead; the write stores its own answer before it commits)."""
    _lock_key(org_id, idem.key)
    return _idempotent_replay(org_id, idem)


def _lock_key(org_id: int, key: str) -> None:
    """A PostgreSQL advisory lock on (organisation, key), held until the transaction ends. The
    lock id is a stable hash (the same in every worker process); two keys sharing one only wait
    for each other. SQLite runs one write transaction at a time: nothing to do."""
    if connection.vendor != "postgresql":
        return
    digest = hashlib.blake2b(f"idempotency:{org_id}:{key}".encode(), digest_size=8).digest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest, "big", signed=True)])
