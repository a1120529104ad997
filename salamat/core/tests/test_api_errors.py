"""The one JSON error shape, for errors raised by the API and by Django itself."""

from datetime import timedelta

import pytest
from django.utils import timezone

from salamat.accounts.models import ApiClient
from salamat.core.models import AuditLog


def _assert_error(response, status: int, code: str):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == code
    assert body["message"]
    return body


def test_no_token_is_401(api):
    _assert_error(api().get("/api/v1/whoami"), 401, "not_authenticated")


def test_malformed_token_is_401(api):
    _assert_error(api("nonsense").get("/api/v1/whoami"), 401, "invalid_token")


def test_wrong_secret_is_401(api, make_org, make_token):
    token = make_token(make_org("pharmacy"))
    _assert_error(api(token[:-3] + "xyz").get("/api/v1/whoami"), 401, "invalid_token")


def test_revoked_token_is_401(api, make_org, make_token):
    token = make_token(make_org("pharmacy"))
    ApiClient.objects.update(revoked_at=timezone.now())
    _assert_error(api(token).get("/api/v1/whoami"), 401, "token_revoked")


def test_expired_token_is_401(api, make_org, make_token):
    token = make_token(make_org("pharmacy"))
    ApiClient.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    _assert_error(api(token).get("/api/v1/whoami"), 401, "token_expired")


def test_suspended_organization_token_is_403(api, make_org, make_token):
    org = make_org("pharmacy")
    token = make_token(org)
    org.status = "suspended"
    org.save()
    _assert_error(api(token).get("/api/v1/whoami"), 403, "organization_not_active")


def test_unknown_api_path_is_json_404(api):
    body = _assert_error(api().get("/api/v1/no-such-thing"), 404, "not_found")
    assert body["details"]["path"] == "/api/v1/no-such-thing"


def test_wrong_method_is_json_405(api, make_org, make_token):
    token = make_token(make_org("pharmacy"))
    response = api(token).delete("/api/v1/whoami")
    body = _assert_error(response, 405, "method_not_allowed")
    assert "GET" in body["details"]["allowed"]


def test_validation_error_names_the_field(api, make_org, make_token):
    token = make_token(make_org("pharmacy"))
    body = _assert_error(api(token).get("/api/v1/products?page=0"), 422, "validation_error")
    assert body["details"]["fields"][0]["field"] == "page"


def test_oversized_body_is_413_and_nothing_written(api, make_org, make_token, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    org = make_org("pharmacy")
    token = make_token(org)
    before = ApiClient.objects.count(), AuditLog.objects.count()
    response = api(token).post(
        "/api/v1/api-clients", data='{"name": "' + "x" * 2000 + '"}', content_type="application/json"
    )
    _assert_error(response, 413, "body_too_large")
    assert (ApiClient.objects.count(), AuditLog.objects.count()) == before


def test_server_error_is_json_500(api, make_org, make_token, monkeypatch):
    token = make_token(make_org("pharmacy"))
    from salamat.registry import selectors

    def boom(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(selectors, "product_search", boom)
    _assert_error(api(token).get("/api/v1/products"), 500, "server_error")


def test_error_message_follows_accept_language(api):
    ru = api().get("/api/v1/whoami", HTTP_ACCEPT_LANGUAGE="ru").json()["message"]
    en = api().get("/api/v1/whoami", HTTP_ACCEPT_LANGUAGE="en").json()["message"]
    assert en.startswith("Authentication required")
    assert ru != en


def test_request_id_is_echoed(api):
    response = api().get("/api/v1/whoami", HTTP_X_REQUEST_ID="abcdef123456")
    assert response["X-Request-ID"] == "abcdef123456"


@pytest.mark.django_db
def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
