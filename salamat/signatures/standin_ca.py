"""A stand-in certification authority for development and tests.

The root key and certificate are generated on first use and kept in the database
(`StandInCA`), then registered as a `TrustedCA` marked stand-in. Production never
uses it: `root()` refuses there, so nothing it issued is trusted unless an operator
adds it by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from salamat.signatures import crypto
from salamat.signatures.models import StandInCA, TrustedCA

ROOT_NAME = "Salamat Stand-in Root CA (development only)"


@dataclass(frozen=True)
class IssuedCertificate:
    """A test person's key and certificate, in PEM and as a PKCS#12 bundle."""

    private_key: ec.EllipticCurvePrivateKey
    private_key_pem: str
    certificate: x509.Certificate
    certificate_pem: str
    pkcs12: bytes


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _key_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")


@transaction.atomic
def root() -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """The stand-in root CA's key and certificate, created (and trusted) on first use."""
    if settings.MODE == "production":
        raise ImproperlyConfigured("The stand-in CA is for development and tests only.")
    ca = StandInCA.objects.select_for_update().order_by("pk").first()
    if ca is None:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ROOT_NAME)])
        now = timezone.now()
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(key, hashes.SHA256())
        )
        ca = StandInCA.objects.create(
            name=ROOT_NAME, private_key_pem=_key_pem(key), certificate_pem=_pem(cert)
        )
    cert = crypto.load_certificate(ca.certificate_pem)
    TrustedCA.objects.get_or_create(
        fingerprint=crypto.fingerprint(cert),
        defaults={"name": ca.name, "certificate_pem": ca.certificate_pem, "is_stand_in": True},
    )
    return crypto.load_private_key(ca.private_key_pem), cert


def issue_personal_certificate(
    pin: str,
    name: str,
    *,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    key_usage_signing: bool = True,
    issuer: tuple[ec.EllipticCurvePrivateKey, x509.Certificate] | None = None,
    p12_password: bytes | None = None,
) -> IssuedCertificate:
    """A fresh key and a certificate for a test person (subject serialNumber = PIN)."""
    ca_key, ca_cert = issuer or root()
    key = ec.generate_private_key(ec.SECP256R1())
    now = timezone.now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, name),
                    x509.NameAttribute(NameOID.SERIAL_NUMBER, pin),
                    x509.NameAttribute(NameOID.COUNTRY_NAME, "KG"),
                ]
            )
        )
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - timedelta(minutes=5))
        .not_valid_after(not_after or now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=key_usage_signing,
                content_commitment=key_usage_signing,
                key_encipherment=not key_usage_signing,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    encryption = (
        serialization.BestAvailableEncryption(p12_password) if p12_password else serialization.NoEncryption()
    )
    bundle = pkcs12.serialize_key_and_certificates(name.encode("utf-8"), key, cert, [ca_cert], encryption)
    return IssuedCertificate(
        private_key=key,
        private_key_pem=_key_pem(key),
        certificate=cert,
        certificate_pem=_pem(cert),
        pkcs12=bundle,
    )
