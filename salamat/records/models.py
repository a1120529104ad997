"""The unified patient record: the patient index, clinical resources with every version, the
access log, and the code lists the resources are checked against.

Rows change only in `salamat.records.services`. Nothing is deleted: a mistake is a new
version whose status is `entered-in-error`; on PostgreSQL a trigger refuses UPDATE and DELETE
of a stored version and DELETE of a resource (migration 0002).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other")  # FHIR administrative gender, for unidentified people
    UNKNOWN = "unknown", _("Unknown")  # an unidentified emergency patient


class Patient(models.Model):
    """One person in the record. Identified by the PIN (demographics from the population
    registry, never typed) or, until they have one, by a temporary identifier the platform
    issues (newborns, foreigners, unidentified emergency patients; demographics as the clinic
    knows them). A temporary patient later linked to a PIN is `replaced_by` that patient and
    everything recorded under it moves there."""

    external_id = models.UUIDField(_("id"), default=uuid.uuid4, unique=True, editable=False)
    pin = models.CharField(_("PIN"), max_length=14, unique=True, null=True, blank=True)
    temporary_id = models.CharField(
        _("temporary identifier"), max_length=32, unique=True, null=True, blank=True
    )
    family_name = models.CharField(_("family name"), max_length=150, blank=True)
    given_name = models.CharField(_("given name"), max_length=150, blank=True)
    middle_name = models.CharField(_("middle name"), max_length=150, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices, default=Sex.UNKNOWN)
    death_date = models.DateField(_("death date"), null=True, blank=True)
    # When the population registry last confirmed the demographics (PIN patients only).
    registry_checked_at = models.DateTimeField(_("registry checked"), null=True, blank=True)
    # The clinic that asked for a temporary identifier, and its own identifier for the person
    # (so that a retried registration answers the same patient).
    registered_by = models.ForeignKey(
        "registry.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source_system = models.CharField(max_length=255, blank=True)
    source_value = models.CharField(max_length=128, blank=True)
    replaced_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaces"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        constraints = [
            models.CheckConstraint(
                condition=Q(pin__isnull=False) | Q(temporary_id__isnull=False), name="patient_identified"
            ),
            models.UniqueConstraint(
                fields=["registered_by", "source_system", "source_value"],
                condition=~Q(source_value=""),
                name="patient_source_identifier_unique",
            ),
        ]
        indexes = [models.Index(fields=["family_name", "given_name", "birth_date"], name="patient_name_idx")]

    def __str__(self) -> str:
        return self.full_name or (self.temporary_id or "")

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.family_name, self.given_name, self.middle_name) if p)

    @property
    def is_temporary(self) -> bool:
        return not self.pin


class ResourceType(models.TextChoices):
    """Clinical resource kinds the record holds (Patient and Practitioner are not stored here)."""

    ENCOUNTER = "Encounter", "Encounter"  # a visit, stay, emergency or home visit
    CONDITION = "Condition", "Condition"  # a diagnosis (ICD-10)
    ALLERGY = "AllergyIntolerance", "AllergyIntolerance"
    MEDICATION_REQUEST = "MedicationRequest", "MedicationRequest"  # a prescription
    MEDICATION_STATEMENT = "MedicationStatement", "MedicationStatement"  # what the patient takes
    IMMUNIZATION = "Immunization", "Immunization"  # a vaccination
    OBSERVATION = "Observation", "Observation"  # vital signs and laboratory results
    PROCEDURE = "Procedure", "Procedure"
    DOCUMENT = "DocumentReference", "DocumentReference"  # discharge summaries and other PDFs


class Resource(models.Model):
    """The current version of one clinical resource: searched columns plus the whole resource.

    One patient's current data is one range scan of `resource_patient_type_date_idx`."""

    id = models.BigAutoField(primary_key=True)
    external_id = models.UUIDField(_("id"), default=uuid.uuid4, unique=True, editable=False)
    resource_type = models.CharField(_("type"), max_length=32, choices=ResourceType.choices)
    # Single-column indexes are left out where a composite index below starts with the column
    # or nothing searches by it: every index costs each insert, and clinics submit in bulk.
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="resources", db_index=False)
    # The clinic that recorded it, and who: a member (person) and/or its API client.
    organization = models.ForeignKey(
        "registry.Organization", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    api_client = models.ForeignKey(
        "accounts.ApiClient",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    status = models.CharField(_("status"), max_length=32, blank=True)
    category = models.CharField(_("category"), max_length=64, blank=True)
    code_system = models.CharField(_("code system"), max_length=255, blank=True)
    code = models.CharField(_("code"), max_length=64, blank=True)
    # The clinically relevant time (visit start, onset, result time...), else when recorded.
    effective = models.DateTimeField(_("date"))
    encounter = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # The submitting clinic's business identifier: a retried submission finds it.
    identifier_system = models.CharField(max_length=255, blank=True)
    identifier_value = models.CharField(max_length=128, blank=True)
    version_id = models.PositiveIntegerField(_("version"), default=1)
    last_updated = models.DateTimeField(_("last updated"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    body = models.JSONField(_("resource"))

    class Meta:
        verbose_name = _("clinical resource")
        verbose_name_plural = _("clinical resources")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "resource_type", "identifier_system", "identifier_value"],
                condition=~Q(identifier_value=""),
                name="resource_business_identifier_unique",
            )
        ]
        indexes = [
            models.Index(
                fields=["patient", "resource_type", "effective", "id"], name="resource_patient_type_date_idx"
            ),
            models.Index(fields=["patient", "organization", "effective"], name="resource_patient_org_idx"),
            models.Index(fields=["last_updated"], name="resource_last_updated_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.resource_type}/{self.external_id}"

    @property
    def reference(self) -> str:
        return f"{self.resource_type}/{self.external_id}"


class ResourceVersion(models.Model):
    """Every version of a resource, the current one included (insert-only)."""

    id = models.BigAutoField(primary_key=True)
    # (resource, version_id) is unique: that index serves every read of the versions.
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="versions", db_index=False)
    version_id = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=32, blank=True)
    organization = models.ForeignKey(
        "registry.Organization", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    api_client = models.ForeignKey(
        "accounts.ApiClient",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    last_updated = models.DateTimeField(_("last updated"))
    body = models.JSONField(_("resource"))

    class Meta:
        verbose_name = _("resource version")
        verbose_name_plural = _("resource versions")
        constraints = [
            models.UniqueConstraint(fields=["resource", "version_id"], name="resource_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.resource}/_history/{self.version_id}"


class Document(models.Model):
    """A PDF a DocumentReference carries, kept in the platform's private storage (Binary)."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="documents")
    organization = models.ForeignKey("registry.Organization", on_delete=models.PROTECT, related_name="+")
    file = models.FileField(_("file"), upload_to="records/documents/%Y/%m/")
    content_type = models.CharField(_("content type"), max_length=64)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("record document")
        verbose_name_plural = _("record documents")

    def __str__(self) -> str:
        return f"Binary/{self.external_id}"


class Decision(models.TextChoices):
    ALLOWED = "allowed", _("Allowed")
    REFUSED = "refused", _("Refused")


class RecordAccess(models.Model):
    """One read of (or refused attempt at) a patient's record: who, for which organisation,
    what, why, and the decision. Insert-only; the patient will see these ("who looked")."""

    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    # Read by patient (record_access_patient_idx); one row per read, so few indexes.
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="accesses", db_index=False
    )
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    actor_client = models.ForeignKey(
        "accounts.ApiClient",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    organization = models.ForeignKey(
        "registry.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # What was asked: read, search, summary, history, match, download...
    interaction = models.CharField(_("interaction"), max_length=32)
    resource_types = models.CharField(_("resource types"), max_length=255, blank=True)
    purpose = models.CharField(_("purpose"), max_length=32)
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices)
    reason = models.CharField(_("reason"), max_length=64)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("record access")
        verbose_name_plural = _("record accesses")
        ordering = ["-id"]
        indexes = [models.Index(fields=["patient", "created_at"], name="record_access_patient_idx")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.interaction} {self.decision} ({self.reason})"


class CodeSystem(models.Model):
    """A code list the ministry supplies (ICD-10, vaccines, local laboratory codes)."""

    slug = models.SlugField(_("short name"), max_length=32, unique=True)
    uri = models.CharField(_("FHIR system"), max_length=255, unique=True)
    name = models.CharField(_("name"), max_length=255)
    version = models.CharField(_("version"), max_length=64, blank=True)
    # True while only the repository's small sample is loaded (tests, quick start).
    is_sample = models.BooleanField(_("sample only"), default=False)
    loaded_at = models.DateTimeField(_("loaded"), null=True, blank=True)

    class Meta:
        verbose_name = _("code system")
        verbose_name_plural = _("code systems")
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name


class Concept(models.Model):
    """One code of a code list with its titles in the platform's languages (any may be empty:
    a missing title falls back visibly, see `salamat.records.codelists.concept_title`)."""

    system = models.ForeignKey(CodeSystem, on_delete=models.PROTECT, related_name="concepts")
    code = models.CharField(_("code"), max_length=64)
    title_ru = models.CharField(_("title (Russian)"), max_length=500, blank=True)
    title_ky = models.CharField(_("title (Kyrgyz)"), max_length=500, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=500, blank=True)
    # A code withdrawn from the list stays for old records but is refused in new ones.
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("concept")
        verbose_name_plural = _("concepts")
        ordering = ["system", "code"]
        constraints = [models.UniqueConstraint(fields=["system", "code"], name="concept_unique_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.title_en or self.title_ru or self.title_ky}"
