"""Property-based probes of the whole API from its own OpenAPI documents (schemathesis).

Every operation of /api/v1/ and /api/public/ gets EXAMPLES generated requests, valid and
invalid (derandomized: the same requests on every run), sent through the real stack to the test
database with an organisation's API token. Checks on every answer: no 5xx; every error in the
one shape {code, message, details}; answers that the document describes match its schema."""

from __future__ import annotations

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

EXAMPLES = 10
# Generated examples only (valid and invalid, `max_examples` per operation): schemathesis's
# explicit phase adds an unbounded number of boundary cases per parameter.
PROBE_SETTINGS = settings(
    max_examples=EXAMPLES,
    phases=[Phase.generate],
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)

# Whose token each operation is called with: the organisation type whose duty it is.
_CALLER_BY_PREFIX = (
    ("/api/v1/sick-leaves", "medical"),
    ("/api/v1/me/", "medical"),
    ("/api/v1/social-fund/", "social_fund"),
    ("/api/v1/onboarding/review", "ministry"),
    ("/api/v1/recalls", "ministry"),
    ("/api/v1/alerts", "ministry"),
    ("/api/v1/stats", "ministry"),
    ("/api/v1/packages/introduce", "importer"),
    ("/api/v1/stickers", "importer"),
    ("/api/v1/containers", "wholesaler"),
    ("/api/v1/shipments", "wholesaler"),
)


def caller_type(path: str) -> str:
    return next((t for prefix, t in _CALLER_BY_PREFIX if path.startswith(prefix)), "pharmacy")


def error_shape(ctx, response, case) -> bool | None:
    """Every 4xx/5xx answer of a JSON endpoint is {code, message, details} with a snake_case code."""
    if response.status_code < 400:
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(
            f"{response.status_code} answer is not JSON: {response.content[:200]!r}"
        ) from None
    assert isinstance(body, dict) and set(body) == {"code", "message", "details"}, body
    assert body["code"] and body["code"].replace("_", "").isalnum() and body["code"].islower(), body
    assert isinstance(body["message"], str) and body["message"], body
    return True


CHECKS = [not_a_server_error, response_schema_conformance, error_shape]


def _schema(path: str):
    from django.core.wsgi import get_wsgi_application

    # Loaded through the application itself (no server): the document the code serves now.
    return schemathesis.openapi.from_wsgi(path, get_wsgi_application())


@pytest.fixture
def tokens(make_org, make_token, make_product):
    """One API token per organisation type, made once per test (the product gives searches a hit)."""
    make_product(trade_name="Aspirin probe")
    made: dict[str, str] = {}

    def _token(org_type: str) -> str:
        if org_type not in made:
            made[org_type] = make_token(make_org(org_type))
        return made[org_type]

    return _token


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    # The application is called in this process, inside the test's transaction: Django must not
    # close the connection at the end of each request (its test client does the same).
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    # the probes send hundreds of requests from one address: limits are tested elsewhere
    settings.SALAMAT = {**settings.SALAMAT, "PUBLIC_RATE_LIMIT": 0, "SICK_LEAVE_VERIFY_RATE": (0, 60)}


v1 = _schema("/api/v1/openapi.json")
public = _schema("/api/public/openapi.json")


@pytest.mark.postgres_only
@v1.parametrize()
@PROBE_SETTINGS
def test_every_v1_operation(case, tokens):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {tokens(caller_type(case.path))}"}, checks=CHECKS
    )


@pytest.mark.postgres_only
@public.parametrize()
@PROBE_SETTINGS
def test_every_public_operation(case, db):
    case.call_and_validate(checks=CHECKS)
