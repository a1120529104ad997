"""Captured EPCIS events (full JSON, with indexed columns for the standard queries), their
identifiers and business transactions, and the capture jobs of the REST binding."""

from __future__ import annotations

import json
import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class CaptureStatus(models.TextChoices):
    RUNNING = (
        "running",
        _("Running"),
    )  # accepted, waiting for the worker or being applied (nothing applied yet)
    SUCCESS = "success", _("Success")  # every event stored (duplicates stored once)
    FAILED = "failed", _("Failed")  # refused: with `rollback` nothing was stored


class JsonTextField(models.TextField):
    """A JSON value kept as text: written and read by Python's json, never parsed by the database
    (PostgreSQL's jsonb parses a 10,000-event document on every insert, a tenth of a second, for a
    value that is only ever read back whole)."""

    def get_prep_value(self, value):
        return None if value is None else json.dumps(value)

    def from_db_value(self, value, expression, connection):
        return None if value is None else json.loads(value)

    def to_python(self, value):
        return value  # already the JSON value (a string too is one)


class CaptureJob(models.Model):
    """One `POST /epcis/capture`: its outcome and the reason of every refused event."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("registry.Organization", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=CaptureStatus.choices, default=CaptureStatus.RUNNING)
    error_behaviour = models.CharField(max_length=10, default="rollback")  # rollback | proceed
    document_format = models.CharField(max_length=10, default="json")  # json | xml
    event_count = models.IntegerField(default=0)
    captured_count = models.IntegerField(default=0)  # new events stored
    duplicate_count = models.IntegerField(default=0)  # already stored (same eventID): not stored twice
    applied_count = models.IntegerField(default=0)  # drove the traceability core
    errors = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Asynchronous capture: the document (JSON-LD shape) waiting for the worker, dropped once the
    # job is final; who captured it (the worker acts as that API client); the job runner's task.
    document = JsonTextField(null=True, blank=True)
    api_client = models.ForeignKey(
        "accounts.ApiClient",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )

    class Meta:
        verbose_name = _("EPCIS capture job")
        verbose_name_plural = _("EPCIS capture jobs")

    def __str__(self) -> str:
        return str(self.external_id)


class EpcisEventType(models.IntegerChoices):
    OBJECT = 1, "ObjectEvent"
    AGGREGATION = 2, "AggregationEvent"
    TRANSACTION = 3, "TransactionEvent"
    TRANSFORMATION = 4, "TransformationEvent"
    ASSOCIATION = 5, "AssociationEvent"


class EpcisEvent(models.Model):
    """One captured event: `document` is its normalised EPCIS JSON (as the query answers it);
    the columns are copies of what the standard queries filter and sort on."""

    id = models.BigAutoField(primary_key=True)
    event_id = models.CharField(_("eventID"), max_length=255)
    event_type = models.SmallIntegerField(choices=EpcisEventType.choices)
    action = models.CharField(max_length=8, blank=True)  # ADD | OBSERVE | DELETE ("" for transformations)
    biz_step = models.CharField(max_length=255, blank=True)  # bare CBV name or a URI
    disposition = models.CharField(max_length=255, blank=True)
    event_time = models.DateTimeField()
    record_time = models.DateTimeField()
    read_point = models.CharField(max_length=255, blank=True)  # canonical (Digital Link for GS1 keys)
    biz_location = models.CharField(max_length=255, blank=True)
    # The capturing organisation and the job: no database constraint (the ORM still protects
    # them). A document's rows all name the same two rows, checked once per event at commit:
    # for a 10,000-event document those checks took a fifth of the capture's database time
    # (bench/epcis.py). Only `_store_all` writes these columns, from the locked job and its organisation.
    # No index of its own: `epcis_org_time_idx` starts with the organisation.
    organization = models.ForeignKey(
        "registry.Organization",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("capturing organisation"),
        db_index=False,
        db_constraint=False,
    )
    capture_job = models.ForeignKey(
        CaptureJob, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    # Drove the traceability core (then `trace_event` is the operation it became).
    applied = models.BooleanField(default=False)
    # No database constraint: the event table is partitioned on PostgreSQL (its key carries the
    # record time), so no foreign key can point at `id` alone; traceability migration 0009 dropped it.
    trace_event = models.ForeignKey(
        "traceability.Event",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    document = models.JSONField()
    context = models.JSONField(default=dict, blank=True)  # the prefixes its extensions use
    # An error declaration (the event sent again with `errorDeclaration`) is a row of its own with
    # the same eventID, pointing at the event it declares wrong; `error_reason` is set (maybe "")
    # on every event that carries an errorDeclaration, and null on the others.
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    error_reason = models.CharField(max_length=255, null=True, blank=True)

    class Meta:
        verbose_name = _("EPCIS event")
        verbose_name_plural = _("EPCIS events")
        constraints = [
            # One event per eventID, and at most one error declaration of it.
            models.UniqueConstraint(
                fields=["event_id"], condition=models.Q(corrects__isnull=True), name="epcis_event_id_unique"
            ),
            models.UniqueConstraint(
                fields=["event_id"],
                condition=models.Q(corrects__isnull=False),
                name="epcis_declaration_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["event_time", "id"], name="epcis_event_time_idx"),
            models.Index(fields=["record_time", "id"], name="epcis_record_time_idx"),
            models.Index(fields=["organization", "record_time"], name="epcis_org_time_idx"),
            models.Index(fields=["biz_step"], name="epcis_biz_step_idx"),
            models.Index(fields=["read_point"], name="epcis_read_point_idx"),
            models.Index(fields=["biz_location"], name="epcis_biz_location_idx"),
            models.Index(fields=["applied"], name="epcis_not_applied_idx", condition=models.Q(applied=False)),
            models.Index(
                fields=["error_reason"],
                name="epcis_declared_idx",
                condition=models.Q(error_reason__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.event_id


class EpcRole(models.IntegerChoices):
    EPC = 1, "epcList"
    PARENT = 2, "parentID"
    CHILD = 3, "childEPCs"
    INPUT = 4, "inputEPCList"
    OUTPUT = 5, "outputEPCList"
    QUANTITY = 6, "quantityList"
    CHILD_QUANTITY = 7, "childQuantityList"
    INPUT_QUANTITY = 8, "inputQuantityList"
    OUTPUT_QUANTITY = 9, "outputQuantityList"


ROLE_OF_FIELD = {r.label: r.value for r in EpcRole}
CLASS_ROLES = (EpcRole.QUANTITY, EpcRole.CHILD_QUANTITY, EpcRole.INPUT_QUANTITY, EpcRole.OUTPUT_QUANTITY)


class EpcisEventEpc(models.Model):
    """One identifier named by one event (narrow: for MATCH_epc / anyEPC / parentID / epcClass)."""

    id = models.BigAutoField(primary_key=True)
    # No database constraint, for the same reason as `EpcisEvent.organization`: the rows are written
    # with their event's, by one COPY per table, the event ids allocated in the same transaction.
    event = models.ForeignKey(
        EpcisEvent, on_delete=models.CASCADE, related_name="epcs", db_index=False, db_constraint=False
    )
    role = models.SmallIntegerField(choices=EpcRole.choices)
    value = models.CharField(max_length=255)  # canonical: Digital Link on id.gs1.org for GS1 keys
    package_id = models.BigIntegerField(null=True)  # the traceability package, when known

    class Meta:
        indexes = [
            models.Index(fields=["value", "event"], name="epcis_epc_value_idx"),
            models.Index(fields=["event"], name="epcis_epc_event_idx"),
            models.Index(
                fields=["package_id"],
                name="epcis_epc_package_idx",
                condition=models.Q(package_id__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.value


class EpcisBizTransaction(models.Model):
    """One business transaction of one event (for EQ_bizTransaction_<type>)."""

    id = models.BigAutoField(primary_key=True)
    event = models.ForeignKey(
        EpcisEvent, on_delete=models.CASCADE, related_name="biz_transactions", db_index=False
    )
    type = models.CharField(max_length=255, blank=True)
    value = models.CharField(max_length=255)

    class Meta:
        indexes = [models.Index(fields=["type", "value"], name="epcis_btx_idx")]

    def __str__(self) -> str:
        return f"{self.type}:{self.value}"


class EpcisCorrectiveEvent(models.Model):
    """One eventID an error declaration names in `correctiveEventIDs` (for EQ_correctiveEventID)."""

    id = models.BigAutoField(primary_key=True)
    event = models.ForeignKey(
        EpcisEvent, on_delete=models.CASCADE, related_name="corrective_ids", db_index=False
    )
    corrective_event_id = models.CharField(max_length=255)

    class Meta:
        indexes = [models.Index(fields=["corrective_event_id", "event"], name="epcis_corrective_idx")]

    def __str__(self) -> str:
        return self.corrective_event_id
