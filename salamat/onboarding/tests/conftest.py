"""Fixtures for onboarding: an applicant, a reviewer, the stand-in registries, documents."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from salamat.accounts.selectors import actor_for_user
from salamat.onboarding import services
from salamat.onboarding.models import DocumentKind, OnboardingSettings
from salamat.tunduk.models import LegalEntity, MedicalLicence, RegistryPerson

TAX_ID = "01234567890123"
APPLICANT_PIN = "21505199012345"
HEAD_PIN = "11203198054321"
LICENCE = "LIC-2024-0042"
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="JPEG")
    return buffer.getvalue()


def pdf(name: str = "doc.pdf", data: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def phase(db) -> Callable[[int], None]:
    def _set(value: int) -> None:
        OnboardingSettings.objects.update_or_create(pk=1, defaults={"phase": value})

    _set(1)
    return _set


@pytest.fixture
def registries(db):
    """The clinic, its licence and its head physician in the stand-in state registries (tunduk)."""
    LegalEntity.objects.create(
        tax_id=TAX_ID,
        name="Clinic Shifa LLC",
        legal_form="LLC",
        address="Bishkek, Chui 1",
        registered_on=date(2019, 4, 1),
    )
    MedicalLicence.objects.create(
        number=LICENCE, tax_id=TAX_ID, activities=["outpatient care"], issued_on=date(2024, 1, 10)
    )
    RegistryPerson.objects.create(
        pin=HEAD_PIN,
        family_name="Osmonova",
        given_name="Aigul",
        birth_date=date(1980, 3, 12),
        sex="female",
    )


@pytest.fixture
def applicant(make_user):
    user = make_user(pin=APPLICANT_PIN, username="applicant")
    user.email = "applicant@clinic.example"
    user.save()
    return user


@pytest.fixture
def applicant_actor(applicant):
    return actor_for_user(applicant)


@pytest.fixture
def ministry(make_org):
    return make_org("ministry", name="Ministry of Health", ownership="public")


@pytest.fixture
def reviewer(make_user, ministry):
    return make_user("ministry_reviewer", ministry, username="reviewer", pin="10101198500001")


@pytest.fixture
def reviewer_actor(reviewer):
    return actor_for_user(reviewer)


FORM = {
    "legal_name": "Clinic Shifa LLC",
    "legal_form": "LLC",
    "address": "Bishkek, Chui 1",
    "region": "bishkek",
    "district": "Pervomaisky",
    "head_physician_pin": HEAD_PIN,
    "head_physician_name": "Osmonova Aigul",
    "licence_number": LICENCE,
    "licence_issued_on": date(2024, 1, 10),
    "licensed_activities": "outpatient care",
    "contact_email": "office@shifa.example",
    "contact_phone": "+996555000111",
}


@pytest.fixture
def ready_application(db, applicant_actor, phase):
    """A complete draft by an applicant who represents the clinic by ESI claim, offer accepted (phase 1)."""

    def _make(*, claim: bool = True, accept: bool = True, **overrides):
        app = services.application_start(
            actor=applicant_actor,
            tax_id=TAX_ID,
            esi_organizations=[{"tax_id": TAX_ID, "name": "Clinic Shifa LLC"}] if claim else [],
        )
        services.application_update(actor=applicant_actor, application=app, **{**FORM, **overrides})
        for kind in (
            DocumentKind.LICENCE,
            DocumentKind.STATE_REGISTRATION,
            DocumentKind.HEAD_PHYSICIAN_ORDER,
        ):
            services.document_upload(actor=applicant_actor, application=app, kind=kind, upload=pdf())
        if accept:
            services.offer_accept(actor=applicant_actor, application=app, ip="10.0.0.1")
        app.refresh_from_db()
        return app

    return _make
