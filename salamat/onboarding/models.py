"""A private clinic's application to join the platform, its documents, the public offer
and its acceptance, and the review history. (The state registries are `salamat.tunduk`'s.)"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from salamat.onboarding import states
from salamat.registry.models import Region


class ApplicationStatus(models.TextChoices):
    DRAFT = states.DRAFT, _("Draft")  # the applicant is filling it in
    SUBMITTED = states.SUBMITTED, _("Submitted")  # waiting in the reviewers' queue
    IN_REVIEW = states.IN_REVIEW, _("In review")  # a reviewer has taken it
    CHANGES_REQUESTED = states.CHANGES_REQUESTED, _("Changes requested")  # back to the applicant
    RESUBMITTED = states.RESUBMITTED, _("Resubmitted")  # fixed, waiting in the queue again
    APPROVED = states.APPROVED, _("Approved")  # final: the clinic is on the platform
    REJECTED = states.REJECTED, _("Rejected")  # final: refused with reasons


class DocumentKind(models.TextChoices):
    LICENCE = "licence", _("Licence for medical activity")
    STATE_REGISTRATION = "state_registration", _("State registration certificate")
    HEAD_PHYSICIAN_ORDER = "head_physician_order", _("Head physician appointment order")
    # Needed only when the organisation was not in the applicant's ESI claim.
    POWER_OF_ATTORNEY = "power_of_attorney", _("Power of attorney")


class OnboardingPhase(models.IntegerChoices):
    MANUAL = 1, _("Phase 1: review by a ministry reviewer")
    AUTOMATED = 2, _("Phase 2: automated checks and a digital signature")


class OnboardingSettings(models.Model):
    """The ministry's switch between phase 1 and 2 (one row, edited in the admin)."""

    phase = models.PositiveSmallIntegerField(
        _("onboarding phase"), choices=OnboardingPhase.choices, default=OnboardingPhase.MANUAL
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("onboarding settings")
        verbose_name_plural = _("onboarding settings")

    def __str__(self) -> str:
        return str(self.get_phase_display())


class Application(models.Model):
    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="clinic_applications"
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.DRAFT,
        db_index=True,
    )
    # True when the tax ID was in the applicant's ESI `organizations` claim; otherwise
    # representation must be proven by a power of attorney.
    represents_by_claim = models.BooleanField(_("represents by ESI claim"), default=False)

    legal_name = models.CharField(_("legal name"), max_length=255, blank=True)
    tax_id = models.CharField(_("tax ID"), max_length=14, db_index=True)
    legal_form = models.CharField(_("legal form"), max_length=60, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    region = models.CharField(_("region"), max_length=20, choices=Region.choices, blank=True)
    district = models.CharField(_("district"), max_length=120, blank=True)
    head_physician_pin = models.CharField(_("head physician PIN"), max_length=14, blank=True)
    head_physician_name = models.CharField(_("head physician name"), max_length=255, blank=True)
    licence_number = models.CharField(_("licence number"), max_length=64, blank=True)
    licence_issued_on = models.DateField(_("licence issued on"), null=True, blank=True)
    licence_valid_until = models.DateField(_("licence valid until"), null=True, blank=True)
    licensed_activities = models.TextField(_("licensed activities"), blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)

    # When it entered the queue (first submission or resubmission): the queue is oldest first.
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True, db_index=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("decision reason"), blank=True)
    organization = models.ForeignKey(
        "registry.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The one-time API credential is issued to the applicant once, after approval.
    credentials_issued_at = models.DateTimeField(_("credentials issued at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("clinic application")
        verbose_name_plural = _("clinic applications")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.legal_name or self.tax_id} ({self.get_status_display()})"

    @property
    def is_editable(self) -> bool:
        return self.status in states.EDITABLE


class ApplicationDocument(models.Model):
    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("kind"), max_length=32, choices=DocumentKind.choices)
    original_name = models.CharField(_("file name"), max_length=255)
    # Random name under MEDIA_ROOT: never the uploader's name, never under the web root.
    storage_name = models.CharField(max_length=255, unique=True, editable=False)
    content_type = models.CharField(_("content type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("application document")
        verbose_name_plural = _("application documents")
        ordering = ["kind", "uploaded_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.original_name}"


class OfferVersion(models.Model):
    """A version of the public offer agreement; the current one is the latest published."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    title = models.CharField(_("title"), max_length=255)
    text_ru = models.TextField(_("text (Russian)"))
    text_ky = models.TextField(_("text (Kyrgyz)"), blank=True)
    text_en = models.TextField(_("text (English)"), blank=True)
    # The hash of the authoritative (Russian) text: this is what an acceptance binds to.
    sha256 = models.CharField(_("SHA-256 of the text"), max_length=64, editable=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("public offer version")
        verbose_name_plural = _("public offer versions")
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    def text_for(self, language: str | None) -> str:
        return {"ky": self.text_ky, "en": self.text_en}.get(language or "", "") or self.text_ru


class OfferAcceptance(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="acceptances")
    offer_version = models.ForeignKey(OfferVersion, on_delete=models.PROTECT, related_name="acceptances")
    text_sha256 = models.CharField(_("SHA-256 of the accepted text"), max_length=64)
    accepted_at = models.DateTimeField(_("accepted at"))
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    pin = models.CharField(_("PIN"), max_length=14)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Phase 2: the acceptance record signed with the applicant's personal certificate.
    signed_record = models.OneToOneField(
        "signatures.SignedRecord", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("offer acceptance")
        verbose_name_plural = _("offer acceptances")
        ordering = ["-accepted_at"]

    def __str__(self) -> str:
        return f"{self.application_id} v{self.offer_version_id}"


EVENT_LABELS = {
    "start": _("Application started"),
    "offer_accept": _("Public offer accepted"),
    "submit": _("Submitted"),
    "take": _("Taken for review"),
    "request_changes": _("Changes requested"),
    "reject": _("Rejected"),
    "approve": _("Approved"),
    "auto_approve": _("Approved automatically"),
    "routed_to_review": _("Sent to a reviewer"),
    "credentials_issue": _("API credentials issued"),
}


class ApplicationEvent(models.Model):
    """The application's history (insert-only); the applicant sees it with the comments."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=32)
    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("application event")
        verbose_name_plural = _("application events")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_status} → {self.to_status}"

    @property
    def label(self) -> str:
        return str(EVENT_LABELS.get(self.action, self.action))


class CheckOutcome(models.TextChoices):
    OK = "ok", _("OK")  # passed
    NEEDS_REVIEW = "needs_review", _("Needs review")  # a person must look
    INVALID = "invalid", _("Invalid")  # failed; the applicant must fix it


CHECK_LABELS = {
    "tax_id_shape": _("Tax ID format"),
    "legal_entity": _("Legal-entity registry"),
    "licence": _("Licence registry"),
    "head_physician": _("Head physician in the population registry"),
    "no_duplicate": _("No duplicate application or organisation"),
    "documents": _("Required documents"),
    "representation": _("Representation of the organisation"),
}


class ChecklistItem(models.Model):
    """One check of an application (automated in phase 2), with what it means for the
    applicant and for the reviewer. A new run replaces the previous one."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="checklist")
    name = models.CharField(_("check"), max_length=40)
    outcome = models.CharField(_("outcome"), max_length=20, choices=CheckOutcome.choices)
    applicant_message = models.TextField(_("message for the applicant"), blank=True)
    reviewer_message = models.TextField(_("message for the reviewer"), blank=True)
    checked_at = models.DateTimeField(_("checked at"))

    class Meta:
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["application", "name"], name="onboarding_check_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.outcome}"

    @property
    def label(self) -> str:
        return str(CHECK_LABELS.get(self.name, self.name))


AutomatedCheckResult = ChecklistItem


class Notification(models.Model):
    """An on-site notification for a person (also sent by e-mail)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("text"), blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.subject


class PendingMembership(models.Model):
    """A role given by PIN to a person who has not logged in yet; linked to their account
    by `link_pending_memberships` at their first ESI login."""

    organization = models.ForeignKey(
        "registry.Organization", on_delete=models.CASCADE, related_name="pending_memberships"
    )
    pin = models.CharField(_("PIN"), max_length=14, db_index=True)
    role = models.CharField(_("role"), max_length=32)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    linked_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    linked_at = models.DateTimeField(_("linked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("pending membership")
        verbose_name_plural = _("pending memberships")
        constraints = [
            models.UniqueConstraint(fields=["organization", "pin", "role"], name="pending_membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.role} @ {self.organization_id}"


class EsiRepresentation(models.Model):
    """An organisation ESI said the person may represent, as of their last ESI login.

    The session holds the same list for the wizard; this copy lets pages that see only
    the person (the home page's cards) know whether they represent an organisation that
    is not on the platform yet. Replaced at every ESI login."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    tax_id = models.CharField(_("tax ID"), max_length=14)
    name = models.CharField(_("name"), max_length=255, blank=True)
    seen_at = models.DateTimeField(_("seen at"))

    class Meta:
        verbose_name = _("organisation represented (ESI)")
        verbose_name_plural = _("organisations represented (ESI)")
        constraints = [models.UniqueConstraint(fields=["user", "tax_id"], name="esi_representation_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.tax_id}"
