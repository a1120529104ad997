"""A sick-leave certificate as an HL7 FHIR R4 `Composition` (GET /fhir/Composition/{id}).

Shape: the patient, the practitioners, the issuing organisation and the diagnosis
(`Condition`, ICD-10) are contained resources; each period is a section carrying its
dates in an extension; doctors attest professionally, commission chairs officially;
an annulled certificate is `entered-in-error`; a duplicate `replaces` its original and
a continuation `appends` to the certificate it continues. Readers: the issuing
clinic's staff, the patient and the regulator (the diagnosis is for them only).
"""

from __future__ import annotations

import json
from html import escape
from typing import Any
from uuid import UUID

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from salamat.accounts.selectors import actor_for_api_client, actor_for_request, api_client_authenticate
from salamat.core.errors import DomainError
from salamat.sickleave import selectors
from salamat.sickleave.models import SickLeave, SickLeavePeriod, Status

# Naming systems. Placeholders until the ministry registers national ones: change here only.
SID_PIN = "https://salamat.example/fhir/sid/pin"
SID_TAX_ID = "https://salamat.example/fhir/sid/tax-id"
SID_SICK_LEAVE = "https://salamat.example/fhir/sid/sick-leave-number"
CS_DOCUMENT_TYPE = "https://salamat.example/fhir/CodeSystem/document-type"
CS_REASON = "https://salamat.example/fhir/CodeSystem/sick-leave-reason"
SD_PERIOD = "https://salamat.example/fhir/StructureDefinition/sick-leave-period"
SD_COMMISSION = "https://salamat.example/fhir/StructureDefinition/commission-decision"
ICD10 = "http://hl7.org/fhir/sid/icd-10"

FHIR_JSON = "application/fhir+json; charset=utf-8"

_STATUS = {
    Status.OPEN: "preliminary",  # periods may still be added
    Status.CLOSED: "final",
    Status.REPLACED: "final",  # still true; the duplicate `replaces` it
    Status.ANNULLED: "entered-in-error",
}


def _div(*lines: str) -> dict[str, str]:
    body = "".join(f"<p>{escape(line)}</p>" for line in lines if line)
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{body}</div>'}


def _practitioner(user) -> dict[str, Any]:
    return {
        "resourceType": "Practitioner",
        "id": f"pract-{user.external_id}",
        "name": [{"family": user.last_name or user.username, "given": [g for g in (user.first_name,) if g]}],
    }


def _period_section(period: SickLeavePeriod) -> dict[str, Any]:
    extensions = [
        {"url": SD_PERIOD, "valuePeriod": {"start": period.start.isoformat(), "end": period.end.isoformat()}}
    ]
    if period.commission_decision_number:
        extensions.append({"url": SD_COMMISSION, "valueString": period.commission_decision_number})
    lines = [
        f"{period.start:%d.%m.%Y} – {period.end:%d.%m.%Y} ({period.days})",
        f"{period.doctor.full_name or period.doctor.username}, {period.doctor_position}".rstrip(", "),
    ]
    if period.commission_chair_id:
        chair = period.commission_chair
        lines.append(
            _("Commission chair: %(name)s (decision %(decision)s)")
            % {"name": chair.full_name or chair.username, "decision": period.commission_decision_number}
        )
    section: dict[str, Any] = {
        "title": _("Period %(no)s") % {"no": period.ordinal},
        "extension": extensions,
        "author": [{"reference": f"#pract-{period.doctor.external_id}"}],
        "text": _div(*lines),
    }
    return section


def for_compositions(qs: QuerySet[SickLeave]) -> QuerySet[SickLeave]:
    """`qs` with everything `composition_for` reads joined or prefetched: any number of
    certificates render in two queries (certificates, then their periods)."""
    periods = SickLeavePeriod.objects.select_related(
        "doctor", "commission_chair", "chair_signature"
    ).order_by("ordinal")
    return (
        qs.select_related("organization", "duplicate_of", "continuation_of", "organization_signature")
        .prefetch_related(None)
        .prefetch_related(Prefetch("periods", queryset=periods))
    )


def composition_for(leave: SickLeave) -> dict[str, Any]:
    """The certificate as a FHIR R4 Composition (a plain JSON-ready dict). Render many with
    `for_compositions` on their query (else each reads its periods and signatures)."""
    periods = sorted(leave.periods.all(), key=lambda p: p.ordinal)
    org = leave.organization
    patient = {
        "resourceType": "Patient",
        "id": "patient",
        "identifier": [{"system": SID_PIN, "value": leave.patient_pin}],
        "name": [
            {
                "family": leave.patient_family_name,
                "given": [n for n in (leave.patient_given_name, leave.patient_middle_name) if n],
            }
        ],
        "gender": leave.patient_sex,
        "birthDate": leave.patient_birth_date.isoformat(),
    }
    organization = {
        "resourceType": "Organization",
        "id": "issuer",
        "identifier": [{"system": SID_TAX_ID, "value": org.tax_id}],
        "name": org.name,
    }
    condition = {
        "resourceType": "Condition",
        "id": "diagnosis",
        "code": {
            "coding": [{"system": ICD10, "code": leave.diagnosis_code, "display": leave.diagnosis_title}]
        },
        "subject": {"reference": "#patient"},
    }
    people: dict[int, Any] = {}
    attesters = []
    for p in periods:
        people.setdefault(p.doctor_id, p.doctor)
        attesters.append(
            {"mode": "professional", "party": {"reference": f"#pract-{p.doctor.external_id}"}}
            | ({"time": p.signed_at.isoformat()} if p.signed and p.signed_at else {})
        )
        if p.commission_chair_id:
            people.setdefault(p.commission_chair_id, p.commission_chair)
            attesters.append(
                {"mode": "official", "party": {"reference": f"#pract-{p.commission_chair.external_id}"}}
                | ({"time": p.chair_signature.signed_at.isoformat()} if p.chair_signature_id else {})
            )
    if leave.organization_signature_id:
        # The issuing organisation's seal over the closed certificate.
        attesters.append(
            {
                "mode": "legal",
                "time": leave.organization_signature.signed_at.isoformat(),
                "party": {"reference": "#issuer"},
            }
        )
    sections = [_period_section(p) for p in periods]
    sections.append(
        {
            "title": _("Diagnosis"),
            "entry": [{"reference": "#diagnosis"}],
            "text": _div(f"{leave.diagnosis_code} {leave.diagnosis_title}"),
        }
    )
    if leave.outcome:
        outcome = str(leave.get_outcome_display())
        if leave.outcome_date:
            outcome = f"{outcome}: {leave.outcome_date:%d.%m.%Y}"
        sections.append({"title": _("Outcome"), "text": _div(outcome)})
    if leave.status == Status.ANNULLED:
        sections.append({"title": _("Annulled"), "text": _div(leave.annulment_reason)})
    relates = []
    if leave.duplicate_of_id:
        relates.append(_relation("replaces", leave.duplicate_of))
    if leave.continuation_of_id:
        relates.append(_relation("appends", leave.continuation_of))
    first = periods[0].start if periods else None
    last = periods[-1].end if periods else None
    composition: dict[str, Any] = {
        "resourceType": "Composition",
        "id": str(leave.external_id),
        "contained": [patient, organization, condition, *(_practitioner(u) for u in people.values())],
        "identifier": {"system": SID_SICK_LEAVE, "value": leave.number},
        "status": _STATUS[leave.status],
        "type": {
            "coding": [
                {"system": CS_DOCUMENT_TYPE, "code": "sick-leave", "display": "Sick-leave certificate"}
            ],
            "text": str(_("Sick-leave certificate")),
        },
        "category": [
            {"coding": [{"system": CS_REASON, "code": leave.reason, "display": leave.get_reason_display()}]}
        ],
        "subject": {"reference": "#patient"},
        "date": leave.updated_at.isoformat(),
        "author": [{"reference": "#issuer"}],
        "title": _("Sick-leave certificate %(number)s") % {"number": leave.number},
        "custodian": {"reference": "#issuer"},
    }
    if leave.record_encounter:
        # The visit in the patient record the certificate was opened from.
        composition["encounter"] = {"reference": f"Encounter/{leave.record_encounter}"}
    if attesters:
        composition["attester"] = attesters
    if relates:
        composition["relatesTo"] = relates
    if first and last:
        composition["event"] = [{"period": {"start": first.isoformat(), "end": last.isoformat()}}]
    composition["section"] = sections
    return composition


def _relation(code: str, target: SickLeave) -> dict[str, Any]:
    return {"code": code, "targetIdentifier": {"system": SID_SICK_LEAVE, "value": target.number}}


def _outcome(status: int, code: str, message: str) -> HttpResponse:
    body = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": str(message)}],
    }
    return HttpResponse(json.dumps(body), status=status, content_type=FHIR_JSON)


def _actor(request: HttpRequest):

    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return actor_for_api_client(api_client_authenticate(header[7:]))
    return actor_for_request(request)


@require_GET
def composition_view(request: HttpRequest, composition_id: UUID) -> HttpResponse:
    """GET /fhir/Composition/{id}: the certificate for its clinic, the patient and the regulator."""
    try:
        actor = _actor(request)
        if actor.user is None and actor.api_client is None:
            return _outcome(401, "login", _("Authentication required: send an API token or log in."))
        leave = selectors.sick_leave_for_reader(actor=actor, external_id=composition_id)
    except DomainError as exc:
        code = {401: "login", 403: "forbidden", 404: "not-found"}.get(exc.status_code, "processing")
        return _outcome(exc.status_code, code, exc.message)
    return HttpResponse(json.dumps(composition_for(leave), ensure_ascii=False), content_type=FHIR_JSON)
