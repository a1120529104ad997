"""Trusted certification authorities, the development stand-in CA, and signed records."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TrustedCA(models.Model):
    """A certification authority whose certificates the platform accepts (data, not code)."""

    name = models.CharField(_("name"), max_length=255)
    certificate_pem = models.TextField(_("certificate (PEM)"))
    fingerprint = models.CharField(_("SHA-256 fingerprint"), max_length=64, unique=True)
    is_active = models.BooleanField(_("trusted"), default=True)
    # True for the development stand-in CA, so that it is easy to see (and never trusted in production).
    is_stand_in = models.BooleanField(_("stand-in (development)"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("trusted certification authority")
        verbose_name_plural = _("trusted certification authorities")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class StandInCA(models.Model):
    """The development/test root CA: generated once on first use, kept in the database
    (never in the repository). Not used in production mode."""

    name = models.CharField(max_length=255)
    private_key_pem = models.TextField()
    certificate_pem = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("stand-in certification authority")
        verbose_name_plural = _("stand-in certification authorities")

    def __str__(self) -> str:
        return self.name


class SignedRecord(models.Model):
    """A record signed by a person: the exact canonical bytes, their hash, the signature
    and the certificate, so that it can be verified again at any later time."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # What was signed, e.g. "onboarding.offer_acceptance".
    purpose = models.CharField(_("purpose"), max_length=64, db_index=True)
    canonical_json = models.TextField(_("canonical JSON (RFC 8785)"))
    payload_sha256 = models.CharField(_("SHA-256 of the canonical bytes"), max_length=64)
    signature = models.TextField(_("signature (base64 DER ECDSA)"))
    certificate_pem = models.TextField(_("signer certificate (PEM)"))
    certificate_fingerprint = models.CharField(_("certificate fingerprint"), max_length=64)
    signer_pin = models.CharField(_("signer PIN"), max_length=14, db_index=True)
    signer_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(_("signed at"))
    verified_at = models.DateTimeField(_("last verified at"))

    class Meta:
        verbose_name = _("signed record")
        verbose_name_plural = _("signed records")
        ordering = ["-signed_at"]

    def __str__(self) -> str:
        return f"{self.purpose} {self.payload_sha256[:12]}"

    def verify_again(self, *, at=None):
        """Re-checks hash, signature, trust and signer now (or at `at`); raises `SignatureInvalid`."""
        # Inside the app: services import this module, so the model's shortcut looks them up
        # when called (the one import inside a function that is not an AppConfig.ready).
        from salamat.signatures.services import signed_record_verify_again

        return signed_record_verify_again(record=self, at=at)
