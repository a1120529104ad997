"""The printout: a QR code to the verification page, and never the diagnosis."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
import zxingcpp
from django.test import Client
from PIL import Image

from salamat.sickleave import services
from salamat.sickleave.pdf import Printable, printable_from, qr_modules, render_pdf

pytestmark = pytest.mark.django_db
D = timedelta(days=1)


def test_printable_has_no_diagnosis_field():
    names = {f.name for f in dataclasses.fields(Printable)}
    assert not any("diagnos" in name or "icd" in name for name in names)


def test_printout_shows_the_certificate_but_never_the_diagnosis(
    open_leave, doctor_actor, chair, today, settings
):
    settings.PUBLIC_BASE_URL = "https://salamat.example"
    leave = open_leave(employer_name="Demo Textile Works LLC")
    services.sick_leave_extend(actor=doctor_actor, certificate=leave, end=today + 9 * D)
    pdf = render_pdf(printable_from(leave), compress=False)
    assert pdf.startswith(b"%PDF")
    # the uncompressed content streams carry ASCII text as is: the positive controls prove the search works
    assert leave.number.encode() in pdf
    assert b"Demo Textile Works LLC" in pdf
    assert f"https://salamat.example/sick-leave/verify/{leave.number}".encode() in pdf
    for secret in (
        leave.diagnosis_code,
        leave.diagnosis_code.replace(".", ""),
        "J06",
        leave.diagnosis_title,
        "respiratory",
    ):
        assert secret.encode() not in pdf, f"diagnosis leaked: {secret!r}"


def test_qr_code_decodes_to_the_verification_url():
    url = "https://salamat.example/sick-leave/verify/412345678903"
    modules = qr_modules(url)
    scale, quiet = 4, 4
    size = (len(modules) + 2 * quiet) * scale
    image = Image.new("L", (size, size), 255)
    for r, row in enumerate(modules):
        for c, dark in enumerate(row):
            if dark:
                x, y = (c + quiet) * scale, (r + quiet) * scale
                image.paste(0, (x, y, x + scale, y + scale))
    found = zxingcpp.read_barcode(image)
    assert found is not None and found.text == url


def test_pdf_endpoint_for_patient_and_clinic_only(open_leave, doctor, make_user, make_org, patient, client):
    leave = open_leave()
    url = f"/api/v1/sick-leaves/{leave.external_id}/pdf"
    for user in (doctor, make_user(None, pin=patient.pin)):
        c = Client()
        c.force_login(user)
        response = c.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
    other = Client()
    other.force_login(make_user("doctor", make_org("medical")))
    assert other.get(url).status_code == 404
    assert client.get(url).status_code == 401
