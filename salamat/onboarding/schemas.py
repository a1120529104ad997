"""Input and output shapes of the onboarding API."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from ninja import Schema
from pydantic import Field


class ApplicationStartIn(Schema):
    tax_id: str = Field(
        description="The organisation's 14-digit tax ID (from your ESI organisations, or typed)."
    )


class ApplicationUpdateIn(Schema):
    """Only the fields sent are changed."""

    legal_name: str | None = None
    legal_form: str | None = None
    address: str | None = None
    region: str | None = Field(default=None, description="Region code, e.g. `bishkek`, `osh_city`, `chuy`.")
    district: str | None = None
    head_physician_pin: str | None = None
    head_physician_name: str | None = None
    licence_number: str | None = None
    licence_issued_on: date | None = None
    licence_valid_until: date | None = None
    licensed_activities: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None


class DocumentOut(Schema):
    id: UUID = Field(alias="external_id")
    kind: str
    original_name: str
    content_type: str
    size: int
    uploaded_at: datetime


class EventOut(Schema):
    action: str
    from_status: str
    to_status: str
    comment: str
    created_at: datetime


class CheckOut(Schema):
    name: str
    outcome: str = Field(description="`ok`, `needs_review` or `invalid`.")
    message: str


class ReviewerCheckOut(CheckOut):
    reviewer_message: str


class ApplicationOut(Schema):
    id: UUID = Field(alias="external_id")
    status: str
    represents_by_claim: bool
    legal_name: str
    tax_id: str
    legal_form: str
    address: str
    region: str
    district: str
    head_physician_name: str
    licence_number: str
    licence_issued_on: date | None
    licence_valid_until: date | None
    licensed_activities: str
    contact_email: str
    contact_phone: str
    submitted_at: datetime | None
    decided_at: datetime | None
    decision_reason: str
    organization_id: UUID | None = Field(default=None, description="The organisation, once approved.")
    missing_documents: list[str]
    offer_accepted_version: int | None
    offer_current_version: int | None
    documents: list[DocumentOut]
    events: list[EventOut]
    checks: list[CheckOut]


class ReviewApplicationOut(ApplicationOut):
    head_physician_pin: str
    applicant_name: str
    checks: list[ReviewerCheckOut]


class QueueItemOut(Schema):
    id: UUID
    legal_name: str
    tax_id: str
    status: str
    queued_at: datetime | None
    waiting_seconds: int
    failed_checks: list[str]


class OfferOut(Schema):
    version: int
    title: str
    text: str = Field(description="The full text in the request's language (Russian is authoritative).")
    sha256: str = Field(description="SHA-256 of the authoritative Russian text.")
    published_at: datetime


class AcceptanceRecordOut(Schema):
    record: dict = Field(description="Sign the RFC 8785 canonical JSON of this object (phase 2).")
    phase: int


class OfferAcceptIn(Schema):
    version: int = Field(
        description="The offer version you read; refused as stale if a newer one is in force."
    )
    signature: str = Field(default="", description="Phase 2: base64 DER ECDSA P-256 signature of the record.")
    certificate_pem: str = Field(default="", description="Phase 2: your personal certificate (PEM).")


class OfferAcceptanceOut(Schema):
    offer_version: int
    text_sha256: str
    accepted_at: datetime
    signed: bool


class ReviewTakeIn(Schema):
    application_id: UUID | None = Field(default=None, description="Omit to take the oldest waiting one.")


class CommentIn(Schema):
    comment: str = ""


class RejectIn(Schema):
    reason: str


class CredentialsOut(Schema):
    api_client_id: UUID
    name: str
    token: str = Field(description="Shown once; store it in the clinic's system. Only its hash is kept.")
    expires_at: datetime | None


class StaffInviteIn(Schema):
    pin: str
    role: str = Field(description="`doctor`, `nurse` or `commission_chair`.")


class StaffInviteOut(Schema):
    role: str
    linked: bool = Field(
        description="True if the person already had an account; else linked at their ESI login."
    )
