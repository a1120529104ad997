"""Metrics for a monitoring system (Prometheus text format) at /metrics.

Per request (``RequestMetricsMiddleware``, outermost): a counter by method and status, a latency
histogram by route (the URL pattern, never the raw path: bounded label values), a counter of
error answers by status; the same middleware writes one access-log line per request
(logger ``salamat.access``, JSON in production, with the request id). At scrape time: primary up,
replica up and lag, jobs waiting.

Under gunicorn every worker counts for itself; with ``PROMETHEUS_MULTIPROC_DIR`` set (the systemd
unit sets it to a fresh runtime directory) the scrape adds up all workers' files
(prometheus_client's multiprocess mode; gunicorn.conf.py removes a dead worker's live gauges).

/metrics answers the addresses in METRICS_ALLOWED_ADDRESSES (default: this machine) and anyone
sending ``Authorization: Bearer <METRICS_TOKEN>``; everyone else gets 403. The nginx site
refuses /metrics from outside anyway.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from salamat.core.conf import setting

REQUESTS = Counter("salamat_http_requests", "HTTP requests answered", ["method", "status"])
ERRORS = Counter("salamat_http_errors", "HTTP answers with a 4xx or 5xx status", ["status"])
LATENCY = Histogram(
    "salamat_http_request_duration_seconds",
    "Time to answer, by route",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120),
)
PUBLIC_API = "/api/public/"

access_log = logging.getLogger("salamat.access")

# Each label set's child, looked up once: ``labels()`` validates and locks on every call (a
# histogram's costs eight times its ``observe``). Bounded: a client chooses the method.
_CHILDREN: dict[tuple, object] = {}
_CHILDREN_MAX = 2048


def _child(metric, *values: str):
    key = (id(metric), *values)
    child = _CHILDREN.get(key)
    if child is None:
        child = metric.labels(*values)
        if len(_CHILDREN) < _CHILDREN_MAX:
            _CHILDREN[key] = child
    return child


def _route(request: HttpRequest, status: int) -> str:
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return "/" + match.route
    if request.path.startswith(PUBLIC_API) and status < 400:
        return request.path  # answered by the public API's short path; a handful of paths
    return "<unmatched>"


class RequestMetricsMiddleware:
    """Counts, times and logs every request (the outermost middleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            return response
        finally:
            elapsed = time.perf_counter() - started
            route = _route(request, status)
            _child(REQUESTS, request.method, str(status)).inc()
            _child(LATENCY, route).observe(elapsed)
            if status >= 400:
                _child(ERRORS, str(status)).inc()
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(
                    "%s %s %s",
                    request.method,
                    request.path,
                    status,
                    extra={
                        "method": request.method,
                        "path": request.path,
                        "route": route,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                        "request_id": getattr(request, "request_id", "-"),
                    },
                )


class _StateCollector:
    """Gauges read at scrape time (one process answers them: no multiprocess files)."""

    def collect(self):
        from salamat.core.db_routing import replica_configured, replica_lag_seconds
        from salamat.core.health import database_ok, job_queue_depth

        yield GaugeMetricFamily(
            "salamat_database_up", "The primary database answers", value=int(database_ok())
        )
        if replica_configured():
            lag = replica_lag_seconds(fresh=True)
            yield GaugeMetricFamily(
                "salamat_replica_up", "The read replica answers", value=int(lag is not None)
            )
            yield GaugeMetricFamily(
                "salamat_replica_lag_seconds", "How far the read replica is behind (-1: down)",
                value=-1 if lag is None else lag,
            )  # fmt: skip
        try:
            depth = job_queue_depth()
        except Exception:  # noqa: BLE001 - a scrape reports what it can
            depth = None
        if depth is not None:
            yield GaugeMetricFamily("salamat_job_queue_depth", "Jobs waiting for the worker", value=depth)


def _allowed(request: HttpRequest) -> bool:
    token = getattr(settings, "METRICS_TOKEN", "")
    sent = request.META.get("HTTP_AUTHORIZATION", "")
    if token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(
        address in ipaddress.ip_network(net, strict=False) for net in setting("METRICS_ALLOWED_ADDRESSES")
    )


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """The Prometheus text exposition of this server's metrics."""
    if not _allowed(request):
        return HttpResponse("forbidden\n", status=403, content_type="text/plain")
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    state = CollectorRegistry(auto_describe=False)
    state.register(_StateCollector())
    return HttpResponse(generate_latest(counted) + generate_latest(state), content_type=CONTENT_TYPE_LATEST)
