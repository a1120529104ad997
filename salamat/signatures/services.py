"""Verifying and keeping signatures: the one entry point every module uses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from salamat.core.actors import Actor
from salamat.core.audit import audit_record
from salamat.signatures import crypto
from salamat.signatures.crypto import SignatureInvalid, VerifiedSignature
from salamat.signatures.models import SignedRecord, TrustedCA

sign = crypto.sign
canonical_bytes = crypto.canonical_bytes


def trusted_roots() -> list:
    """The certificates of every active trusted CA."""
    roots = []
    for pem in TrustedCA.objects.filter(is_active=True).values_list("certificate_pem", flat=True):
        try:
            roots.append(crypto.load_certificate(pem))
        except SignatureInvalid:  # a broken row must not make every signature untrusted
            continue
    return roots


def verify(
    record: dict[str, Any],
    signature: str,
    certificate: str,
    *,
    expected_pin: str | None,
    at: datetime | None = None,
) -> VerifiedSignature:
    """Checks a signature over `record` against the trusted CAs; raises `SignatureInvalid(code)`."""
    return crypto.verify(
        record,
        signature,
        certificate,
        trusted_roots=trusted_roots(),
        at=at or timezone.now(),
        expected_pin=expected_pin,
    )


@transaction.atomic
def signed_record_create(
    *,
    actor: Actor,
    purpose: str,
    record: dict[str, Any],
    signature: str,
    certificate_pem: str,
    expected_pin: str,
) -> SignedRecord:
    """Verifies `signature` over `record` by the person with `expected_pin` and keeps it."""
    now = timezone.now()
    verified = verify(record, signature, certificate_pem, expected_pin=expected_pin, at=now)
    signed = SignedRecord.objects.create(
        purpose=purpose,
        canonical_json=crypto.canonical_bytes(record).decode("utf-8"),
        payload_sha256=verified.payload_sha256,
        signature=signature,
        certificate_pem=certificate_pem,
        certificate_fingerprint=verified.certificate_fingerprint,
        signer_pin=verified.signer_pin,
        signer_user=actor.user,
        signed_at=now,
        verified_at=now,
    )
    audit_record(
        actor=actor,
        action="signature.create",
        obj=signed,
        changes={"purpose": purpose, "payload_sha256": verified.payload_sha256},
    )
    return signed


def signed_record_verify_again(*, record: SignedRecord, at: datetime | None = None) -> VerifiedSignature:
    """Verifies a kept record again: stored bytes against their hash, then the signature as of
    its signing time (a certificate that expired since does not void a signature made before),
    against the CAs trusted today."""
    data = record.canonical_json.encode("utf-8")
    if crypto.sha256_hex(data) != record.payload_sha256:
        raise SignatureInvalid(crypto.BAD_SIGNATURE, "The stored record does not match its hash.")
    verified = crypto.verify_bytes(
        data,
        record.signature,
        record.certificate_pem,
        trusted_roots=trusted_roots(),
        at=at or record.signed_at,
        expected_pin=record.signer_pin,
    )
    SignedRecord.objects.filter(pk=record.pk).update(verified_at=timezone.now())
    return verified
