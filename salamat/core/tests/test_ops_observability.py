"""What a monitoring system sees: /metrics (protected; request rate, latency, errors by status,
database, replica and job queue state), /readyz, and JSON log lines carrying the request id."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.conf import settings as django_settings
from django.db import connections
from django.utils.module_loading import import_string
from prometheus_client.parser import text_string_to_metric_families

from salamat.core import db_routing
from salamat.core.db_routing import REPLICA

LOCAL = {"REMOTE_ADDR": "127.0.0.1"}
OUTSIDE = {"REMOTE_ADDR": "203.0.113.7"}


def _samples(client, **extra) -> dict[tuple, float]:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    out = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


@pytest.mark.django_db
def test_metrics_count_requests_latency_and_errors_by_status(client):
    before = _samples(client, **LOCAL)
    ok = (("method", "GET"), ("status", "200"))
    # when: two answered requests and one unknown page
    assert client.get("/healthz").status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/no-such-thing").status_code == 404
    after = _samples(client, **LOCAL)
    # then: counted by method and status, timed by route, errors by status
    assert (
        after[("salamat_http_requests_total", ok)] >= before.get(("salamat_http_requests_total", ok), 0) + 2
    )
    assert (
        after[("salamat_http_errors_total", (("status", "404"),))]
        == before.get(("salamat_http_errors_total", (("status", "404"),)), 0) + 1
    )
    count = ("salamat_http_request_duration_seconds_count", (("route", "/healthz"),))
    assert after[count] == before.get(count, 0) + 2
    assert ("salamat_http_request_duration_seconds_bucket", (("le", "0.05"), ("route", "/healthz"))) in after
    assert after[("salamat_database_up", ())] == 1
    # no replica configured: no replica gauges
    assert not any(name.startswith("salamat_replica") for name, _ in after)


@pytest.mark.django_db
def test_metrics_are_refused_to_strangers_and_answered_with_the_token(client, settings):
    settings.METRICS_TOKEN = "metrics-test-token-0123456789"
    refused = client.get("/metrics", **OUTSIDE)
    assert refused.status_code == 403 and b"salamat_" not in refused.content
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong", **OUTSIDE).status_code == 403
    allowed = client.get("/metrics", HTTP_AUTHORIZATION="Bearer metrics-test-token-0123456789", **OUTSIDE)
    assert allowed.status_code == 200 and b"salamat_http_requests_total" in allowed.content
    # a monitoring network may be allowed by address
    settings.SALAMAT = {**settings.SALAMAT, "METRICS_ALLOWED_ADDRESSES": ("203.0.113.0/24",)}
    assert client.get("/metrics", **OUTSIDE).status_code == 200
    assert client.get("/metrics", **LOCAL).status_code == 403


@pytest.mark.django_db
def test_readiness_reports_the_database_the_replica_and_the_job_queue(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["replica"] == {"configured": False}
    assert set(body["jobs"]) <= {"configured", "queue_depth"}


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_dead_replica_is_reported_and_the_server_stays_ready(client):
    from salamat.core.tests.pgcluster import allow_alias_in_running_test, free_port

    # given: a replica configured at an address where nothing listens
    connections.settings[REPLICA] = {**connections["default"].settings_dict, "PORT": str(free_port())}
    connections.settings[REPLICA]["OPTIONS"] = {"connect_timeout": 2}
    allow_alias_in_running_test(REPLICA)
    db_routing.reset_health()
    try:
        # then: ready (reads fall back to the primary), the replica reported down, in both places
        response = client.get("/readyz")
        assert response.status_code == 200
        assert response.json()["replica"] == {"configured": True, "status": "down"}
        samples = _samples(client, **LOCAL)
        assert samples[("salamat_replica_up", ())] == 0
        assert samples[("salamat_replica_lag_seconds", ())] == -1
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]
        del connections.settings[REPLICA]
        db_routing.reset_health()


@pytest.mark.django_db
def test_log_lines_are_json_with_the_request_id(client):
    # given: the console handler's formatter and filter as settings.LOGGING configures them
    config = django_settings.LOGGING
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(import_string(config["formatters"]["json"]["()"])())
    handler.addFilter(import_string(config["filters"]["request_id"]["()"])())
    loggers = [logging.getLogger("salamat.access"), logging.getLogger("django.request")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.INFO)
    try:
        # when: a request with the client's request id, to a page that does not exist
        response = client.get("/no-such-page", HTTP_X_REQUEST_ID="ops-test-request-0001")
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.removeHandler(handler)
            lg.setLevel(level)
    assert response["X-Request-ID"] == "ops-test-request-0001"
    # then: every line is one JSON object, and both lines carry the request id
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    by_logger = {line["logger"]: line for line in lines}
    assert by_logger["django.request"]["request_id"] == "ops-test-request-0001"
    assert by_logger["django.request"]["level"] == "WARNING"
    access = by_logger["salamat.access"]
    assert access["request_id"] == "ops-test-request-0001"
    assert access["status"] == 404 and access["path"] == "/no-such-page" and access["method"] == "GET"
    assert access["duration_ms"] >= 0 and access["time"].endswith("+00:00")


def test_the_settings_log_json_in_production():
    import subprocess
    import sys

    env = {
        "SALAMAT_MODE": "production", "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "example.org",
        "DATABASE_URL": "sqlite:///:memory:", "PATH": "/usr/bin:/bin",
    }  # fmt: skip
    code = (
        "from django.conf import settings; import django; django.setup(); "
        "print(settings.LOGGING['handlers']['console']['formatter'], settings.MIDDLEWARE[0])"
    )
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], env={**env, "DJANGO_SETTINGS_MODULE": "salamat.settings"},
        capture_output=True, text=True, check=True, cwd=django_settings.BASE_DIR,
    ).stdout.split()  # fmt: skip
    assert out == ["json", "salamat.core.metrics.RequestMetricsMiddleware"]
