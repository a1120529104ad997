"""Issuing an API client through the API: one transaction, the token shown once (issue 14, item 5)."""

from conftest import TEST_PASSWORD
from salamat.accounts.models import ApiClient
from salamat.accounts.selectors import api_client_authenticate


def test_an_admin_issues_a_client_and_sees_its_token_once(client, make_org, make_user):
    # given an organisation's administrator, logged in
    org = make_org("pharmacy")
    admin = make_user("org_admin", org)
    assert client.login(username=admin.username, password=TEST_PASSWORD)
    # when they issue a client through the API
    response = client.post("/api/v1/api-clients", {"name": "POS till 2"}, content_type="application/json")
    # then the answer carries the token, which works, and only its hash is stored
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "POS till 2"
    assert body["token"].startswith("slm_")
    stored = ApiClient.objects.get()
    assert str(stored.external_id) == body["id"]
    assert body["token"] not in {stored.token_hash, stored.token_prefix}
    assert api_client_authenticate(body["token"]).pk == stored.pk
    # and the list never shows it again
    listed = client.get("/api/v1/api-clients").json()
    assert [item["id"] for item in listed] == [body["id"]]
    assert "token" not in listed[0]


def test_a_refused_issue_stores_nothing(client, make_org, make_user):
    org = make_org("pharmacy")
    doctor = make_user("pharmacist", org)
    assert client.login(username=doctor.username, password=TEST_PASSWORD)
    response = client.post("/api/v1/api-clients", {"name": "x"}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "not_organization_admin"
    assert not ApiClient.objects.exists()
