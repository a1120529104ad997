"""The public offer: publishing a version, the applicant accepting it (signed in phase 2),
and the check at submission that the accepted version is still the one in force."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salamat.core.actors import Actor
from salamat.core.audit import audit_record
from salamat.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from salamat.onboarding import states
from salamat.onboarding.models import Application, OfferAcceptance, OfferVersion, OnboardingPhase
from salamat.onboarding.selectors import current_phase, offer_current
from salamat.onboarding.services.workflow import event_record, lock_application, require_applicant
from salamat.signatures.services import signed_record_create

ACCEPTANCE_PURPOSE = "onboarding.offer_acceptance"


def offer_acceptance_record(application: Application, offer: OfferVersion, pin: str) -> dict[str, Any]:
    """The record the applicant signs in phase 2 (its RFC 8785 bytes are what is signed)."""
    return {
        "purpose": ACCEPTANCE_PURPOSE,
        "application": str(application.external_id),
        "tax_id": application.tax_id,
        "offer_version": offer.version,
        "offer_sha256": offer.sha256,
        "signer_pin": pin,
    }


@transaction.atomic
def offer_accept(
    *,
    actor: Actor,
    application: Application,
    version: int | None = None,
    ip: str | None = None,
    signature: str = "",
    certificate_pem: str = "",
) -> OfferAcceptance:
    """Records the applicant's acceptance of the current offer (signed in phase 2)."""
    application = lock_application(application)
    user = require_applicant(actor, application)
    states.assert_editable(application.status)
    if not user.pin:
        raise PermissionDenied("pin_required", _("Log in through ESI so that your PIN is known."))
    offer = offer_current()
    if offer is None:
        raise NotFound("no_offer_published", _("No public offer has been published yet."))
    if version is not None and version != offer.version:
        raise Conflict(
            "offer_version_stale",
            _("A newer version of the offer has been published; read it and accept it."),
            details={"current_version": offer.version},
        )
    signed = None
    if current_phase() == OnboardingPhase.AUTOMATED:
        if not signature or not certificate_pem:
            raise ValidationFailed(
                "signature_required", _("In phase 2 the acceptance must be signed with your certificate.")
            )
        signed = signed_record_create(
            actor=actor,
            purpose=ACCEPTANCE_PURPOSE,
            record=offer_acceptance_record(application, offer, user.pin),
            signature=signature,
            certificate_pem=certificate_pem,
            expected_pin=user.pin,
        )
    acceptance = OfferAcceptance.objects.create(
        application=application,
        offer_version=offer,
        text_sha256=offer.sha256,
        accepted_at=timezone.now(),
        ip=ip,
        pin=user.pin,
        user=user,
        signed_record=signed,
    )
    event_record(application, "offer_accept", actor=actor, comment=f"v{offer.version}")
    audit_record(
        actor=actor,
        action="application.offer_accept",
        obj=application,
        changes={"offer_version": offer.version, "text_sha256": offer.sha256, "signed": signed is not None},
    )
    return acceptance


def assert_offer_accepted(application: Application) -> None:
    acceptance = (
        application.acceptances.select_related("offer_version").order_by("-accepted_at", "-pk").first()
    )
    current = offer_current()
    if acceptance is None:
        raise ValidationFailed("offer_not_accepted", _("Accept the public offer before submitting."))
    if current is not None and (
        acceptance.offer_version_id != current.pk or acceptance.text_sha256 != current.sha256
    ):
        raise Conflict(
            "offer_version_stale",
            _("A new version of the public offer was published after you accepted it: accept it again."),
            details={
                "accepted_version": acceptance.offer_version.version,
                "current_version": current.version,
            },
        )
    if current_phase() == OnboardingPhase.AUTOMATED and acceptance.signed_record_id is None:
        raise ValidationFailed(
            "offer_not_signed",
            _("In phase 2 the offer acceptance must be signed: accept it again with your certificate."),
        )


@transaction.atomic
def offer_version_publish(
    *, actor: Actor, title: str, text_ru: str, text_ky: str = "", text_en: str = ""
) -> OfferVersion:
    """Publishes a new offer version; every open application must accept it again."""
    last = OfferVersion.objects.select_for_update().order_by("-version").first()
    offer = OfferVersion.objects.create(
        version=(last.version + 1) if last else 1,
        title=title,
        text_ru=text_ru,
        text_ky=text_ky,
        text_en=text_en,
        sha256=hashlib.sha256(text_ru.encode("utf-8")).hexdigest(),
        published_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action="offer.publish",
        obj=offer,
        changes={"version": offer.version, "sha256": offer.sha256},
    )
    return offer
