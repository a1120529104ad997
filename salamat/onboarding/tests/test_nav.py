"""Onboarding's home-page cards: who sees which."""

from __future__ import annotations

import pytest

from salamat.accounts.selectors import actor_for_user
from salamat.core.nav import nav_items_for
from salamat.onboarding import services
from salamat.onboarding.models import EsiRepresentation
from salamat.onboarding.tests.conftest import TAX_ID

pytestmark = pytest.mark.django_db


def keys(user) -> set[str]:
    return {entry.key for entry in nav_items_for(actor_for_user(user))}


def test_a_person_with_no_organisation_may_apply(make_user):
    assert {"onboarding:home"} <= keys(make_user()) and "onboarding:applications" not in keys(make_user())


def test_an_applicant_sees_my_applications_instead(applicant, applicant_actor):
    services.application_start(actor=applicant_actor, tax_id=TAX_ID)
    seen = keys(applicant)
    assert "onboarding:applications" in seen and "onboarding:home" not in seen


def test_staff_of_a_registered_organisation_may_apply_only_for_an_unregistered_one(make_org, make_user):
    clinic = make_org("medical")
    doctor = make_user("doctor", clinic)
    assert "onboarding:home" not in keys(doctor)
    EsiRepresentation.objects.create(user=doctor, tax_id=clinic.tax_id, seen_at="2026-01-01T00:00Z")
    assert "onboarding:home" not in keys(doctor)
    EsiRepresentation.objects.create(user=doctor, tax_id="09999999999999", seen_at="2026-01-01T00:00Z")
    assert "onboarding:home" in keys(doctor)


def test_reviewer_sees_the_queue_and_clinic_admin_the_staff_page(reviewer, make_org, make_user):
    assert "onboarding:review_queue" in keys(reviewer)
    clinic_admin = make_user("org_admin", make_org("medical"))
    assert {"onboarding:staff", "web:api_clients"} <= keys(clinic_admin)
    pharmacy_admin = make_user("org_admin", make_org("pharmacy"))
    assert "onboarding:staff" not in keys(pharmacy_admin)
    assert "onboarding:review_queue" not in keys(clinic_admin)
