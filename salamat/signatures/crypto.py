"""The signature mechanism of the platform, as pure functions (no Django import).

A record (a JSON-ready dict) is signed over its RFC 8785 canonical bytes with ECDSA
P-256 / SHA-256. A signature is accepted only when the signer's X.509 certificate was
issued by one of the trusted CAs, is valid at the signing time, allows digital
signatures, and names the expected person in its subject serial number (the PIN).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import rfc8785
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from salamat.core.errors import DomainError
from salamat.core.i18n import gettext as _

# Stable refusal codes; API clients switch on them.
BAD_SIGNATURE = "bad_signature"
UNTRUSTED_CERTIFICATE = "untrusted_certificate"
CERTIFICATE_EXPIRED = "certificate_expired"
CERTIFICATE_NOT_YET_VALID = "certificate_not_yet_valid"
SIGNER_MISMATCH = "signer_mismatch"
MALFORMED_CERTIFICATE = "malformed_certificate"
WRONG_KEY_USAGE = "certificate_key_usage"


class SignatureInvalid(DomainError):
    """A signature or its certificate was refused; `code` says why."""

    status_code = 422


@dataclass(frozen=True)
class VerifiedSignature:
    """What a successful verification established."""

    signer_pin: str
    signer_name: str
    certificate_fingerprint: str
    issuer_fingerprint: str
    payload_sha256: str


def canonical_bytes(record: dict[str, Any]) -> bytes:
    """The RFC 8785 (JCS) canonical JSON of `record`: the exact bytes that are signed."""
    return rfc8785.dumps(record)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sign_bytes(data: bytes, private_key: ec.EllipticCurvePrivateKey) -> str:
    """An ECDSA P-256 / SHA-256 signature of `data`, DER-encoded, in base64."""
    return base64.b64encode(private_key.sign(data, ec.ECDSA(hashes.SHA256()))).decode("ascii")


def sign(record: dict[str, Any], private_key: ec.EllipticCurvePrivateKey) -> str:
    """Signs the canonical bytes of `record`; returns the base64 signature."""
    return sign_bytes(canonical_bytes(record), private_key)


def load_certificate(pem: str | bytes) -> x509.Certificate:
    """Parses a PEM certificate or raises `malformed_certificate`."""
    data = pem.encode("ascii", "replace") if isinstance(pem, str) else pem
    try:
        return x509.load_pem_x509_certificate(data)
    except (ValueError, TypeError):
        raise SignatureInvalid(MALFORMED_CERTIFICATE, _("The certificate cannot be read.")) from None


def load_private_key(pem: str | bytes, password: bytes | None = None) -> ec.EllipticCurvePrivateKey:
    data = pem.encode("ascii") if isinstance(pem, str) else pem
    key = serialization.load_pem_private_key(data, password=password)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("not an EC private key")
    return key


def fingerprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex()


def subject_pin(certificate: x509.Certificate) -> str:
    """The PIN in the certificate subject's serialNumber (empty when there is none)."""
    values = certificate.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    if not values:
        return ""
    value = str(values[0].value).strip()
    # National CAs often write it as "PIN12345678901234" or "IIN…"; keep the digits.
    return "".join(ch for ch in value if ch.isdigit())


def subject_name(certificate: x509.Certificate) -> str:
    values = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else ""


def verify_bytes(
    data: bytes,
    signature_b64: str,
    certificate_pem: str | bytes,
    *,
    trusted_roots: list[x509.Certificate],
    at: datetime,
    expected_pin: str | None,
) -> VerifiedSignature:
    """Checks `signature_b64` over `data` by the holder of `certificate_pem` at time `at`.

    Order matters for the error a caller sees: a certificate that cannot be read is
    `malformed_certificate` before anything else; trust before validity (an untrusted
    certificate's dates mean nothing); the signature itself last but one; the signer
    identity last."""
    certificate = load_certificate(certificate_pem)
    public_key = certificate.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey) or not isinstance(
        public_key.curve, ec.SECP256R1
    ):
        raise SignatureInvalid(
            MALFORMED_CERTIFICATE, _("The certificate must carry an ECDSA P-256 public key.")
        )
    issuer = _trusted_issuer(certificate, trusted_roots, at)
    if at < certificate.not_valid_before_utc:
        raise SignatureInvalid(CERTIFICATE_NOT_YET_VALID, _("The certificate is not valid yet."))
    if at > certificate.not_valid_after_utc:
        raise SignatureInvalid(CERTIFICATE_EXPIRED, _("The certificate has expired."))
    _check_key_usage(certificate)
    try:
        signature = base64.b64decode(signature_b64 or "", validate=True)
    except (ValueError, TypeError):
        raise SignatureInvalid(BAD_SIGNATURE, _("The signature is not valid base64.")) from None
    try:
        public_key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise SignatureInvalid(
            BAD_SIGNATURE, _("The signature does not match the signed data and certificate.")
        ) from None
    pin = subject_pin(certificate)
    if expected_pin is not None and pin != expected_pin:
        raise SignatureInvalid(
            SIGNER_MISMATCH, _("The certificate belongs to another person than the signer.")
        )
    return VerifiedSignature(
        signer_pin=pin,
        signer_name=subject_name(certificate),
        certificate_fingerprint=fingerprint(certificate),
        issuer_fingerprint=fingerprint(issuer),
        payload_sha256=sha256_hex(data),
    )


def verify(
    record: dict[str, Any],
    signature_b64: str,
    certificate_pem: str | bytes,
    *,
    trusted_roots: list[x509.Certificate],
    at: datetime,
    expected_pin: str | None,
) -> VerifiedSignature:
    """`verify_bytes` over the canonical bytes of `record`."""
    return verify_bytes(
        canonical_bytes(record),
        signature_b64,
        certificate_pem,
        trusted_roots=trusted_roots,
        at=at,
        expected_pin=expected_pin,
    )


def _trusted_issuer(
    certificate: x509.Certificate, trusted_roots: list[x509.Certificate], at: datetime
) -> x509.Certificate:
    # Certificates are issued directly by a trusted CA (a national CA's issuing certificate
    # is registered as trusted itself), so one link is checked: name, CA flag, signature.
    for root in trusted_roots:
        if root.subject != certificate.issuer:
            continue
        try:
            basic = root.extensions.get_extension_for_class(x509.BasicConstraints).value
        except x509.ExtensionNotFound:
            continue
        if not basic.ca:
            continue
        try:
            certificate.verify_directly_issued_by(root)
        except (ValueError, TypeError, InvalidSignature):
            continue
        if not (root.not_valid_before_utc <= at <= root.not_valid_after_utc):
            continue
        return root
    raise SignatureInvalid(
        UNTRUSTED_CERTIFICATE, _("The certificate was not issued by a certification authority we trust.")
    )


def _check_key_usage(certificate: x509.Certificate) -> None:
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is None or not (usage.digital_signature or usage.content_commitment):
        raise SignatureInvalid(WRONG_KEY_USAGE, _("The certificate may not be used for signing documents."))
    try:
        basic = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return
    if basic.ca:
        raise SignatureInvalid(WRONG_KEY_USAGE, _("A CA certificate cannot sign documents."))
