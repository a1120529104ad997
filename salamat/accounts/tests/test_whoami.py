def test_whoami_with_token(api, make_org, make_token):
    org = make_org("pharmacy")
    body = api(make_token(org, "till 1")).get("/api/v1/whoami").json()
    assert body["kind"] == "api_client"
    assert body["name"] == "till 1"
    assert body["organization"]["tax_id"] == org.tax_id
    assert body["roles"] == ["pharmacist", "warehouse_operator"]


def test_whoami_with_session(client, make_org, make_user):
    from conftest import TEST_PASSWORD

    org = make_org("medical")
    user = make_user("doctor", org)
    assert client.login(username=user.username, password=TEST_PASSWORD)
    body = client.get("/api/v1/whoami").json()
    assert body["kind"] == "user"
    assert body["roles"] == ["doctor"]
    assert body["organization"]["org_type"] == "medical"
