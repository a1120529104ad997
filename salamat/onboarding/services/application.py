"""The applicant's application: start a draft, fill it in, submit it (in phase 2 the
automated checks run at once and may approve it)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salamat.core.actors import SYSTEM, Actor
from salamat.core.audit import audit_record, diff
from salamat.core.errors import Conflict, PermissionDenied, ValidationFailed, field_error
from salamat.core.identifiers import validate_pin, validate_tax_id
from salamat.onboarding import checks, states
from salamat.onboarding.models import (
    Application,
    ApplicationEvent,
    ChecklistItem,
    DocumentKind,
    OnboardingPhase,
)
from salamat.onboarding.selectors import current_phase, missing_document_kinds
from salamat.onboarding.services.offer import assert_offer_accepted
from salamat.onboarding.services.review import approve
from salamat.onboarding.services.workflow import (
    event_record,
    lock_application,
    require_applicant,
    require_person,
    transition,
)
from salamat.registry.models import Region
from salamat.tunduk.adapters import LicenceInfo, legal_entity_registry, licence_registry

# Fields the applicant fills in; every one but the licence's end date is required to submit
# (some licences are issued without an end date).
EDITABLE_FIELDS = (
    "legal_name",
    "legal_form",
    "address",
    "region",
    "district",
    "head_physician_pin",
    "head_physician_name",
    "licence_number",
    "licence_issued_on",
    "licence_valid_until",
    "licensed_activities",
    "contact_email",
    "contact_phone",
)


REQUIRED_FIELDS = (
    "legal_name",
    "legal_form",
    "address",
    "region",
    "head_physician_pin",
    "head_physician_name",
    "licence_number",
    "licence_issued_on",
    "licensed_activities",
)


@transaction.atomic
def application_start(
    *, actor: Actor, tax_id: str, esi_organizations: list[dict[str, str]] | None = None
) -> Application:
    """Starts a draft for `tax_id`; if it is not in the person's ESI `organizations` claim,
    the application will need a power of attorney."""
    user = require_person(actor)
    tax_id = validate_tax_id(tax_id)
    claimed = {
        str(org.get("tax_id", "")).strip(): str(org.get("name", "")) for org in esi_organizations or []
    }
    open_own = Application.objects.filter(applicant=user, tax_id=tax_id, status__in=states.OPEN).first()
    if open_own is not None:
        raise Conflict(
            "application_already_open",
            _("You already have an open application for this organisation."),
            details={"application_id": str(open_own.external_id)},
        )
    # What the state registries know is filled in for the applicant to check, not to retype.
    entity = legal_entity_registry().lookup(tax_id)
    licence = _latest_licence(tax_id)
    application = Application.objects.create(
        applicant=user,
        tax_id=tax_id,
        represents_by_claim=tax_id in claimed,
        legal_name=claimed.get(tax_id) or (entity.name if entity else ""),
        legal_form=entity.legal_form if entity else "",
        address=entity.address if entity else "",
        licence_number=licence.number if licence else "",
        licence_issued_on=licence.issued_on if licence else None,
        licence_valid_until=licence.valid_until if licence else None,
        licensed_activities="; ".join(licence.activities) if licence else "",
        contact_email=user.email,
        contact_phone=user.phone,
    )
    ApplicationEvent.objects.create(
        application=application, action="start", to_status=application.status, actor_user=user
    )
    audit_record(
        actor=actor,
        action="application.start",
        obj=application,
        changes={"tax_id": tax_id, "represents_by_claim": application.represents_by_claim},
    )
    return application


def _latest_licence(tax_id: str) -> LicenceInfo | None:
    """The holder's licence in force today, else their most recent one, from the licence register."""
    licences = licence_registry().lookup(tax_id)
    today = timezone.localdate()
    return max(licences, key=lambda lic: (lic.is_valid_on(today), lic.issued_on), default=None)


@transaction.atomic
def application_update(*, actor: Actor, application: Application, **fields: Any) -> Application:
    """Changes the form's fields (only as a draft or when changes were requested)."""
    application = lock_application(application)
    require_applicant(actor, application)
    states.assert_editable(application.status)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationFailed(
            "unknown_fields", _("These fields cannot be changed."), details={"fields": sorted(unknown)}
        )
    cleaned = {name: (value.strip() if isinstance(value, str) else value) for name, value in fields.items()}
    if cleaned.get("head_physician_pin"):
        cleaned["head_physician_pin"] = validate_pin(
            cleaned["head_physician_pin"], field="head_physician_pin"
        )
    if cleaned.get("region") and cleaned["region"] not in Region.values:
        raise field_error("region", "unknown_region", _("Unknown region."))
    issued, until = (
        cleaned.get("licence_issued_on", application.licence_issued_on),
        cleaned.get("licence_valid_until", application.licence_valid_until),
    )
    if isinstance(issued, date) and isinstance(until, date) and until < issued:
        raise field_error(
            "licence_valid_until", "licence_dates_reversed", _("The licence ends before it was issued.")
        )
    old = {name: getattr(application, name) for name in cleaned}
    for name, value in cleaned.items():
        if value is None and name not in ("licence_issued_on", "licence_valid_until"):
            value = ""
        setattr(application, name, value)
    application.save(update_fields=[*cleaned, "updated_at"])
    changes = diff(application, list(cleaned), old)
    if "head_physician_pin" in changes:
        changes["head_physician_pin"] = "[changed]"
    audit_record(actor=actor, action="application.update", obj=application, changes=changes)
    return application


def _assert_complete(application: Application) -> None:
    missing_fields = [name for name in REQUIRED_FIELDS if not getattr(application, name)]
    if not (application.contact_email or application.contact_phone):
        missing_fields.append("contact_email")
    if missing_fields:
        message = _("Fill in every required field.")
        raise ValidationFailed(
            "application_incomplete",
            message,
            details={
                "fields": [{"field": f, "code": "required", "message": message} for f in missing_fields]
            },
        )
    missing = missing_document_kinds(application)
    if str(DocumentKind.POWER_OF_ATTORNEY) in missing:
        raise PermissionDenied(
            "representation_not_proven",
            _("This organisation is not among those ESI says you represent: upload a power of attorney."),
        )
    if missing:
        raise ValidationFailed(
            "documents_missing", _("Some required documents are missing."), details={"missing": missing}
        )


@transaction.atomic
def application_submit(*, actor: Actor, application: Application) -> Application:
    """Sends the application to the ministry; in phase 2 runs the automated checks at once."""
    application = lock_application(application)
    require_applicant(actor, application)
    # A second submission is refused before anything else is looked at.
    states.next_status(states.SUBMIT, application.status)
    _assert_complete(application)
    assert_offer_accepted(application)
    now = timezone.now()
    extra: dict[str, Any] = {"queued_at": now, "reviewer": None}
    if application.submitted_at is None:
        extra["submitted_at"] = now
    application = transition(application, states.SUBMIT, actor=actor, **extra)
    if current_phase() == OnboardingPhase.AUTOMATED:
        results = _record_checks(application)
        failed = [r for r in results if r.outcome != checks.OK]
        if not failed:
            application = approve(application, actor=SYSTEM, action=states.AUTO_APPROVE, comment="")
        else:
            event_record(
                application,
                "routed_to_review",
                actor=SYSTEM,
                comment="; ".join(r.applicant_message for r in failed),
            )
    return application


def _record_checks(application: Application) -> list[checks.CheckResult]:
    results = checks.run_checks(application)
    now = timezone.now()
    ChecklistItem.objects.filter(application=application).delete()
    ChecklistItem.objects.bulk_create(
        [
            ChecklistItem(
                application=application,
                name=r.name,
                outcome=r.outcome,
                applicant_message=r.applicant_message,
                reviewer_message=r.reviewer_message,
                checked_at=now,
            )
            for r in results
        ]
    )
    audit_record(
        actor=SYSTEM,
        action="application.checks",
        obj=application,
        changes={r.name: r.outcome for r in results},
    )
    return results
