"""Writes of the stand-in ESI provider: the platform's OAuth application and the people."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import get_application_model

from salamat.accounts.models import Membership, User
from salamat.core.errors import ValidationFailed
from salamat.core.identifiers import parse_pin
from salamat.devidp.models import DevPerson
from salamat.devidp.people import CLINIC_RECORDS, DEMO_HEAD_PHYSICIAN, PEOPLE, Person
from salamat.tunduk.models import LegalEntity, MedicalLicence, RegistryPerson

Application = get_application_model()

# Loopback redirect URIs match any port (RFC 8252 §7.3, ALLOW_LOCALHOST_LOOPBACK), so
# the development server and every test server (a new port each run) are covered.
_LOOPBACK_BASES = ("http://127.0.0.1", "http://localhost")


@transaction.atomic
def devidp_setup(*, public_base_url: str | None = None) -> Application:
    """Creates or updates the platform's OAuth application and the fictional people (idempotent)."""
    application = devidp_application_ensure(public_base_url=public_base_url or settings.PUBLIC_BASE_URL)
    people = [_adopt_platform_person(person) for person in PEOPLE]
    for person in people:
        devidp_person_save(person=person)
    devidp_registries_ensure(people=people)
    return application


@transaction.atomic
def devidp_registries_ensure(*, people: list[Person]) -> None:
    """The stand-in state registries (salamat.tunduk) know the fictional people, the
    organisations they represent, and the unregistered clinics' licences (idempotent)."""

    for person in [*people, Person(sub="", label="", email="", phone_number="", **DEMO_HEAD_PHYSICIAN)]:
        RegistryPerson.objects.update_or_create(
            pin=person.pin,
            defaults={
                "family_name": person.family_name,
                "given_name": person.given_name,
                "middle_name": person.middle_name,
                "birth_date": person.birthdate,
                "sex": person.gender,
            },
        )
    clinics = {record.tax_id: record for record in CLINIC_RECORDS}
    for org in {o["tax_id"]: o for person in people for o in person.organizations}.values():
        record = clinics.get(org["tax_id"])
        LegalEntity.objects.update_or_create(
            tax_id=org["tax_id"],
            defaults={
                "name": org["name"],
                "legal_form": record.legal_form if record else "",
                "address": record.address if record else "",
                "registered_on": record.registered_on if record else date(2010, 1, 1),
            },
        )
    for record in CLINIC_RECORDS:
        MedicalLicence.objects.update_or_create(
            number=record.licence_number,
            defaults={
                "tax_id": record.tax_id,
                "issued_on": record.licence_issued_on,
                "valid_until": record.licence_valid_until,
                "activities": list(record.activities),
            },
        )


@transaction.atomic
def devidp_application_ensure(*, public_base_url: str) -> Application:
    """The platform as a confidential OIDC client of the stand-in provider (RS256, no consent screen)."""
    bases = [public_base_url.rstrip("/"), *_LOOPBACK_BASES]
    callback = reverse("esi_callback")
    after_logout = resolve_url(settings.LOGOUT_REDIRECT_URL)
    application = Application.objects.filter(client_id=settings.ESI_CLIENT_ID).first() or Application(
        client_id=settings.ESI_CLIENT_ID
    )
    application.name = "Salamat (development)"
    application.client_type = Application.CLIENT_CONFIDENTIAL
    application.authorization_grant_type = Application.GRANT_AUTHORIZATION_CODE
    application.algorithm = Application.RS256_ALGORITHM
    application.redirect_uris = " ".join(dict.fromkeys(f"{b}{callback}" for b in bases))
    application.post_logout_redirect_uris = " ".join(dict.fromkeys(f"{b}{after_logout}" for b in bases))
    # The platform is the provider's only client: ESI asks no "allow this app?" question.
    application.skip_authorization = True
    # The development secret is a public constant: hashing it (PBKDF2, ~1 s per token
    # request on a small machine) would protect nothing and slow every login.
    application.hash_client_secret = False
    application.client_secret = settings.ESI_CLIENT_SECRET
    application.save()
    return application


@transaction.atomic
def devidp_person_save(*, person: Person) -> DevPerson:
    """Creates or updates one fictional person and their shadow user (inactive, never a platform login)."""
    existing = DevPerson.objects.select_related("shadow_user").filter(sub=person.sub).first()
    if existing is not None:
        shadow = existing.shadow_user
    else:
        shadow = User(username=f"devidp-shadow-{person.sub}"[:150], is_active=False)
        shadow.set_unusable_password()
        shadow.save()
    fields = {
        "label": person.label,
        "pin": person.pin,
        "family_name": person.family_name,
        "given_name": person.given_name,
        "middle_name": person.middle_name,
        "gender": person.gender,
        "birthdate": person.birthdate,
        "email": person.email,
        "phone_number": person.phone_number,
        "organizations": list(person.organizations),
        "sort_order": _sort_order(person),
    }
    dev_person, _created = DevPerson.objects.update_or_create(
        sub=person.sub, defaults={**fields, "shadow_user": shadow}
    )
    return dev_person


def devidp_person_logged_in(*, person: DevPerson) -> None:
    """Records the provider-side login time (the ID token's `auth_time`) on the shadow user."""
    User.objects.filter(pk=person.shadow_user_id).update(last_login=timezone.now())


def _sort_order(person: Person) -> int:
    subs = [p.sub for p in PEOPLE]
    return subs.index(person.sub) + 1 if person.sub in subs else 100


def _adopt_platform_person(person: Person) -> Person:
    """The person, with the PIN, names and organisation of a platform member holding the
    same role when there is one (demo data), so that the ESI login reaches that account."""
    if not person.adopt_platform_role:
        return person
    membership = (
        Membership.objects.filter(
            role=person.adopt_platform_role,
            is_active=True,
            user__is_active=True,
            user__pin__isnull=False,
        )
        .filter(Q(user__esi_sub__isnull=True) | Q(user__esi_sub=person.sub))
        .select_related("user", "organization")
        .order_by("pk")
        .first()
    )
    if membership is None:
        return person
    user, org = membership.user, membership.organization
    try:
        info = parse_pin(user.pin)
    except ValidationFailed:
        return person
    role = person.organizations[0].get("role", "") if person.organizations else ""
    return replace(
        person,
        pin=info.pin,
        family_name=user.last_name or person.family_name,
        given_name=user.first_name or person.given_name,
        middle_name=user.middle_name,
        gender=info.sex,
        birthdate=date(info.birth_date.year, info.birth_date.month, info.birth_date.day),
        email=user.email or person.email,
        organizations=[{"tax_id": org.tax_id, "name": org.name, "role": role}],
    )
