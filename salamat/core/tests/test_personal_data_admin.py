"""Least privilege in the admin: ministry staff see masked PINs, e-mails and phone numbers; a
person whose duty needs them holds `core.reveal_personal_data`, and each reveal is audited
(issue 14, item 8)."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from salamat.core.models import AuditLog

PIN, EMAIL, PHONE = "21207198500099", "aigul.citizen@example.kg", "+996555123499"


@pytest.fixture
def citizen(make_user):
    user = make_user(pin=PIN)
    user.email, user.phone = EMAIL, PHONE
    user.save()
    return user


@pytest.fixture
def staff_client(make_user):
    """A logged-in member of the demo 'Ministry staff' group (the reviewer's), plus `extra` perms."""
    from salamat.accounts.demo import _ministry_staff_group

    def _make(*perms: str) -> Client:
        user = make_user()
        user.is_staff = True
        user.save()
        user.groups.add(_ministry_staff_group())
        for perm in perms:
            app_label, codename = perm.split(".")
            user.user_permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        client = Client()
        client.force_login(user)
        return client

    return _make


def _leaks(content: bytes) -> list[str]:
    text = content.decode()
    return [value for value in (PIN, EMAIL, PHONE) if value in text]


def test_a_reviewer_sees_people_masked(staff_client, citizen):
    client = staff_client()
    before = AuditLog.objects.count()
    listing = client.get("/admin/accounts/user/")
    detail = client.get(f"/admin/accounts/user/{citizen.pk}/change/")
    assert listing.status_code == detail.status_code == 200
    assert _leaks(listing.content) == []
    assert _leaks(detail.content) == []
    assert "2***********99" in detail.content.decode()
    assert "a***@example.kg" in detail.content.decode()
    # nothing was revealed, so nothing was audited
    assert AuditLog.objects.count() == before


def test_a_reviewer_cannot_search_people_by_email(staff_client, citizen):
    response = staff_client().get("/admin/accounts/user/", {"q": "aigul.citizen"})
    assert citizen.username not in response.content.decode()


def test_a_reviewer_sees_audit_rows_masked(staff_client, citizen):
    # the audit writer hides keys named exactly `pin` or `phone`; other names and e-mails reach rows
    row = AuditLog.objects.create(
        action="sick_leave.open",
        object_type="accounts.user",
        object_id=str(citizen.external_id),
        changes={"patient_pin": PIN, "email": {"old": "", "new": EMAIL}, "contact_phone": [PHONE]},
    )
    response = staff_client().get(f"/admin/core/auditlog/{row.pk}/change/")
    assert response.status_code == 200
    assert _leaks(response.content) == []
    assert "2***********99" in response.content.decode()


def test_a_person_with_the_duty_sees_them_and_the_reveal_is_audited(staff_client, citizen):
    client = staff_client("core.reveal_personal_data")
    detail = client.get(f"/admin/accounts/user/{citizen.pk}/change/")
    assert sorted(_leaks(detail.content)) == sorted([PIN, EMAIL, PHONE])
    reveal = AuditLog.objects.get(action="user.personal_data_reveal")
    assert reveal.object_id == str(citizen.external_id)
    assert PIN not in str(reveal.changes)
    # and the list stays masked even for them: a list reveals nothing
    assert _leaks(client.get("/admin/accounts/user/").content) == []


def test_a_superuser_reveal_is_audited_too(make_user, citizen):
    admin = make_user(username="root")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = Client()
    client.force_login(admin)
    assert PIN in client.get(f"/admin/accounts/user/{citizen.pk}/change/").content.decode()
    assert AuditLog.objects.filter(action="user.personal_data_reveal", actor_user=admin).count() == 1
