"""Per-request context (request id, client address) for audit rows written deep in services."""

from __future__ import annotations

import contextvars
import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    ip: str | None = None
    user_agent: str = ""


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "salamat_request", default=None
)


def current() -> RequestContext:
    """The context of the request being served, or a fresh one for commands and tests."""
    ctx = _current.get()
    if ctx is None:
        ctx = RequestContext(request_id=uuid.uuid4().hex)
        _current.set(ctx)
    return ctx


def peek() -> RequestContext | None:
    """The context of the request being served, if any (never creates one: for log records)."""
    return _current.get()


def activate(ctx: RequestContext) -> contextvars.Token:
    return _current.set(ctx)


def deactivate(token: contextvars.Token) -> None:
    _current.reset(token)
