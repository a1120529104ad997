"""An organisation's staff page is its administrators' only, whatever the method (issue 14, item 7)."""

import pytest

from conftest import TEST_PASSWORD
from salamat.accounts.models import Membership
from salamat.onboarding.models import PendingMembership


@pytest.mark.parametrize("role", [None, "doctor", "org_admin_elsewhere"])
@pytest.mark.parametrize("method", ["get", "post_empty", "post_invite"])
def test_a_non_admin_gets_404_and_no_staff_list(client, make_org, make_user, role, method):
    # given a clinic with a doctor, and someone logged in who is not its administrator
    clinic = make_org("medical")
    doctor = make_user("doctor", clinic, username="dr-secret-name")
    doctor.last_name = "Secretova"
    doctor.save()
    if role == "org_admin_elsewhere":
        visitor = make_user("org_admin", make_org("medical"))
    else:
        visitor = make_user(role, clinic if role else None)
    assert client.login(username=visitor.username, password=TEST_PASSWORD)
    members_before = Membership.objects.count()
    url = f"/onboarding/organizations/{clinic.external_id}/staff/"
    # when they open or post to the clinic's staff page
    if method == "get":
        response = client.get(url)
    elif method == "post_empty":
        response = client.post(url, {})
    else:
        response = client.post(url, {"pin": "21505199012345", "role": "doctor"})
    # then: not found, no names, nothing changed
    assert response.status_code == 404
    assert b"dr-secret-name" not in response.content
    assert b"Secretova" not in response.content
    assert Membership.objects.count() == members_before
    assert not PendingMembership.objects.exists()


def test_the_admin_still_sees_the_staff_list(client, make_org, make_user):
    clinic = make_org("medical")
    make_user("doctor", clinic)
    admin = make_user("org_admin", clinic)
    assert client.login(username=admin.username, password=TEST_PASSWORD)
    response = client.post(f"/onboarding/organizations/{clinic.external_id}/staff/", {})
    assert response.status_code == 200
    assert b"Person1" in response.content
