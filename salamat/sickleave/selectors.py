"""Reads of sick leave, one function per audience; each decides what its reader may see."""

from __future__ import annotations

from datetime import date

from django.db.models import Max, Min, Prefetch, QuerySet
from django.utils.translation import gettext as _

from salamat.accounts.models import Role
from salamat.core.actors import Actor
from salamat.core.errors import NotFound, PermissionDenied
from salamat.registry.models import Organization, OrganizationType
from salamat.sickleave.models import SickLeave, SickLeavePeriod, Status
from salamat.sickleave.numbering import is_valid_number

CLINIC_READERS = (Role.DOCTOR, Role.COMMISSION_CHAIR, Role.ORG_ADMIN)


def _with_periods(qs: QuerySet[SickLeave]) -> QuerySet[SickLeave]:
    periods = SickLeavePeriod.objects.select_related("doctor", "commission_chair").order_by("ordinal")
    return qs.select_related("organization", "duplicate_of", "continuation_of").prefetch_related(
        Prefetch("periods", queryset=periods), "duplicates", "continuations"
    )


def clinic_of_reader(actor: Actor) -> Organization:
    """The medical organisation whose certificates `actor` may read, or PermissionDenied."""
    organization = actor.require_organization()
    if organization.org_type != OrganizationType.MEDICAL:
        raise PermissionDenied("not_medical_organization", _("Only a medical organisation reads these."))
    actor.require_role(*CLINIC_READERS)
    return organization


def sick_leaves_of_organization(
    *, actor: Actor, status: str = "", patient_pin: str = ""
) -> QuerySet[SickLeave]:
    """Certificates issued by the actor's clinic, newest first, optionally by status or patient."""
    qs = SickLeave.objects.filter(organization=clinic_of_reader(actor))
    if status:
        qs = qs.filter(status=status)
    if patient_pin:
        qs = qs.filter(patient_pin=patient_pin)
    return _with_periods(qs).order_by("-created_at")


def sick_leave_for_reader(*, actor: Actor, external_id) -> SickLeave:
    """One certificate for its clinic's staff, the patient, or the regulator; 404 for anyone else."""
    leave = _with_periods(SickLeave.objects.filter(external_id=external_id)).first()
    if leave is None or not sick_leave_readable_by(actor=actor, leave=leave):
        raise NotFound("sick_leave_not_found", _("No sick leave with this id."))
    return leave


def sick_leave_with_details(*, pk: int) -> SickLeave:
    """One certificate with its periods and links (no access check: callers have made it)."""
    return _with_periods(SickLeave.objects.filter(pk=pk)).get()


def sick_leave_readable_by(*, actor: Actor, leave: SickLeave) -> bool:
    """True for the issuing clinic's doctors and chairs, the patient, and the regulator."""
    if actor.user is not None and actor.user.pin and actor.user.pin == leave.patient_pin:
        return True
    organization = actor.organization
    if organization is None:
        return False
    if organization.org_type == OrganizationType.MINISTRY and actor.has_role(Role.REGULATOR):
        return True
    return organization.pk == leave.organization_id and actor.has_role(*CLINIC_READERS)


def periods_awaiting_chair(*, actor: Actor) -> QuerySet[SickLeavePeriod]:
    """Periods of the actor's clinic waiting for the actor's approval as commission chair, oldest first."""
    organization = clinic_of_reader(actor)
    actor.require_role(Role.COMMISSION_CHAIR)
    return (
        SickLeavePeriod.objects.filter(
            certificate__organization=organization,
            certificate__status=Status.OPEN,
            commission_chair=actor.user,
            signed=False,
        )
        .select_related("certificate", "doctor")
        .prefetch_related("certificate__periods")
        .order_by("created_at")
    )


def sick_leave_verify(*, number: str, pin: str) -> SickLeave | None:
    """The certificate with this number if it belongs to the person with this PIN (else None)."""
    number = (number or "").strip()
    if not is_valid_number(number):
        return None
    return _with_periods(SickLeave.objects.filter(number=number, patient_pin=(pin or "").strip())).first()


def sick_leave_by_number(*, number: str) -> SickLeave | None:
    """The certificate with this number (the printout's QR code), or None."""
    number = (number or "").strip()
    if not is_valid_number(number):
        return None
    return _with_periods(SickLeave.objects.filter(number=number)).first()


def sick_leaves_of_person(*, pin: str) -> QuerySet[SickLeave]:
    """Every certificate of the person, newest first (the patient's own view)."""
    return _with_periods(SickLeave.objects.filter(patient_pin=pin)).order_by("-created_at")


def sick_leaves_closed_for_fund(
    *, actor: Actor, closed_from: date, closed_to: date, employer_tax_id: str = ""
) -> QuerySet[SickLeave]:
    """Closed certificates in a closing-date range, for the social fund only, oldest first.

    First and last day come from one aggregate per row (no query per certificate);
    periods are contiguous by the rules, so the days are last − first + 1."""
    organization = actor.require_organization()
    if organization.org_type != OrganizationType.SOCIAL_FUND:
        raise PermissionDenied("social_fund_only", _("Only the social fund reads this list."))
    qs = SickLeave.objects.filter(
        status=Status.CLOSED, closed_at__date__gte=closed_from, closed_at__date__lte=closed_to
    )
    if employer_tax_id:
        qs = qs.filter(employer_tax_id=employer_tax_id)
    return (
        qs.select_related("organization", "duplicate_of", "continuation_of")
        .annotate(first_day=Min("periods__start"), last_day=Max("periods__end"))
        .order_by("closed_at", "id")
    )
