"""Who may read a patient's record: ONE decision, used by every read path, every answer logged.

`access_decide` is the single rule (FHIR API, and the doctor's and patient's pages, call it);
`access_check` decides, writes the `RecordAccess` row (allowed or refused) and raises
`PermissionDenied(forbidden)` on a refusal. The rules today (issue 15):

1. the patient themself (a logged-in person whose PIN is the patient's);
2. a doctor of a medical organisation that is treating the patient — an open encounter there,
   or one recorded there within ``RECORD_TREATING_MONTHS`` — and that organisation's API client;
   (and the clinic that registered a temporary patient);
3. for finding a patient (purpose ``identify``: Patient search, $match, Patient read) any
   doctor or API client of an active medical organisation — demographics only;
4. the regulator never reads one person's record (aggregates only); everyone else is refused.

The next issue extends this function (opt-out consent, sensitive categories closed by default,
emergency access with a reason and a time limit, proxies): each becomes one more step in
`access_decide` with its own reason code, and `AccessDecision.scope` narrows what is returned.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from salamat.accounts.models import Role
from salamat.core import context
from salamat.core.actors import Actor
from salamat.core.conf import setting
from salamat.records.errors import refuse
from salamat.records.models import Decision, Patient, RecordAccess, Resource, ResourceType
from salamat.registry.models import OrganizationStatus, OrganizationType

# Roles whose holders treat patients and read the record of the clinic's patients.
CLINICAL_ROLES: tuple[str, ...] = (Role.DOCTOR, Role.COMMISSION_CHAIR, Role.NURSE)
# Roles whose holders write to the record (diagnoses and prescriptions are a doctor's).
RECORDING_ROLES: tuple[str, ...] = (Role.DOCTOR, Role.COMMISSION_CHAIR)

# Encounter statuses that mean the patient is being treated now.
OPEN_ENCOUNTER_STATUSES = ("planned", "arrived", "triaged", "in-progress", "onleave")


class Purpose:
    """Why the record is opened (logged with every access; the patient sees it)."""

    TREATMENT = "treatment"  # the attending clinic reads the record
    IDENTIFY = "identify"  # finding the patient (demographics only)
    SELF = "self"  # the patient reads their own record


class Reason:
    """Stable reason codes of a decision (allowed and refused)."""

    SELF = "self"
    TREATING_CLINIC = "treating_clinic"
    REGISTERING_CLINIC = "registering_clinic"
    IDENTIFICATION = "identification"
    NOT_AUTHENTICATED = "not_authenticated"
    REGULATOR_AGGREGATE_ONLY = "regulator_aggregate_only"
    NOT_CLINICAL_STAFF = "not_clinical_staff"
    NOT_RECORDING_STAFF = "not_recording_staff"
    NOT_TREATING = "not_treating"


@dataclass(frozen=True)
class AccessDecision:
    allowed: bool
    reason: str
    purpose: str
    # The resource types the caller may see (None: every type).
    scope: frozenset[str] | None = None
    # `access_check(..., log_with_read=True)`: the access-log row of an allowed read, not saved
    # yet; the read's selector stores it together with its query (one round trip, not two).
    log: RecordAccess | None = field(default=None, compare=False, repr=False)

    def covers(self, resource_type: str) -> bool:
        return self.allowed and (self.scope is None or resource_type in self.scope)


def _of_active_clinic(actor: Actor) -> bool:
    org = actor.organization
    return (
        org is not None
        and org.org_type == OrganizationType.MEDICAL
        and org.status == OrganizationStatus.ACTIVE
    )


def is_clinical_actor(actor: Actor) -> bool:
    """A doctor, nurse (or API client) of an active medical organisation: reads the record."""
    return _of_active_clinic(actor) and actor.has_role(*CLINICAL_ROLES)


def may_record(actor: Actor) -> bool:
    """A doctor (or API client) of an active medical organisation: writes to the record."""
    return _of_active_clinic(actor) and actor.has_role(*RECORDING_ROLES)


def treating_since():
    """Encounters recorded since this instant make their organisation a treating clinic."""
    return timezone.now() - timedelta(days=round(30.44 * setting("RECORD_TREATING_MONTHS")))


def _treating_encounters(*, organization, since=None) -> QuerySet[Resource]:
    """The organisation's encounters that make it a treating clinic: open, or recorded lately
    (`since`: `treating_since()`, passed in when a query is built once and bound per request)."""
    since = treating_since() if since is None else since
    return (
        Resource.objects.filter(organization=organization, resource_type=ResourceType.ENCOUNTER)
        .exclude(status="entered-in-error")
        .filter(Q(status__in=OPEN_ENCOUNTER_STATUSES) | Q(effective__gte=since))
    )


def treating_annotation(*, organization, since=None) -> dict[str, Exists]:
    """`is_treating` as an annotation of a Patient query (the decision's input fetched with the
    patient, in the same query): ``Patient.objects.annotate(**treating_annotation(...))``.
    `organization` may be a primary key (a query built once with placeholder values)."""
    pk = getattr(organization, "pk", organization)
    return {
        "treating_org_pk": Value(pk),
        "treating": Exists(_treating_encounters(organization=pk, since=since).filter(patient=OuterRef("pk"))),
    }


def is_treating(*, organization, patient: Patient) -> bool:
    """True while `organization` has an open encounter of the patient, or recorded one lately."""
    if getattr(patient, "treating_org_pk", None) == organization.pk:
        return bool(patient.treating)  # fetched with the patient (`treating_annotation`)
    return _treating_encounters(organization=organization).filter(patient=patient).exists()


def access_decide(
    *, actor: Actor, patient: Patient, purpose: str, resource_types: Iterable[str] | None = None
) -> AccessDecision:
    """Whether `actor` may read `patient`'s record for `purpose` (no side effect)."""
    if actor.user is None and actor.api_client is None:
        return AccessDecision(False, Reason.NOT_AUTHENTICATED, purpose)
    if actor.user is not None and actor.user.pin and actor.user.pin == patient.pin:
        return AccessDecision(True, Reason.SELF, Purpose.SELF)
    org = actor.organization
    if org is not None and org.org_type == OrganizationType.MINISTRY and actor.has_role(Role.REGULATOR):
        return AccessDecision(False, Reason.REGULATOR_AGGREGATE_ONLY, purpose)
    if not is_clinical_actor(actor):
        return AccessDecision(False, Reason.NOT_CLINICAL_STAFF, purpose)
    if purpose == Purpose.IDENTIFY:
        return AccessDecision(True, Reason.IDENTIFICATION, purpose, scope=frozenset({"Patient"}))
    if patient.registered_by_id is not None and patient.registered_by_id == org.pk:
        # The clinic that asked for a temporary identifier treats the person it registered.
        return AccessDecision(True, Reason.REGISTERING_CLINIC, purpose)
    if is_treating(organization=org, patient=_current(patient)):
        return AccessDecision(True, Reason.TREATING_CLINIC, purpose)
    return AccessDecision(False, Reason.NOT_TREATING, purpose)


def _current(patient: Patient) -> Patient:
    # A temporary patient linked to a PIN: the record lives under the PIN patient now.
    return patient.replaced_by if patient.replaced_by_id else patient


def access_entry(
    *,
    actor: Actor,
    patient: Patient | None,
    decision: AccessDecision,
    interaction: str,
    resource_types: Iterable[str] | None = None,
) -> RecordAccess:
    """The access-log row for one decision (who, for which organisation, what, why), unsaved."""
    ctx = context.current()
    return RecordAccess(
        patient=patient,
        actor_user=actor.user,
        actor_client=actor.api_client,
        organization=actor.organization,
        interaction=interaction,
        resource_types=",".join(sorted(resource_types or ()))[:255],
        purpose=decision.purpose,
        decision=Decision.ALLOWED if decision.allowed else Decision.REFUSED,
        reason=decision.reason,
        ip=ctx.ip,
        request_id=ctx.request_id,
    )


def access_record(
    *,
    actor: Actor,
    patient: Patient | None,
    decision: AccessDecision,
    interaction: str,
    resource_types: Iterable[str] | None = None,
) -> RecordAccess:
    """Writes the access-log row for one decision (who, for which organisation, what, why)."""
    entry = access_entry(
        actor=actor,
        patient=patient,
        decision=decision,
        interaction=interaction,
        resource_types=resource_types,
    )
    entry.save(force_insert=True)
    return entry


def access_check(
    *,
    actor: Actor,
    patient: Patient,
    purpose: str,
    interaction: str,
    resource_types: Iterable[str] | None = None,
    log_with_read: bool = False,
) -> AccessDecision:
    """Decides, logs the decision, and raises `PermissionDenied(forbidden)` when refused.

    `log_with_read`: an allowed read's log row comes back unsaved in `decision.log`, and the
    caller hands it to the selector that reads (`selectors.*(log=...)`), which stores it in the
    same round trip as its query. A refusal is always logged here, at once."""
    types = list(resource_types or ())
    decision = access_decide(actor=actor, patient=patient, purpose=purpose, resource_types=types)
    entry = access_entry(
        actor=actor, patient=patient, decision=decision, interaction=interaction, resource_types=types
    )
    if decision.allowed and log_with_read:
        return replace(decision, log=entry)
    entry.save(force_insert=True)
    if not decision.allowed:
        raise refuse(
            "forbidden",
            _("You may not read this patient's record (%(reason)s).") % {"reason": decision.reason},
            status=403,
            issue="forbidden",
            reason=decision.reason,
        )
    return decision


def write_check(actor: Actor) -> None:
    """Only doctors and API clients of active medical organisations write to the record."""
    if actor.user is None and actor.api_client is None:
        raise refuse("not_authenticated", _("Authentication required."), status=401, issue="login")
    if not may_record(actor):
        raise refuse(
            "forbidden",
            _("Only doctors of an active medical organisation write to the record."),
            status=403,
            issue="forbidden",
            reason=Reason.NOT_CLINICAL_STAFF if not is_clinical_actor(actor) else Reason.NOT_RECORDING_STAFF,
        )
