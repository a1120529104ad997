"""Signatures of sick leave, through the platform's one mechanism (`salamat.signatures`).

What is signed (each over the RFC 8785 canonical bytes of a record built here):

- a period, by its doctor when it is issued (`period_record`);
- a period past the commission threshold, by the commission chair who approves it
  (`commission_record`: the decision number and the hash of the doctor's record);
- the closed certificate, by the issuing organisation (`certificate_record`: the
  content, every period with the hashes of its signatures, the outcome).

Verification (`signatures_of`) checks each kept `SignedRecord` again (hash, signature,
trusted CA, signer) *and* rebuilds its record from the rows as they are now: a stored
period or certificate altered after signing no longer matches what was signed.

Keys: in development and tests a "signing device" stand-in keeps a key per doctor and
per organisation, certified by the stand-in CA (`SigningKey`). Production plugs the
national signature service in behind `_device_sign` and keeps no private key here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from salamat.accounts.models import User
from salamat.core.actors import Actor
from salamat.core.errors import DomainError, PermissionDenied
from salamat.registry.models import Organization
from salamat.sickleave.models import SickLeave, SickLeavePeriod, SigningKey
from salamat.signatures import crypto
from salamat.signatures.crypto import SignatureInvalid
from salamat.signatures.models import SignedRecord
from salamat.signatures.services import signed_record_create, signed_record_verify_again
from salamat.signatures.standin_ca import issue_personal_certificate

PERIOD_PURPOSE = "sick_leave.period"
COMMISSION_PURPOSE = "sick_leave.commission_approval"
CERTIFICATE_PURPOSE = "sick_leave.certificate"


# --- what is signed ------------------------------------------------------------------------


def _d(value) -> str | None:
    return value.isoformat() if value else None


def period_record(period: SickLeavePeriod) -> dict[str, Any]:
    """What the doctor signs for a period (a duplicate's copy names the original's signature)."""
    leave = period.certificate
    original = None
    if leave.duplicate_of_id:
        source = leave.duplicate_of.periods.filter(ordinal=period.ordinal).first()
        if source is not None and source.doctor_signature_id:
            original = {
                "certificate": leave.duplicate_of.number,
                "doctor_signature_sha256": source.doctor_signature.payload_sha256,
                "chair_signature_sha256": (
                    source.chair_signature.payload_sha256 if source.chair_signature_id else None
                ),
            }
    return {
        "type": "salamat.sick_leave.period/1",
        "certificate": leave.number,
        "certificate_id": str(leave.external_id),
        "patient_pin": leave.patient_pin,
        "issuing_organization_tax_id": leave.organization.tax_id,
        "employer_tax_id": leave.employer_tax_id,
        "reason": leave.reason,
        "diagnosis_code": leave.diagnosis_code,
        "ordinal": period.ordinal,
        "start": _d(period.start),
        "end": _d(period.end),
        "doctor_pin": period.doctor.pin or "",
        "doctor_position": period.doctor_position,
        "commission_chair_pin": period.commission_chair.pin if period.commission_chair_id else None,
        "ambulance_record_ref": period.ambulance_record_ref,
        "copy_of": original,
    }


def commission_record(period: SickLeavePeriod) -> dict[str, Any]:
    """What the commission chair signs: the decision, over the doctor's signed period."""
    return {
        "type": "salamat.sick_leave.commission_approval/1",
        "certificate": period.certificate.number,
        "ordinal": period.ordinal,
        "period_signature_sha256": period.doctor_signature.payload_sha256
        if period.doctor_signature_id
        else None,
        "decision_number": period.commission_decision_number,
        "chair_pin": period.commission_chair.pin if period.commission_chair_id else None,
    }


def certificate_record(leave: SickLeave) -> dict[str, Any]:
    """What the organisation signs when the certificate is closed."""
    periods = sorted(leave.periods.all(), key=lambda p: p.ordinal)
    return {
        "type": "salamat.sick_leave.certificate/1",
        "certificate": leave.number,
        "certificate_id": str(leave.external_id),
        "patient": {
            "pin": leave.patient_pin,
            "family_name": leave.patient_family_name,
            "given_name": leave.patient_given_name,
            "middle_name": leave.patient_middle_name,
            "birth_date": _d(leave.patient_birth_date),
            "sex": leave.patient_sex,
        },
        "issuing_organization_tax_id": leave.organization.tax_id,
        "employer": {
            "name": leave.employer_name,
            "tax_id": leave.employer_tax_id,
            "main_job": leave.is_main_job,
        },
        "reason": leave.reason,
        "cared_for": {
            "pin": leave.cared_for_pin,
            "name": leave.cared_for_name,
            "relation": leave.cared_for_relation,
            "birth_date": _d(leave.cared_for_birth_date),
        },
        "diagnosis": {"code": leave.diagnosis_code, "title": leave.diagnosis_title},
        "regime": leave.regime,
        "hospital": {"from": _d(leave.hospital_from), "to": _d(leave.hospital_to)},
        "periods": [
            {
                "ordinal": p.ordinal,
                "start": _d(p.start),
                "end": _d(p.end),
                "doctor_signature_sha256": p.doctor_signature.payload_sha256
                if p.doctor_signature_id
                else None,
                "chair_signature_sha256": p.chair_signature.payload_sha256 if p.chair_signature_id else None,
            }
            for p in periods
        ],
        "outcome": leave.outcome,
        "outcome_date": _d(leave.outcome_date),
        "closed_at": leave.closed_at.isoformat() if leave.closed_at else None,
        "continuation_of": leave.continuation_of.number if leave.continuation_of_id else None,
        "duplicate_of": leave.duplicate_of.number if leave.duplicate_of_id else None,
    }


# --- the signing device (stand-in) ------------------------------------------------------------


def _issue(pin: str, name: str):

    # Organisations get the same kind of certificate with their tax ID as subject serialNumber
    # (a national CA issues organisation seals the same way, with the tax ID instead of a PIN).
    return issue_personal_certificate(pin, name)


def signing_key_for(*, user: User | None = None, organization: Organization | None = None) -> SigningKey:
    """The stand-in key of a doctor or an organisation, issued by the stand-in CA on first use
    (or again once expired). Development and tests only."""
    if settings.MODE == "production":
        raise DomainError(
            "signing_device_unavailable",
            _("No signature service is configured: sign with your own signing software."),
            status_code=503,
        )
    if user is not None:
        if not user.pin:
            raise PermissionDenied(
                "signer_pin_required", _("Your account has no PIN: log in with ESI before signing.")
            )
        lookup, pin, name = {"user": user}, user.pin, user.full_name or user.username
    elif organization is not None:
        lookup, pin, name = {"organization": organization}, organization.tax_id, organization.name
    else:  # pragma: no cover - programming error
        raise ValueError("a user or an organisation")
    key = SigningKey.objects.filter(**lookup).first()
    if key is None or key.not_after <= timezone.now() + timedelta(days=1):
        issued = _issue(pin, name)
        key, _created = SigningKey.objects.update_or_create(
            **lookup,
            defaults={
                "certificate_pem": issued.certificate_pem,
                "private_key_pem": issued.private_key_pem,
                "not_after": issued.certificate.not_valid_after_utc,
            },
        )
    return key


def _device_sign(key: SigningKey, record: dict[str, Any]) -> str:
    return crypto.sign(record, crypto.load_private_key(key.private_key_pem))


def sign_as_person(*, actor: Actor, signer: User, purpose: str, record: dict[str, Any]) -> SignedRecord:
    """`signer`'s signature over `record`, verified and kept."""
    key = signing_key_for(user=signer)
    return signed_record_create(
        actor=actor,
        purpose=purpose,
        record=record,
        signature=_device_sign(key, record),
        certificate_pem=key.certificate_pem,
        expected_pin=signer.pin,
    )


def sign_as_organization(
    *, actor: Actor, organization: Organization, purpose: str, record: dict[str, Any]
) -> SignedRecord:
    """The organisation's seal over `record`, verified and kept."""
    key = signing_key_for(organization=organization)
    return signed_record_create(
        actor=actor,
        purpose=purpose,
        record=record,
        signature=_device_sign(key, record),
        certificate_pem=key.certificate_pem,
        expected_pin=organization.tax_id,
    )


# --- verification ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureCheck:
    """One signature of a certificate and whether it still holds."""

    part: str  # "period" or "certificate"
    ordinal: int | None  # the period's number
    role: str  # "doctor", "commission_chair", "organization", "copy" (a duplicate's attestation)
    signer_name: str
    signed_at: datetime
    payload_sha256: str
    certificate_fingerprint: str
    valid: bool
    code: str  # "ok" or why it fails
    message: str


def _check(
    record: SignedRecord, expected: dict[str, Any], *, expected_pin: str, part, ordinal, role
) -> SignatureCheck:
    code, message, name = "ok", "", ""
    try:
        verified = signed_record_verify_again(record=record)
        name = verified.signer_name
        if record.signer_pin != expected_pin:
            code, message = crypto.SIGNER_MISMATCH, _("The signature was made by someone else.")
        elif record.canonical_json != crypto.canonical_bytes(expected).decode("utf-8"):
            code = "data_changed"
            message = _("The stored data no longer matches what was signed.")
    except SignatureInvalid as exc:
        code, message = exc.code, exc.message
        try:
            name = crypto.subject_name(crypto.load_certificate(record.certificate_pem))
        except SignatureInvalid:
            name = ""
    return SignatureCheck(
        part=part,
        ordinal=ordinal,
        role=role,
        signer_name=name,
        signed_at=record.signed_at,
        payload_sha256=record.payload_sha256,
        certificate_fingerprint=record.certificate_fingerprint,
        valid=code == "ok",
        code=code,
        message=message,
    )


def signatures_of(leave: SickLeave) -> list[SignatureCheck]:
    """Every signature of `leave`, each checked again against the rows as they are now."""
    periods = list(
        leave.periods.select_related(
            "doctor", "commission_chair", "doctor_signature", "chair_signature"
        ).order_by("ordinal")
    )
    out = []
    for period in periods:
        if period.doctor_signature_id:
            copy = bool(leave.duplicate_of_id)
            signer = leave.created_by if copy else period.doctor
            out.append(
                _check(
                    period.doctor_signature,
                    period_record(period),
                    expected_pin=signer.pin or "",
                    part="period",
                    ordinal=period.ordinal,
                    role="copy" if copy else "doctor",
                )
            )
        if period.chair_signature_id:
            out.append(
                _check(
                    period.chair_signature,
                    commission_record(period),
                    expected_pin=period.commission_chair.pin or "",
                    part="period",
                    ordinal=period.ordinal,
                    role="commission_chair",
                )
            )
    if leave.organization_signature_id:
        out.append(
            _check(
                leave.organization_signature,
                certificate_record(leave),
                expected_pin=leave.organization.tax_id,
                part="certificate",
                ordinal=None,
                role="organization",
            )
        )
    return out
