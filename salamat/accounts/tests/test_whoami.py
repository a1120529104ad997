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


def test_regulator_may_revoke_another_organizations_token(make_org, make_user, make_token, api):
    from salamat.accounts.models import ApiClient
    from salamat.accounts.selectors import actor_for_user
    from salamat.accounts.services import api_client_revoke

    # given a pharmacy's token and a regulator of the ministry
    token = make_token(make_org("pharmacy"))
    regulator = make_user("regulator", make_org("ministry"))
    client = ApiClient.objects.get()
    # when the regulator revokes it
    api_client_revoke(actor=actor_for_user(regulator), client=client)
    # then the token stops working at once
    assert api(token).get("/api/v1/whoami").json()["code"] == "token_revoked"


def test_another_pharmacy_may_not_revoke_a_token(make_org, make_user, make_token):
    import pytest

    from salamat.accounts.models import ApiClient
    from salamat.accounts.selectors import actor_for_user
    from salamat.accounts.services import api_client_revoke
    from salamat.core.errors import PermissionDenied

    make_token(make_org("pharmacy"))
    stranger = make_user("org_admin", make_org("pharmacy"))
    with pytest.raises(PermissionDenied) as exc:
        api_client_revoke(actor=actor_for_user(stranger), client=ApiClient.objects.get())
    assert exc.value.code == "not_organization_admin"
    assert ApiClient.objects.get().revoked_at is None
