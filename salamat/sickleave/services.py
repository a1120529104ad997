"""Every write to sick leave: open, extend, close, continue, annul, duplicate, approve.

Each service is keyword-only, atomic and audited. The rules themselves live in the
pure `salamat.sickleave.rules`; here they get their facts from the database. Locks:
always the certificate row first (then, for a continuation, nothing else), so two
services never wait on each other in opposite orders. The audit rows never carry the
PIN or the diagnosis.

Signatures (see `signing`): the doctor signs each period as it is issued; a period past
the commission threshold names the chair and waits for the chair's approval, which is the
chair's signature; closing a certificate seals it with the organisation's signature.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salamat.accounts.models import Role, User
from salamat.accounts.selectors import membership_active
from salamat.core.actors import Actor
from salamat.core.audit import audit_record
from salamat.core.conf import setting
from salamat.core.errors import Conflict, PermissionDenied, field_error
from salamat.core.identifiers import parse_pin, validate_tax_id
from salamat.registry.models import Organization, OrganizationType
from salamat.sickleave import rules, signing
from salamat.sickleave.icd import icd10_lookup
from salamat.sickleave.links import encounter_recorded
from salamat.sickleave.models import (
    Outcome,
    Reason,
    Regime,
    Relation,
    SickLeave,
    SickLeavePeriod,
    Status,
)
from salamat.sickleave.numbering import new_number
from salamat.tunduk.adapters import Person, population_registry


def current_rules() -> rules.SickLeaveRules:
    """The rules table with the overrides of ``settings.SALAMAT["SICK_LEAVE_RULES"]``."""
    return rules.rules_from_settings(setting("SICK_LEAVE_RULES"))


def _today() -> date:
    return timezone.localdate()


# --- who may act -----------------------------------------------------------------------


def _issuing_organization(actor: Actor, *roles: str) -> Organization:
    """The actor's organisation if it is an active medical one and the actor a person with `roles`."""
    organization = actor.require_organization()
    if organization.org_type != OrganizationType.MEDICAL or not organization.is_active:
        raise PermissionDenied(
            "not_active_medical_organization",
            _("Only an active medical organisation issues sick leave."),
        )
    if actor.user is None:
        # A certificate is a doctor's personal act: a machine token cannot issue one.
        raise PermissionDenied("doctor_required", _("A doctor must be logged in to do this."))
    actor.require_role(*roles)
    return organization


def _require_issuer(actor: Actor, certificate: SickLeave, *roles: str) -> Organization:
    organization = _issuing_organization(actor, *roles)
    if certificate.organization_id != organization.pk:
        raise PermissionDenied(
            "not_issuing_organization",
            _("Only the organisation that issued this certificate may change it."),
        )
    return organization


def _doctor_position(user: User, organization: Organization) -> str:
    membership = membership_active(user=user, organization=organization, role=Role.DOCTOR)
    return membership.position if membership else ""


def _check_commission_chair(
    organization: Organization, chair: User | None, decision_number: str
) -> tuple[User | None, str]:
    if chair is None:
        return None, ""
    if membership_active(user=chair, organization=organization, role=Role.COMMISSION_CHAIR) is None:
        raise PermissionDenied(
            "not_commission_chair",
            _("This person does not chair the medical commission of your organisation."),
        )
    # The decision number may be known now or be given by the chair when approving.
    return chair, (decision_number or "").strip()[:64]


# --- facts from the database ----------------------------------------------------------------


def _person(pin: str, *, field: str) -> Person:
    info = parse_pin(pin, field=field)
    person = population_registry().lookup(info.pin)
    if person is None:
        raise field_error(field, "person_not_found", _("The population registry does not know this PIN."))
    return person


def _periods(certificate: SickLeave) -> list[SickLeavePeriod]:
    return list(certificate.periods.order_by("ordinal"))


def _case_periods_before(certificate: SickLeave | None) -> list[rules.PeriodFacts]:
    """The periods of the certificates `certificate` continues (and itself), oldest first."""
    out: list[rules.PeriodFacts] = []
    seen = set()
    while certificate is not None and certificate.pk not in seen:
        seen.add(certificate.pk)
        out = [p.facts() for p in _periods(certificate)] + out
        certificate = certificate.continuation_of
    return out


def _has_open_certificate(pin: str, employer_tax_id: str, reason: str) -> bool:
    return SickLeave.objects.filter(
        patient_pin=pin, employer_tax_id=employer_tax_id, reason=reason, status=Status.OPEN
    ).exists()


def _unused_number() -> str:
    while True:
        number = new_number()
        if not SickLeave.objects.filter(number=number).exists():
            return number


def _pending_commission(periods: list[SickLeavePeriod]) -> bool:
    return any(p.awaiting_commission for p in periods)


def _sign_period(actor: Actor, period: SickLeavePeriod) -> None:
    """The doctor's signature over the new period; without a chair to wait for, it is final."""
    record = signing.sign_as_person(
        actor=actor, signer=actor.user, purpose=signing.PERIOD_PURPOSE, record=signing.period_record(period)
    )
    period.doctor_signature = record
    fields = ["doctor_signature"]
    if period.commission_chair_id is None:
        period.signed, period.signed_at = True, record.signed_at
        fields += ["signed", "signed_at"]
    period.save(update_fields=fields)


def _seal(actor: Actor, certificate: SickLeave) -> None:
    """The issuing organisation's signature over the closed certificate."""
    certificate = sick_leave_reread(certificate)
    record = signing.sign_as_organization(
        actor=actor,
        organization=certificate.organization,
        purpose=signing.CERTIFICATE_PURPOSE,
        record=signing.certificate_record(certificate),
    )
    SickLeave.objects.filter(pk=certificate.pk).update(organization_signature=record)


def sick_leave_reread(certificate: SickLeave) -> SickLeave:
    return SickLeave.objects.select_related("organization", "duplicate_of", "continuation_of").get(
        pk=certificate.pk
    )


def _period_audit(period: SickLeavePeriod) -> dict[str, Any]:
    return {
        "ordinal": period.ordinal,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "commission_chair": period.commission_chair_id,
        "backdated_with_ambulance_record": bool(period.ambulance_record_ref),
    }


# --- open ------------------------------------------------------------------------------------


@transaction.atomic
def sick_leave_open(
    *,
    actor: Actor,
    patient_pin: str,
    employer_name: str,
    employer_tax_id: str,
    reason: str,
    diagnosis_code: str,
    start: date,
    end: date,
    is_main_job: bool = True,
    regime: str = Regime.OUTPATIENT,
    hospital_from: date | None = None,
    hospital_to: date | None = None,
    cared_for_pin: str = "",
    cared_for_relation: str = "",
    ambulance_record_ref: str = "",
    commission_chair: User | None = None,
    commission_decision_number: str = "",
    record_encounter: uuid.UUID | str | None = None,
) -> SickLeave:
    """Opens a certificate with its first period, issued by the acting doctor; from a visit in
    the patient record when `record_encounter` names that visit's Encounter."""
    organization = _issuing_organization(actor, Role.DOCTOR)
    return _create(
        actor=actor,
        organization=organization,
        patient_pin=patient_pin,
        employer_name=employer_name,
        employer_tax_id=employer_tax_id,
        is_main_job=is_main_job,
        reason=reason,
        diagnosis_code=diagnosis_code,
        start=start,
        end=end,
        regime=regime,
        hospital_from=hospital_from,
        hospital_to=hospital_to,
        cared_for_pin=cared_for_pin,
        cared_for_relation=cared_for_relation,
        ambulance_record_ref=ambulance_record_ref,
        commission_chair=commission_chair,
        commission_decision_number=commission_decision_number,
        continuation_of=None,
        record_encounter=record_encounter,
    )


def _record_encounter(
    value: uuid.UUID | str | None, *, patient_pin: str, organization: Organization
) -> uuid.UUID | None:
    """The visit the certificate is opened from: one this organisation recorded for this patient."""
    if value in (None, ""):
        return None
    try:
        encounter = value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        encounter = None
    if encounter is None or not encounter_recorded(
        encounter, patient_pin=patient_pin, organization_id=organization.pk
    ):
        raise field_error(
            "record_encounter",
            "encounter_unknown",
            _("Your clinic recorded no such visit of this patient in the record."),
        )
    return encounter


def _create(
    *,
    actor: Actor,
    organization: Organization,
    patient_pin: str,
    employer_name: str,
    employer_tax_id: str,
    is_main_job: bool,
    reason: str,
    diagnosis_code: str,
    start: date,
    end: date,
    regime: str,
    hospital_from: date | None,
    hospital_to: date | None,
    cared_for_pin: str,
    cared_for_relation: str,
    ambulance_record_ref: str,
    commission_chair: User | None,
    commission_decision_number: str,
    continuation_of: SickLeave | None,
    record_encounter: uuid.UUID | str | None = None,
) -> SickLeave:
    if reason not in Reason.values:
        raise field_error("reason", "reason_unknown", _("Unknown reason."))
    patient = _person(patient_pin, field="patient_pin")
    if not patient.is_alive:
        raise field_error(
            "patient_pin", "person_deceased", _("The population registry records this person as deceased.")
        )
    employer_tax_id = validate_tax_id(employer_tax_id, field="employer_tax_id")
    employer_name = (employer_name or "").strip()
    if not employer_name:
        raise field_error("employer_name", "required", _("Name the employer."))
    code, title = icd10_lookup(diagnosis_code)
    if regime not in Regime.values:
        raise field_error("regime", "regime_unknown", _("Unknown regime."))
    if regime == Regime.INPATIENT:
        if hospital_from is None or (hospital_to is not None and hospital_to < hospital_from):
            raise field_error(
                "hospital_from", "hospital_dates_required", _("Give the dates of the hospital stay.")
            )
    else:
        hospital_from = hospital_to = None
    cared_for = None
    if reason == Reason.FAMILY_CARE:
        if cared_for_relation not in Relation.values:
            raise field_error("cared_for_relation", "relation_required", _("Say how the person is related."))
        cared_for = _person(cared_for_pin, field="cared_for_pin")
        if cared_for.pin == patient.pin:
            raise field_error(
                "cared_for_pin", "cared_for_is_patient", _("A person cannot care for themself.")
            )
    chair, decision = _check_commission_chair(organization, commission_chair, commission_decision_number)
    ambulance_record_ref = (ambulance_record_ref or "").strip()
    encounter = _record_encounter(record_encounter, patient_pin=patient.pin, organization=organization)
    if encounter is None and continuation_of is not None:
        encounter = continuation_of.record_encounter

    table = current_rules()
    rules.raise_first(
        rules.evaluate_first_period(
            table,
            reason=reason,
            start=start,
            end=end,
            today=_today(),
            ambulance_record_ref=ambulance_record_ref,
            diagnosis_code=code,
            has_open_certificate=_has_open_certificate(patient.pin, employer_tax_id, reason),
            cared_for_birth_date=cared_for.birth_date if cared_for else None,
            previous_periods=_case_periods_before(continuation_of),
            has_commission_chair=chair is not None,
        )
    )
    try:
        with transaction.atomic():
            certificate = SickLeave.objects.create(
                number=_unused_number(),
                patient_pin=patient.pin,
                patient_family_name=patient.family_name,
                patient_given_name=patient.given_name,
                patient_middle_name=patient.middle_name,
                patient_birth_date=patient.birth_date,
                patient_sex=patient.sex,
                organization=organization,
                employer_name=employer_name,
                employer_tax_id=employer_tax_id,
                is_main_job=is_main_job,
                reason=reason,
                cared_for_pin=cared_for.pin if cared_for else "",
                cared_for_name=cared_for.full_name if cared_for else "",
                cared_for_relation=cared_for_relation if cared_for else "",
                cared_for_birth_date=cared_for.birth_date if cared_for else None,
                diagnosis_code=code,
                diagnosis_title=title[:255],
                regime=regime,
                hospital_from=hospital_from,
                hospital_to=hospital_to,
                status=Status.OPEN,
                continuation_of=continuation_of,
                record_encounter=encounter,
                created_by=actor.user,
            )
    except IntegrityError:
        # Another doctor opened the same certificate a moment ago (the partial unique index).
        if _has_open_certificate(patient.pin, employer_tax_id, reason):
            rules.raise_first([rules.check_no_duplicate_open(has_open_certificate=True)])
        raise
    period = SickLeavePeriod.objects.create(
        certificate=certificate,
        ordinal=1,
        start=start,
        end=end,
        doctor=actor.user,
        doctor_position=_doctor_position(actor.user, organization),
        commission_chair=chair,
        commission_decision_number=decision,
        ambulance_record_ref=ambulance_record_ref,
    )
    _sign_period(actor, period)
    audit_record(
        actor=actor,
        action="sick_leave.continue" if continuation_of else "sick_leave.open",
        obj=certificate,
        changes={
            "number": certificate.number,
            "status": {"old": None, "new": certificate.status},
            "reason": reason,
            "regime": regime,
            "period": _period_audit(period),
            **({"record_encounter": str(encounter)} if encounter else {}),
            "continuation_of": continuation_of.number if continuation_of else None,
        },
    )
    return certificate


# --- extend ------------------------------------------------------------------------------------


@transaction.atomic
def sick_leave_extend(
    *,
    actor: Actor,
    certificate: SickLeave,
    end: date,
    start: date | None = None,
    ambulance_record_ref: str = "",
    commission_chair: User | None = None,
    commission_decision_number: str = "",
) -> SickLeavePeriod:
    """Adds the next period (from the day after the last one unless `start` says otherwise)."""
    certificate = SickLeave.objects.select_for_update().get(pk=certificate.pk)
    organization = _require_issuer(actor, certificate, Role.DOCTOR)
    chair, decision = _check_commission_chair(organization, commission_chair, commission_decision_number)
    periods = _periods(certificate)
    if start is None:
        start = max(p.end for p in periods) + timedelta(days=1)
    ambulance_record_ref = (ambulance_record_ref or "").strip()
    earlier = _case_periods_before(certificate.continuation_of)
    if certificate.status == Status.OPEN:
        rules.raise_first([rules.check_no_pending_commission(pending=_pending_commission(periods))])
    rules.raise_first(
        rules.evaluate_extension(
            current_rules(),
            status=certificate.status,
            reason=certificate.reason,
            periods=[p.facts() for p in periods],
            start=start,
            end=end,
            today=_today(),
            ambulance_record_ref=ambulance_record_ref,
            diagnosis_code=certificate.diagnosis_code,
            has_commission_chair=chair is not None,
            cared_for_birth_date=certificate.cared_for_birth_date,
            earlier_case_days=rules.days_in(earlier),
        )
    )
    period = SickLeavePeriod.objects.create(
        certificate=certificate,
        ordinal=len(periods) + 1,
        start=start,
        end=end,
        doctor=actor.user,
        doctor_position=_doctor_position(actor.user, organization),
        commission_chair=chair,
        commission_decision_number=decision,
        ambulance_record_ref=ambulance_record_ref,
    )
    _sign_period(actor, period)
    certificate.save(update_fields=["updated_at"])
    audit_record(
        actor=actor, action="sick_leave.extend", obj=certificate, changes={"period": _period_audit(period)}
    )
    return period


# --- close, continue ------------------------------------------------------------------------------


def _close(actor: Actor, certificate: SickLeave, *, outcome: str, outcome_date: date) -> dict[str, Any]:
    periods = _periods(certificate)
    if certificate.status == Status.OPEN:
        rules.raise_first([rules.check_no_pending_commission(pending=_pending_commission(periods))])
    rules.raise_first(
        rules.evaluate_close(
            status=certificate.status,
            periods=[p.facts() for p in periods],
            outcome=outcome,
            outcome_date=outcome_date,
        )
    )
    old_status = certificate.status
    certificate.status = rules.next_status("continue" if outcome == Outcome.STILL_ILL else "close")
    certificate.outcome = outcome
    certificate.outcome_date = outcome_date
    certificate.closed_at = timezone.now()
    certificate.save(update_fields=["status", "outcome", "outcome_date", "closed_at", "updated_at"])
    _seal(actor, certificate)
    return {
        "status": {"old": old_status, "new": certificate.status},
        "outcome": outcome,
        "outcome_date": outcome_date.isoformat(),
    }


@transaction.atomic
def sick_leave_close(*, actor: Actor, certificate: SickLeave, outcome: str, outcome_date: date) -> SickLeave:
    """Closes an open certificate with its outcome (return to work, disability board, death)."""
    certificate = SickLeave.objects.select_for_update().get(pk=certificate.pk)
    _require_issuer(actor, certificate, Role.DOCTOR)
    if outcome == Outcome.STILL_ILL:
        raise Conflict(
            "use_continuation",
            _("A patient who is still ill gets a continuation certificate: use “continue”."),
        )
    changes = _close(actor, certificate, outcome=outcome, outcome_date=outcome_date)
    audit_record(actor=actor, action="sick_leave.close", obj=certificate, changes=changes)
    certificate.refresh_from_db()
    return certificate


@transaction.atomic
def sick_leave_continue(
    *,
    actor: Actor,
    certificate: SickLeave,
    end: date,
    diagnosis_code: str = "",
    regime: str = "",
    hospital_from: date | None = None,
    hospital_to: date | None = None,
    ambulance_record_ref: str = "",
    commission_chair: User | None = None,
    commission_decision_number: str = "",
) -> SickLeave:
    """Closes an open certificate as "still ill" and opens its continuation from the next day."""
    certificate = SickLeave.objects.select_for_update().get(pk=certificate.pk)
    organization = _require_issuer(actor, certificate, Role.DOCTOR)
    periods = _periods(certificate)
    next_day = max(p.end for p in periods) + timedelta(days=1)
    changes = _close(actor, certificate, outcome=Outcome.STILL_ILL, outcome_date=next_day)
    audit_record(actor=actor, action="sick_leave.close", obj=certificate, changes=changes)
    return _create(
        actor=actor,
        organization=organization,
        patient_pin=certificate.patient_pin,
        employer_name=certificate.employer_name,
        employer_tax_id=certificate.employer_tax_id,
        is_main_job=certificate.is_main_job,
        reason=certificate.reason,
        diagnosis_code=diagnosis_code or certificate.diagnosis_code,
        start=next_day,
        end=end,
        regime=regime or certificate.regime,
        hospital_from=hospital_from if regime else certificate.hospital_from,
        hospital_to=hospital_to if regime else certificate.hospital_to,
        cared_for_pin=certificate.cared_for_pin,
        cared_for_relation=certificate.cared_for_relation,
        ambulance_record_ref=ambulance_record_ref,
        commission_chair=commission_chair,
        commission_decision_number=commission_decision_number,
        continuation_of=certificate,
    )


# --- annul, duplicate ---------------------------------------------------------------------------


@transaction.atomic
def sick_leave_annul(*, actor: Actor, certificate: SickLeave, reason: str) -> SickLeave:
    """Annuls a certificate issued in error; it stays visible as annulled."""
    certificate = SickLeave.objects.select_for_update().get(pk=certificate.pk)
    _require_issuer(actor, certificate, Role.DOCTOR, Role.ORG_ADMIN)
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise field_error("reason", "annulment_reason_required", _("Say why the certificate is annulled."))
    rules.raise_first([rules.check_transition(action="annul", status=certificate.status)])
    old_status = certificate.status
    certificate.status = rules.next_status("annul")
    certificate.annulment_reason = reason[:500]
    certificate.annulled_at = timezone.now()
    certificate.save(update_fields=["status", "annulment_reason", "annulled_at", "updated_at"])
    audit_record(
        actor=actor,
        action="sick_leave.annul",
        obj=certificate,
        # The reason is free text that may name the illness: it stays out of the audit log.
        changes={"status": {"old": old_status, "new": certificate.status}, "annulment_reason_given": True},
    )
    return certificate


@transaction.atomic
def sick_leave_duplicate(*, actor: Actor, certificate: SickLeave) -> SickLeave:
    """Issues a duplicate for a lost printout: a new number, the same content; the original is replaced."""
    certificate = SickLeave.objects.select_for_update().get(pk=certificate.pk)
    _require_issuer(actor, certificate, Role.DOCTOR)
    rules.raise_first([rules.check_transition(action="duplicate", status=certificate.status)])
    periods = _periods(certificate)
    rules.raise_first([rules.check_no_pending_commission(pending=_pending_commission(periods))])
    old_status = certificate.status
    # The original leaves the "open" state first, so the one-open-certificate index allows the copy.
    SickLeave.objects.filter(pk=certificate.pk).update(
        status=rules.next_status("duplicate"), updated_at=timezone.now()
    )
    copy_fields = {
        f.name: getattr(certificate, f.name)
        for f in SickLeave._meta.concrete_fields
        if f.name
        not in {
            "id",
            "external_id",
            "number",
            "duplicate_of",
            "created_by",
            "created_at",
            "updated_at",
            "organization_signature",
        }
    }
    copy_fields["status"] = old_status
    duplicate = SickLeave.objects.create(
        **copy_fields, number=_unused_number(), duplicate_of=certificate, created_by=actor.user
    )
    SickLeavePeriod.objects.bulk_create(
        [
            SickLeavePeriod(
                certificate=duplicate,
                ordinal=p.ordinal,
                start=p.start,
                end=p.end,
                doctor_id=p.doctor_id,
                doctor_position=p.doctor_position,
                commission_chair_id=p.commission_chair_id,
                commission_decision_number=p.commission_decision_number,
                ambulance_record_ref=p.ambulance_record_ref,
            )
            for p in periods
        ]
    )
    # The doctor issuing the duplicate attests each copied period (naming the original's
    # signatures); a closed duplicate is sealed by the organisation like its original.
    for copy in duplicate.periods.select_related("certificate__duplicate_of", "doctor", "commission_chair"):
        record = signing.sign_as_person(
            actor=actor, signer=actor.user, purpose=signing.PERIOD_PURPOSE, record=signing.period_record(copy)
        )
        copy.doctor_signature, copy.signed, copy.signed_at = record, True, record.signed_at
        copy.save(update_fields=["doctor_signature", "signed", "signed_at"])
    if duplicate.status == Status.CLOSED:
        _seal(actor, duplicate)
        duplicate.refresh_from_db()
    certificate.refresh_from_db()
    audit_record(
        actor=actor,
        action="sick_leave.duplicate",
        obj=certificate,
        changes={"status": {"old": old_status, "new": certificate.status}, "duplicate": duplicate.number},
    )
    audit_record(
        actor=actor,
        action="sick_leave.open_duplicate",
        obj=duplicate,
        changes={"duplicate_of": certificate.number},
    )
    return duplicate


# --- the commission's approval ---------------------------------------------------------------------


def assert_period_mutable(period: SickLeavePeriod) -> None:
    """`Conflict(period_signed)` if the period is signed: a signed part never changes."""
    if period.signed:
        raise Conflict("period_signed", _("This period is signed and can no longer be changed."))


def _lock_period(period: SickLeavePeriod) -> SickLeavePeriod:
    # Same lock order as every other service: the certificate row first.
    SickLeave.objects.select_for_update().filter(pk=period.certificate_id).first()
    return (
        SickLeavePeriod.objects.select_for_update(of=("self",))
        .select_related("certificate__organization", "doctor", "commission_chair", "doctor_signature")
        .get(pk=period.pk)
    )


def _require_named_chair(actor: Actor, period: SickLeavePeriod) -> None:
    _require_issuer(actor, period.certificate, Role.COMMISSION_CHAIR)
    assert_period_mutable(period)
    if period.commission_chair_id is None:
        raise Conflict("no_commission_needed", _("This period does not need the commission's approval."))
    if actor.user.pk != period.commission_chair_id:
        raise PermissionDenied(
            "not_signatory", _("Only the commission chair named on the period approves it.")
        )
    if period.certificate.status != Status.OPEN:
        rules.raise_first([rules.check_transition(action="extend", status=period.certificate.status)])


@transaction.atomic
def sick_leave_period_approve(
    *, actor: Actor, period: SickLeavePeriod, decision_number: str = ""
) -> SickLeavePeriod:
    """The commission chair approves a period past the threshold by signing it; it is then final."""
    period = _lock_period(period)
    _require_named_chair(actor, period)
    decision_number = (decision_number or period.commission_decision_number or "").strip()[:64]
    if not decision_number:
        raise field_error(
            "commission_decision_number",
            "commission_decision_required",
            _("Give the number of the commission's decision."),
        )
    period.commission_decision_number = decision_number
    period.save(update_fields=["commission_decision_number"])
    record = signing.sign_as_person(
        actor=actor,
        signer=actor.user,
        purpose=signing.COMMISSION_PURPOSE,
        record=signing.commission_record(period),
    )
    period.chair_signature, period.signed, period.signed_at = record, True, record.signed_at
    period.save(update_fields=["chair_signature", "signed", "signed_at"])
    period.certificate.save(update_fields=["updated_at"])
    audit_record(
        actor=actor,
        action="sick_leave.commission_approve",
        obj=period.certificate,
        changes={"ordinal": period.ordinal, "signature_sha256": record.payload_sha256},
    )
    return period


@transaction.atomic
def sick_leave_period_reject(*, actor: Actor, period: SickLeavePeriod, comment: str = "") -> SickLeave:
    """The commission refuses the extension: the waiting period is withdrawn (never a signed one)."""
    period = _lock_period(period)
    _require_named_chair(actor, period)
    certificate = period.certificate
    ordinal = period.ordinal
    period.delete()
    certificate.save(update_fields=["updated_at"])
    audit_record(
        actor=actor,
        action="sick_leave.commission_reject",
        # The comment may name the illness: only whether one was given is audited.
        changes={"ordinal": ordinal, "comment_given": bool((comment or "").strip())},
        obj=certificate,
    )
    return certificate
