"""Demo sick leaves for development (idempotent): open, extended with the commission (one
extension still waiting for the chair), closed, annulled — for the demo hospital's doctor
and commission chair, whose keys come from the stand-in CA, and for the fictional people of
the population stand-in and of the stand-in ESI (the citizen who logs in sees hers)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from unittest import mock

from django.db import transaction
from django.utils import timezone

from salamat.accounts.models import User
from salamat.accounts.selectors import actor_for_user
from salamat.devidp.people import PEOPLE
from salamat.sickleave import services, signing
from salamat.sickleave.models import SickLeave
from salamat.tunduk.models import RegistryPerson
from salamat.tunduk.seed import seed_tunduk

DOCTOR, CHAIR = "demo-doctor", "demo-chair"
EMPLOYER = ("02101201910001", "Demo Textile Works LLC")
BAKERY = ("02101201910002", "Sample Bakery LLC")


def _as_of(day: date):
    """Issues as if on `day`: the rules measure backdating from the day of issue."""
    return mock.patch.object(services, "_today", lambda: day)


def _ensure_esi_people() -> None:
    # The stand-in ESI's fictional citizens must exist in the population stand-in too.

    for person in PEOPLE:
        RegistryPerson.objects.get_or_create(
            pin=person.pin,
            defaults={
                "family_name": person.family_name,
                "given_name": person.given_name,
                "middle_name": person.middle_name,
                "birth_date": person.birthdate,
                "sex": person.gender,
            },
        )


@transaction.atomic
def seed_sick_leave() -> int:
    """Creates the demo certificates that are missing; returns how many were created."""
    users = {u.username: u for u in User.objects.filter(username__in=(DOCTOR, CHAIR))}
    if len(users) < 2:
        return 0
    doctor, chair = users[DOCTOR], users[CHAIR]
    hospital = doctor.memberships.filter(role="doctor").first().organization
    seed_tunduk()
    _ensure_esi_people()
    d, c = actor_for_user(doctor, hospital), actor_for_user(chair, hospital)
    signing.signing_key_for(user=doctor)
    signing.signing_key_for(user=chair)
    signing.signing_key_for(organization=hospital)
    today = timezone.localdate()
    # The first person registered under each given name: the demo record adds thousands of
    # people to the stand-in registry later, some with the same given names.
    people: dict[str, RegistryPerson] = {}
    for person in RegistryPerson.objects.order_by("pk"):
        people.setdefault(person.given_name, person)
    created = 0

    def case(pin: str, code: str, build: Callable[[], None]) -> None:
        nonlocal created
        if SickLeave.objects.filter(organization=hospital, patient_pin=pin, diagnosis_code=code).exists():
            return
        build()
        created += 1

    def open_(pin, code, start, employer=EMPLOYER, reason="illness"):
        with _as_of(start):
            return services.sick_leave_open(
                actor=d,
                patient_pin=pin,
                employer_tax_id=employer[0],
                employer_name=employer[1],
                reason=reason,
                diagnosis_code=code,
                start=start,
                end=start + timedelta(days=4),
            )

    def extend(leave, day, chair_user=None):
        with _as_of(day):
            return services.sick_leave_extend(
                actor=d, certificate=leave, end=day + timedelta(days=4), commission_chair=chair_user
            )

    bermet = people.get("Бермет")
    if bermet:
        # The ESI citizen: one open now, one closed last spring.
        case(bermet.pin, "J06.9", lambda: open_(bermet.pin, "J06.9", today - timedelta(days=1)))

        def bermet_closed():
            start = today - timedelta(days=60)
            leave = open_(bermet.pin, "K29.1", start, employer=BAKERY)
            extend(leave, start + timedelta(days=5))
            services.sick_leave_close(
                actor=d, certificate=leave, outcome="return_to_work", outcome_date=start + timedelta(days=10)
            )

        case(bermet.pin, "K29.1", bermet_closed)

    aigul = people.get("Aigul")
    if aigul:
        # Extended past the commission threshold: period 4 approved, period 5 waiting for the chair.
        def long_case():
            start = today - timedelta(days=20)
            leave = open_(aigul.pin, "M54.5", start)
            extend(leave, start + timedelta(days=5))
            extend(leave, start + timedelta(days=10))
            fourth = extend(leave, start + timedelta(days=15), chair_user=chair)
            services.sick_leave_period_approve(actor=c, period=fourth, decision_number="VKK-2025-014")
            extend(leave, start + timedelta(days=20), chair_user=chair)

        case(aigul.pin, "M54.5", long_case)

    bakyt = people.get("Bakyt")
    if bakyt:

        def closed():
            start = today - timedelta(days=12)
            leave = open_(bakyt.pin, "S93.4", start, reason="injury")
            extend(leave, start + timedelta(days=5))
            services.sick_leave_close(
                actor=d, certificate=leave, outcome="return_to_work", outcome_date=start + timedelta(days=10)
            )

        case(bakyt.pin, "S93.4", closed)

    cholpon = people.get("Cholpon")
    if cholpon:

        def annulled():
            leave = open_(cholpon.pin, "J20.9", today - timedelta(days=3))
            services.sick_leave_annul(actor=d, certificate=leave, reason="Issued to the wrong employer")

        case(cholpon.pin, "J20.9", annulled)
    return created
