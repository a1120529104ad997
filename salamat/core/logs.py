"""Structured logs: one JSON object per line, each carrying the id of the request it belongs to.

``RequestIdFilter`` puts the request id (the X-Request-ID answered to the client, see
core/middleware.py) on every record: the record's own ``request`` first (Django logs 4xx/5xx
answers after the middleware has finished), else the request being served. ``JsonFormatter``
writes the record as JSON. settings.LOGGING wires both to the console handler; journald (or any
collector) stores the lines as they are.
"""

from __future__ import annotations

import logging

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from salamat.core import context


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        request_id = getattr(record, "request_id", None)  # given explicitly (the access log)
        if not request_id:  # Django's own records about a request carry it
            request_id = getattr(getattr(record, "request", None), "request_id", None)
        if not request_id:
            ctx = context.peek()
            request_id = ctx.request_id if ctx is not None else None
        record.request_id = request_id or "-"
        return True


class JsonFormatter(_JsonFormatter):
    """{"time", "level", "logger", "message", "request_id", ...extra fields} on one line."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("fmt", "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s")
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        # Django passes the request object itself as an extra; it is no log field.
        kwargs.setdefault("reserved_attrs", [*_reserved(), "request", "server_time"])
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(*args, **kwargs)

    def formatTime(self, record, datefmt=None):  # noqa: N802 - logging's name
        from datetime import UTC, datetime

        return datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds")


def _reserved() -> list[str]:
    from pythonjsonlogger.core import RESERVED_ATTRS

    return list(RESERVED_ATTRS)
