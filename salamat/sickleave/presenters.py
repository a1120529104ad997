"""Certificates turned into plain dicts for each audience (API, FHIR, PDF share these).

`for_employer` and `for_fund` are written field by field, never from the model's
dict, so that a new model field (or the diagnosis) can never slip into them."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from salamat.core.spreadsheet import spreadsheet_safe
from salamat.sickleave import rules
from salamat.sickleave.models import SickLeave, SickLeavePeriod
from salamat.sickleave.signing import signatures_of


def verify_url(number: str) -> str:
    """The public verification page a printout's QR code points to."""
    return f"{settings.PUBLIC_BASE_URL}/sick-leave/verify/{number}"


def _periods(leave: SickLeave) -> list[SickLeavePeriod]:
    return sorted(leave.periods.all(), key=lambda p: p.ordinal)


def _span(leave: SickLeave) -> tuple[Any, Any, int]:
    periods = _periods(leave)
    if not periods:
        return None, None, 0
    return periods[0].start, periods[-1].end, sum(p.days for p in periods)


def _org(leave: SickLeave) -> dict[str, Any]:
    org = leave.organization
    return {"id": org.external_id, "name": org.name, "tax_id": org.tax_id}


def _links(leave: SickLeave) -> dict[str, Any]:
    return {
        "replaced_by": [d.number for d in leave.duplicates.all()],
        "continuation_of": leave.continuation_of.number if leave.continuation_of_id else None,
        "continued_by": [c.number for c in leave.continuations.all()],
    }


def _person_name(user) -> str:
    return (user.full_name or user.username) if user else ""


def full(leave: SickLeave) -> dict[str, Any]:
    """Every detail, for the issuing clinic, the patient and the regulator."""
    first, last, total = _span(leave)
    return {
        "id": leave.external_id,
        "number": leave.number,
        "status": leave.status,
        "patient_pin": leave.patient_pin,
        "patient_name": leave.patient_full_name,
        "patient_birth_date": leave.patient_birth_date,
        "patient_sex": leave.patient_sex,
        "organization": _org(leave),
        "employer_name": leave.employer_name,
        "employer_tax_id": leave.employer_tax_id,
        "is_main_job": leave.is_main_job,
        "reason": leave.reason,
        "benefit_category": rules.BENEFIT_CATEGORY[leave.reason],
        "cared_for_pin": leave.cared_for_pin,
        "cared_for_name": leave.cared_for_name,
        "cared_for_relation": leave.cared_for_relation,
        "cared_for_birth_date": leave.cared_for_birth_date,
        "diagnosis_code": leave.diagnosis_code,
        "diagnosis_title": leave.diagnosis_title,
        "regime": leave.regime,
        "hospital_from": leave.hospital_from,
        "hospital_to": leave.hospital_to,
        "record_encounter": leave.record_encounter,
        "first_day": first,
        "last_day": last,
        "total_days": total,
        "outcome": leave.outcome,
        "outcome_date": leave.outcome_date,
        "closed_at": leave.closed_at,
        "annulled_at": leave.annulled_at,
        "annulment_reason": leave.annulment_reason,
        "duplicate_of": leave.duplicate_of.number if leave.duplicate_of_id else None,
        **_links(leave),
        "periods": [
            {
                "ordinal": p.ordinal,
                "start": p.start,
                "end": p.end,
                "days": p.days,
                "doctor_name": _person_name(p.doctor),
                "doctor_position": p.doctor_position,
                "commission_chair_name": _person_name(p.commission_chair) if p.commission_chair_id else None,
                "commission_decision_number": p.commission_decision_number,
                "backdated_with_ambulance_record": bool(p.ambulance_record_ref),
                "signed": p.signed,
                "awaiting_commission": p.awaiting_commission,
            }
            for p in _periods(leave)
        ],
        "verify_url": verify_url(leave.number),
    }


def for_employer(leave: SickLeave) -> dict[str, Any]:
    """Dates, status, outcome, issuer and the benefit category: never the diagnosis."""
    first, last, total = _span(leave)
    return {
        "number": leave.number,
        "status": leave.status,
        "patient_name": leave.patient_full_name,
        "employer_name": leave.employer_name,
        "employer_tax_id": leave.employer_tax_id,
        "is_main_job": leave.is_main_job,
        "benefit_category": rules.BENEFIT_CATEGORY[leave.reason],
        "issuing_organization": _org(leave),
        "periods": [{"start": p.start, "end": p.end, "days": p.days} for p in _periods(leave)],
        "first_day": first,
        "last_day": last,
        "total_days": total,
        "outcome": leave.outcome,
        "outcome_date": leave.outcome_date,
        **_links(leave),
        "signatures_valid": all(c.valid for c in signatures_of(leave)),
    }


def signatures(leave: SickLeave) -> dict[str, Any]:
    """Who signed what, when, and whether each signature still verifies."""
    checks = signatures_of(leave)
    return {
        "number": leave.number,
        "all_valid": all(c.valid for c in checks),
        "signatures": [c.__dict__ for c in checks],
    }


def for_fund(leave: SickLeave) -> dict[str, Any]:
    """The benefit-relevant fields of a closed certificate (uses the selector's first/last day)."""
    first, last = leave.first_day, leave.last_day
    return {
        "number": leave.number,
        "patient_pin": leave.patient_pin,
        "patient_name": leave.patient_full_name,
        "employer_name": leave.employer_name,
        "employer_tax_id": leave.employer_tax_id,
        "is_main_job": leave.is_main_job,
        "benefit_category": rules.BENEFIT_CATEGORY[leave.reason],
        "issuing_organization": _org(leave),
        "first_day": first,
        "last_day": last,
        "total_days": (last - first).days + 1 if first and last else 0,
        "outcome": leave.outcome,
        "outcome_date": leave.outcome_date,
        "closed_at": leave.closed_at,
        "duplicate_of": leave.duplicate_of.number if leave.duplicate_of_id else None,
        "continuation_of": leave.continuation_of.number if leave.continuation_of_id else None,
    }


FUND_CSV_COLUMNS = (
    "number",
    "patient_pin",
    "patient_name",
    "employer_name",
    "employer_tax_id",
    "is_main_job",
    "benefit_category",
    "issuing_organization_tax_id",
    "issuing_organization_name",
    "first_day",
    "last_day",
    "total_days",
    "outcome",
    "outcome_date",
    "closed_at",
    "duplicate_of",
    "continuation_of",
)


def fund_csv_row(leave: SickLeave) -> list[str]:
    data = for_fund(leave)
    org = data.pop("issuing_organization")
    data["issuing_organization_tax_id"] = org["tax_id"]
    data["issuing_organization_name"] = org["name"]
    return [spreadsheet_safe(data[c]) for c in FUND_CSV_COLUMNS]


def queue_item(period: SickLeavePeriod) -> dict[str, Any]:
    """A period waiting for the commission chair (the chair sees the diagnosis on the certificate)."""
    leave = period.certificate
    return {
        "sick_leave_id": leave.external_id,
        "number": leave.number,
        "patient_name": leave.patient_full_name,
        "ordinal": period.ordinal,
        "start": period.start,
        "end": period.end,
        "total_days": sum(p.days for p in leave.periods.all()),
        "doctor_name": _person_name(period.doctor),
        "commission_decision_number": period.commission_decision_number,
    }
