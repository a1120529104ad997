"""A write without credentials is 401, not a CSRF refusal; a session write still needs its CSRF
token (issue 14, item 9)."""

from django.test import Client


def _error(response):
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    return response.status_code, body["code"]


def test_a_post_without_token_or_session_is_401():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/api/v1/api-clients", {"name": "x"}, content_type="application/json")
    assert _error(response) == (401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_post_with_a_token_needs_no_csrf(make_org, make_token):
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {make_token(make_org('pharmacy'))}")
    response = client.post("/api/v1/api-clients", {"name": "x"}, content_type="application/json")
    # an API client is not an administrator: refused by the rule, not by CSRF
    assert _error(response) == (403, "not_organization_admin")


def test_a_logged_in_session_post_without_csrf_token_is_refused(make_org, make_user):
    from conftest import TEST_PASSWORD

    admin = make_user("org_admin", make_org("pharmacy"))
    client = Client(enforce_csrf_checks=True)
    assert client.login(username=admin.username, password=TEST_PASSWORD)
    response = client.post("/api/v1/api-clients", {"name": "x"}, content_type="application/json")
    assert _error(response) == (403, "csrf_failed")
    from salamat.accounts.models import ApiClient

    assert not ApiClient.objects.exists()
