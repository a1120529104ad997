"""Fixtures for sick-leave tests: a clinic with a doctor and a commission chair, and
fictional people in the population registry stand-in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from salamat.accounts.models import Membership
from salamat.accounts.selectors import actor_for_user
from salamat.tunduk.seed import seed_tunduk

EMPLOYER_TAX_ID = "02101201910001"
DOCTOR_PIN = "20101198000011"
CHAIR_PIN = "20202197000022"


@pytest.fixture
def people(db):
    """The fictional people of the stand-in registry, by given name."""
    return {p.given_name: p for p in seed_tunduk()}


@pytest.fixture
def patient(people):
    return people["Aigul"]  # a woman born 1990


@pytest.fixture
def clinic(make_org):
    return make_org("medical", ownership="public", name="City Polyclinic No. 99 (test)")


@pytest.fixture
def private_clinic(make_org):
    return make_org("medical", ownership="private", name="Private Clinic Demo (test)")


@pytest.fixture
def doctor(make_user, clinic):
    # Signing needs a PIN: the stand-in CA certifies it in the doctor's certificate.
    user = make_user("doctor", clinic, username="doctor-test", pin=DOCTOR_PIN)
    Membership.objects.filter(user=user).update(position="General practitioner")
    return user


@pytest.fixture
def chair(make_user, clinic):
    return make_user("commission_chair", clinic, username="chair-test", pin=CHAIR_PIN)


@pytest.fixture
def chair_actor(chair, clinic):
    return actor_for_user(chair, clinic)


@pytest.fixture
def doctor_actor(doctor, clinic):
    return actor_for_user(doctor, clinic)


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def days():
    return lambda n: timedelta(days=n)


@pytest.fixture
def open_leave(doctor_actor, patient, today):
    """`open_leave(**overrides)`: a certificate opened today for 5 days by the doctor."""
    from salamat.sickleave.services import sick_leave_open

    def _open(actor=None, **overrides):
        fields = {
            "patient_pin": patient.pin,
            "employer_name": "Demo Textile Works LLC",
            "employer_tax_id": EMPLOYER_TAX_ID,
            "reason": "illness",
            "diagnosis_code": "J06.9",
            "start": today,
            "end": today + timedelta(days=4),
        }
        fields.update(overrides)
        return sick_leave_open(actor=actor or doctor_actor, **fields)

    return _open


@pytest.fixture(autouse=True)
def _fresh_rate_limits(request):
    """The public verification's per-address counters live in the cache: start each test clean."""
    from django.core.cache import cache

    # the cache is a database table: only tests that use the database have counters to clear
    if not (
        request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(request.fixturenames)
    ):
        yield
        return
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _icd_code_list(request):
    """Diagnoses are titled from records' ICD-10 code list: its sample, loaded again for tests on
    the database (a transactional test earlier in the run flushes what the migration loaded)."""
    if not {"db", "transactional_db", "people", "doctor", "clinic"} & set(request.fixturenames):
        yield
        return
    from importlib import import_module

    from django.apps import apps

    request.getfixturevalue("transactional_db" if "transactional_db" in request.fixturenames else "db")
    import_module("salamat.records.migrations.0003_code_list_samples").forward(apps, None)
    yield
