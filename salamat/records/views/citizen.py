"""The patient's own record in the citizen portal (phone first), and its downloads: the whole
record as a FHIR Bundle (JSON) and as a PDF. The logged-in person is the patient whose PIN
their ESI login carried; every read goes through the access decision and is logged."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from salamat.accounts.selectors import actor_for_request
from salamat.core.errors import DomainError
from salamat.records import pages_selectors, presenters, selectors
from salamat.records.access import Purpose, access_check
from salamat.records.fhir.summary import record_bundle
from salamat.records.pdf import record_pdf
from salamat.records.views.common import refused


def _own_patient(request: HttpRequest):
    user = request.user
    return pages_selectors.patient_by_pin(user.pin) if user.pin else None


@require_GET
@login_required
def my_record(request: HttpRequest) -> HttpResponse:
    """My visits, diagnoses, allergies, medicines, vaccinations, results and documents."""
    patient = _own_patient(request)
    view = None
    if patient is not None:
        try:
            access_check(
                actor=actor_for_request(request), patient=patient, purpose=Purpose.SELF, interaction="view"
            )
        except DomainError as exc:
            return refused(request, exc, patient=patient)
        view = presenters.record_view(
            patient=patient, sick_leaves=selectors.sick_leaves_of_patient(patient=patient)
        )
    return render(
        request, "records/mine.html", {"patient": patient, "view": view, "has_pin": bool(request.user.pin)}
    )


def _download(request: HttpRequest, kind: str):
    patient = _own_patient(request)
    if patient is None:
        return None, render(
            request, "records/mine.html", {"patient": None, "has_pin": bool(request.user.pin)}, status=404
        )
    try:
        access_check(
            actor=actor_for_request(request), patient=patient, purpose=Purpose.SELF, interaction=kind
        )
    except DomainError as exc:
        return None, refused(request, exc, patient=patient)
    return patient, None


def _filename(patient, extension: str) -> str:
    return f"salamat-record-{timezone.localdate():%Y%m%d}.{extension}"


@require_GET
@login_required
def my_record_bundle(request: HttpRequest) -> HttpResponse:
    """My whole record as a FHIR `collection` Bundle."""
    patient, answer = _download(request, "download-fhir")
    if answer is not None:
        return answer
    bundle = record_bundle(patient=patient, base_url=request.build_absolute_uri("/fhir/"))
    response = HttpResponse(
        json.dumps(bundle, ensure_ascii=False, indent=1, default=str), content_type="application/fhir+json"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(patient, "json")}"'
    return response


@require_GET
@login_required
def my_record_pdf(request: HttpRequest) -> HttpResponse:
    """My whole record, printable."""
    patient, answer = _download(request, "download-pdf")
    if answer is not None:
        return answer
    view = presenters.record_view(
        patient=patient, sick_leaves=selectors.sick_leaves_of_patient(patient=patient)
    )
    response = HttpResponse(record_pdf(view), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(patient, "pdf")}"'
    return response
