"""Input and output shapes of the sick-leave API, one per audience.

`VerificationOut` (employer) and `FundItemOut` (social fund) have no diagnosis field at
all: what a schema does not declare cannot leak."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field

from salamat.sickleave.models import Reason, Regime, Relation

PIN = Field(pattern=r"^\d{14}$", description="Personal identification number (14 digits).")
TAX_ID = Field(pattern=r"^\d{14}$", description="Organisation tax ID (14 digits).")


class CommissionIn(Schema):
    commission_chair_id: UUID | None = Field(
        default=None,
        description="The commission chair (user id) approving this period, when the rules need it.",
    )
    commission_decision_number: str = Field(default="", max_length=64)
    ambulance_record_ref: str = Field(
        default="", max_length=64, description="Ambulance/emergency record; required to backdate a period."
    )


class SickLeaveOpenIn(CommissionIn):
    patient_pin: str = PIN
    employer_name: str = Field(min_length=1, max_length=255)
    employer_tax_id: str = TAX_ID
    is_main_job: bool = True
    reason: Reason
    diagnosis_code: str = Field(max_length=8, description="WHO ICD-10 code, e.g. J06.9.")
    regime: Regime = Regime.OUTPATIENT
    hospital_from: date | None = None
    hospital_to: date | None = None
    cared_for_pin: str = Field(default="", pattern=r"^(\d{14})?$")
    cared_for_relation: Relation | Literal[""] = ""
    start: date
    end: date
    record_encounter: UUID | None = Field(
        default=None,
        description="The visit in the patient record (its FHIR Encounter id) the certificate is opened "
        "from; your clinic must have recorded it for this patient (else 422 `encounter_unknown`).",
    )


class SickLeaveExtendIn(CommissionIn):
    start: date | None = Field(default=None, description="Defaults to the day after the last period.")
    end: date


class SickLeaveContinueIn(CommissionIn):
    end: date
    diagnosis_code: str = Field(default="", max_length=8, description="A new diagnosis, if it changed.")
    regime: Regime | Literal[""] = ""
    hospital_from: date | None = None
    hospital_to: date | None = None


class SickLeaveCloseIn(Schema):
    outcome: Literal["return_to_work", "disability_board", "death"]
    outcome_date: date = Field(description="Return-to-work day, referral day, or date of death.")


class SickLeaveAnnulIn(Schema):
    reason: str = Field(min_length=5, max_length=500)


class IssuingOrganizationOut(Schema):
    id: UUID
    name: str
    tax_id: str


class PeriodOut(Schema):
    ordinal: int
    start: date
    end: date
    days: int
    doctor_name: str
    doctor_position: str
    commission_chair_name: str | None
    commission_decision_number: str
    backdated_with_ambulance_record: bool
    signed: bool
    awaiting_commission: bool = Field(description="Issued, waiting for the commission chair's approval.")


class SickLeaveOut(Schema):
    """Everything about a certificate: for its clinic, the patient and the regulator."""

    id: UUID
    number: str
    status: str
    patient_pin: str
    patient_name: str
    patient_birth_date: date
    patient_sex: str
    organization: IssuingOrganizationOut
    employer_name: str
    employer_tax_id: str
    is_main_job: bool
    reason: str
    benefit_category: str
    cared_for_pin: str
    cared_for_name: str
    cared_for_relation: str
    cared_for_birth_date: date | None
    diagnosis_code: str
    diagnosis_title: str
    regime: str
    hospital_from: date | None
    hospital_to: date | None
    record_encounter: UUID | None = Field(
        default=None, description="The visit in the patient record the certificate was opened from."
    )
    first_day: date | None
    last_day: date | None
    total_days: int
    outcome: str
    outcome_date: date | None
    closed_at: datetime | None
    annulled_at: datetime | None
    annulment_reason: str
    duplicate_of: str | None = Field(description="Number of the certificate this one duplicates.")
    replaced_by: list[str] = Field(description="Numbers of duplicates issued for this certificate.")
    continuation_of: str | None
    continued_by: list[str]
    periods: list[PeriodOut]
    verify_url: str


class SignatureOut(Schema):
    """One signature and whether it still verifies against the data as stored now."""

    part: Literal["period", "certificate"]
    ordinal: int | None = Field(description="The period's number (for a period's signature).")
    role: Literal["doctor", "commission_chair", "organization", "copy"]
    signer_name: str
    signed_at: datetime
    payload_sha256: str = Field(description="SHA-256 of the RFC 8785 canonical JSON that was signed.")
    certificate_fingerprint: str
    valid: bool
    code: str = Field(description="`ok`, or why it fails: `data_changed`, `bad_signature`, ...")
    message: str


class SignaturesOut(Schema):
    number: str
    all_valid: bool
    signatures: list[SignatureOut]


class CommissionApproveIn(Schema):
    commission_decision_number: str = Field(default="", max_length=64)


class CommissionRejectIn(Schema):
    comment: str = Field(default="", max_length=500)


class CommissionQueueItemOut(Schema):
    sick_leave_id: UUID
    number: str
    patient_name: str
    ordinal: int
    start: date
    end: date
    total_days: int
    doctor_name: str
    commission_decision_number: str


class VerifyIn(Schema):
    number: str = Field(max_length=12, description="The certificate's 12-digit number.")
    pin: str = Field(max_length=14, description="The employee's PIN.")


class VerificationPeriodOut(Schema):
    start: date
    end: date
    days: int


class VerificationOut(Schema):
    """What an employer may know: dates, status, outcome, issuer; never the diagnosis."""

    number: str
    status: str
    patient_name: str
    employer_name: str
    employer_tax_id: str
    is_main_job: bool
    benefit_category: str = Field(description="general, occupational, family_care or pregnancy.")
    issuing_organization: IssuingOrganizationOut
    periods: list[VerificationPeriodOut]
    first_day: date | None
    last_day: date | None
    total_days: int
    outcome: str
    outcome_date: date | None
    replaced_by: list[str]
    continuation_of: str | None
    continued_by: list[str]
    signatures_valid: bool = Field(description="Every signature on the certificate still verifies.")


class FundItemOut(Schema):
    """A closed certificate with the fields a benefit calculation needs."""

    number: str
    patient_pin: str
    patient_name: str
    employer_name: str
    employer_tax_id: str
    is_main_job: bool
    benefit_category: str
    issuing_organization: IssuingOrganizationOut
    first_day: date | None
    last_day: date | None
    total_days: int
    outcome: str
    outcome_date: date | None
    closed_at: datetime | None
    duplicate_of: str | None
    continuation_of: str | None


class FundFilter(Schema):
    closed_from: date
    closed_to: date
    employer_tax_id: str = Field(default="", pattern=r"^(\d{14})?$")
    page: int = Field(default=1, ge=1)
    page_size: int = Field(default=100, ge=1, le=1000)
    format: Literal["json", "csv"] = Field(
        default="json", description="`csv` streams every matching row (no paging)."
    )


class SickLeaveListFilter(Schema):
    status: Literal["open", "closed", "annulled", "replaced", ""] = "open"
    patient_pin: str = Field(default="", pattern=r"^(\d{14})?$")
    page: int = Field(default=1, ge=1)
    page_size: int = Field(default=50, ge=1, le=200)
