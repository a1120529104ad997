"""ESI ↔ onboarding through the real login flow (platform → stand-in ESI → platform):
roles given by PIN are linked at the person's first ESI login, and the organisations ESI
says they represent reach the wizard and the home page's cards."""

from __future__ import annotations

import pytest
from lxml import html

from salamat.accounts.models import Membership, User
from salamat.accounts.selectors import actor_for_user
from salamat.devidp.people import PEOPLE, UNREGISTERED_CLINIC
from salamat.devidp.testing import CLINIC_REPRESENTATIVE, DOCTOR, EsiBrowser, esi_setup
from salamat.onboarding import services
from salamat.onboarding.models import EsiRepresentation, PendingMembership

DOCTOR_PERSON = next(p for p in PEOPLE if p.sub == DOCTOR)


@pytest.fixture
def esi(live_server):
    esi_setup(live_server)
    return EsiBrowser(live_server.url)


@pytest.fixture
def clinic_with_admin(make_org, make_user):
    clinic = make_org("medical", name="Shifa Demo Clinic")
    admin = make_user("org_admin", clinic, username="clinic-admin", pin="11010199000011")
    return clinic, admin


def test_doctor_invited_by_pin_is_linked_at_first_esi_login(esi, clinic_with_admin):
    # given: the clinic's admin gave the doctor role to a PIN nobody has logged in with
    clinic, admin = clinic_with_admin
    invitation = services.staff_invite(
        actor=actor_for_user(admin), organization=clinic, pin=DOCTOR_PERSON.pin, role="doctor"
    )
    assert invitation.pending is not None and not User.objects.filter(pin=DOCTOR_PERSON.pin).exists()
    # when: that person logs in through ESI for the first time
    response = esi.login_as(DOCTOR)
    # then: they are a doctor of the clinic at once
    assert response.status_code == 302
    doctor = User.objects.get(pin=DOCTOR_PERSON.pin)
    assert Membership.objects.filter(user=doctor, organization=clinic, role="doctor", is_active=True).exists()
    pending = PendingMembership.objects.get(pk=invitation.pending.pk)
    assert pending.linked_user == doctor and pending.linked_at is not None
    me = esi.whoami().json()
    assert me["kind"] == "user"
    # and a second login changes nothing
    esi.http.cookies.clear()
    esi.login_as(DOCTOR)
    assert Membership.objects.filter(user=doctor).count() == 1


def test_the_wizard_offers_the_organisation_from_the_esi_claim(esi):
    # when: the clinic's representative logs in through ESI and opens the wizard
    esi.login_as(CLINIC_REPRESENTATIVE)
    page = esi.get("/onboarding/")
    # then: the unregistered clinic of their `organizations` claim is offered
    assert page.status_code == 200
    doc = html.fromstring(page.text)
    assert UNREGISTERED_CLINIC["tax_id"] in doc.text_content()
    rep = User.objects.get(esi_sub=CLINIC_REPRESENTATIVE)
    assert list(EsiRepresentation.objects.filter(user=rep).values_list("tax_id", flat=True)) == [
        UNREGISTERED_CLINIC["tax_id"]
    ]
    # and the home page shows "Apply to join"
    home = esi.get("/")
    assert 'href="/onboarding/"' in home.text


def test_an_esi_login_does_not_claim_an_expired_session(esi):
    # The provider's own login must not look like a platform session that then ended.
    esi.login_as(CLINIC_REPRESENTATIVE)
    home = esi.get("/")
    assert home.status_code == 200
    assert "salamat_signed_in" in esi.http.cookies
    from django.utils import translation
    from django.utils.translation import gettext

    message = "Your session has expired. Please log in again to continue."  # the web app's
    with translation.override("ru"):
        expired = gettext(message)
    assert expired not in home.text
