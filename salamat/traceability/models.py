"""Packages, containers, append-only events, shipments, recalls, alerts.

Sizes to design for: ~150 million packages a year, 4–6 events each, so close to a
billion (event, package) rows a year. The package row holds the current state for
fast reads; the events are the truth. The hot tables (`Package`, `EventPackage`)
use integer keys and small integers only; text lives once, in `Package.key`.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from salamat.traceability import rules


class PackageState(models.IntegerChoices):
    """`rules.State` as stored (small integers)."""

    # Kept after its introduction was cancelled (its events still name it); may be introduced again.
    NOT_INTRODUCED = rules.State.NONE, _("Not introduced (introduction cancelled)")
    REGISTERED = rules.State.REGISTERED, _("Registered (sticker issued)")
    IN_CIRCULATION = rules.State.IN_CIRCULATION, _("In circulation")
    IN_TRANSIT = rules.State.IN_TRANSIT, _("In transit")
    WITHDRAWN = rules.State.WITHDRAWN, _("Withdrawn")


class WithdrawReason(models.IntegerChoices):
    """`rules.Reason` as stored; 0 while the package is not withdrawn."""

    NONE = rules.Reason.NONE, _("—")
    SOLD = rules.Reason.SOLD, _("Sold")
    DISPENSED = rules.Reason.DISPENSED, _("Dispensed")
    DESTROYED = rules.Reason.DESTROYED, _("Destroyed")
    EXPORTED = rules.Reason.EXPORTED, _("Exported")
    WRITTEN_OFF = rules.Reason.WRITTEN_OFF, _("Written off")


class OperationType(models.IntegerChoices):
    """The participant's operation behind an event (small integer on the event row)."""

    INTRODUCE = 1, _("Introduction into circulation")
    AGGREGATE = 2, _("Aggregation")
    DISAGGREGATE = 3, _("Disaggregation")
    SHIP = 4, _("Shipment")
    ACCEPT = 5, _("Acceptance")
    REJECT = 6, _("Rejection")
    SELL = 7, _("Sale")
    DISPENSE = 8, _("Dispensing")
    RETURN = 9, _("Return")
    WRITE_OFF = 10, _("Write-off")
    DESTROY = 11, _("Destruction")
    EXPORT = 12, _("Export")
    CANCEL = 13, _("Cancellation")
    RECALL = 14, _("Recall")


OPERATION_CODE: dict[rules.Operation, int] = {
    rules.Operation(label): value
    for label, value in (
        ("introduce", 1),
        ("aggregate", 2),
        ("disaggregate", 3),
        ("ship", 4),
        ("accept", 5),
        ("reject", 6),
        ("sell", 7),
        ("dispense", 8),
        ("return", 9),
        ("write_off", 10),
        ("destroy", 11),
        ("export", 12),
        ("cancel", 13),
    )
}
OPERATION_OF_CODE: dict[int, rules.Operation] = {v: k for k, v in OPERATION_CODE.items()}


class EpcisEventType(models.IntegerChoices):
    OBJECT = 1, "ObjectEvent"
    AGGREGATION = 2, "AggregationEvent"
    TRANSACTION = 3, "TransactionEvent"
    TRANSFORMATION = 4, "TransformationEvent"


class EpcisAction(models.IntegerChoices):
    ADD = 1, "ADD"
    OBSERVE = 2, "OBSERVE"
    DELETE = 3, "DELETE"


class BizStep(models.IntegerChoices):
    """GS1 Core Business Vocabulary business steps used here."""

    COMMISSIONING = 1, "commissioning"
    PACKING = 2, "packing"
    UNPACKING = 3, "unpacking"
    SHIPPING = 4, "shipping"
    RECEIVING = 5, "receiving"
    RETAIL_SELLING = 6, "retail_selling"
    DISPENSING = 7, "dispensing"
    RETURNING = 8, "returning"
    DECOMMISSIONING = 9, "decommissioning"
    DESTROYING = 10, "destroying"
    DEPARTING = 11, "departing"
    VOID_SHIPPING = 12, "void_shipping"
    RECALLING = 13, "recalling"


class Disposition(models.IntegerChoices):
    """GS1 Core Business Vocabulary dispositions used here."""

    ACTIVE = 1, "active"
    IN_PROGRESS = 2, "in_progress"
    IN_TRANSIT = 3, "in_transit"
    RETAIL_SOLD = 4, "retail_sold"
    DISPENSED = 5, "dispensed"
    RETURNED = 6, "returned"
    INACTIVE = 7, "inactive"
    DESTROYED = 8, "destroyed"
    RECALLED = 9, "recalled"
    NON_SELLABLE_OTHER = 10, "non_sellable_other"
    SELLABLE_ACCESSIBLE = 11, "sellable_accessible"


class ContainerState(models.IntegerChoices):
    ACTIVE = 1, _("Active")  # holds packages, in circulation
    IN_TRANSIT = 2, _("In transit")
    DISSOLVED = 3, _("Dissolved")  # unpacked, or everything in it left circulation


class Container(models.Model):
    """A logistic unit (box, pallet) identified by an SSCC; containers nest."""

    id = models.BigAutoField(primary_key=True)
    key = models.CharField(_("SSCC key"), max_length=24)  # "00/<sscc18>"
    owner = models.ForeignKey(
        "registry.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("owner")
    )
    site = models.ForeignKey(
        "registry.Site", null=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    state = models.SmallIntegerField(
        _("state"), choices=ContainerState.choices, default=ContainerState.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("container")
        verbose_name_plural = _("containers")
        constraints = [models.UniqueConstraint(fields=["key"], name="container_key_unique")]

    def __str__(self) -> str:
        return self.key


class Package(models.Model):
    """One package of a medicine and its current state (the events are the truth).

    Indexes are kept to what the queries need, because every index is rewritten on
    every state change: the key (lookups, one per scan), the owner (stock), the
    product (recalls, availability, stats) and the container (packed boxes only).

    The references carry no database FOREIGN KEY constraint: each would add a
    deferred trigger check per row to every 50,000-row COPY and every change of owner.
    The services resolve every id they write in the same transaction (product from the
    registry, owner from the actor, site from its organisation), and Django's
    `on_delete=PROTECT` still refuses to delete a referenced organisation or product."""

    id = models.BigAutoField(primary_key=True)
    key = models.CharField(_("key"), max_length=128)  # canonical: 01/<gtin14>/21/<serial>
    product = models.ForeignKey(
        "registry.Product",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("product"),
        db_constraint=False,
    )
    batch = models.CharField(_("batch"), max_length=20)
    expiry = models.DateField(_("expiry"))
    state = models.SmallIntegerField(_("state"), choices=PackageState.choices)
    withdraw_reason = models.SmallIntegerField(
        _("withdrawal reason"), choices=WithdrawReason.choices, default=WithdrawReason.NONE
    )
    # No index on the owner: acceptance and return change it for tens of thousands of rows at
    # once, and a change to any indexed column makes PostgreSQL rewrite every index of the row
    # (4-5x slower than the in-place "heap-only" update the other operations get). What an owner
    # holds is read from `StockBalance` instead.
    owner = models.ForeignKey(
        "registry.Organization",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owner"),
        db_index=False,
        db_constraint=False,
    )
    site = models.ForeignKey(
        "registry.Site",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    # The owner before the last change of ownership: whom a return goes back to.
    previous_owner = models.ForeignKey(
        "registry.Organization",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    container = models.ForeignKey(
        Container,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    # Units left after partial sales; NULL while the package is whole.
    remaining_units = models.IntegerField(_("remaining units"), null=True, blank=True)
    flags = models.SmallIntegerField(_("flags"), default=0)  # rules.Flag bits: recalled, blocked
    last_event = models.ForeignKey(
        "Event", null=True, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    introduced_on = models.DateField(_("introduced on"), null=True)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("package")
        verbose_name_plural = _("packages")
        # A constraint, not `unique=True`: on PostgreSQL the latter adds a second (LIKE) index on
        # the key that every COPY would maintain for nothing (lookups are by equality).
        constraints = [models.UniqueConstraint(fields=["key"], name="package_key_unique")]
        indexes = [
            models.Index(
                fields=["container"],
                name="package_container_idx",
                condition=models.Q(container__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def is_recalled(self) -> bool:
        return bool(self.flags & rules.Flag.RECALLED)

    @property
    def is_blocked(self) -> bool:
        return bool(self.flags & rules.Flag.BLOCKED)


class StockBalance(models.Model):
    """How many packages in circulation an organisation holds at a site, per product, batch and
    expiry, and how many of them are recalled or blocked.

    Kept by the services in the same transaction as every change of a package's state, owner,
    site or flags (`traceability.stock`), so stock and availability are read from a few hundred
    rows instead of counting millions of packages, and the package table needs no owner index.
    `manage.py stock_rebuild` recomputes it from the packages; the test suite checks after every
    test that both agree."""

    owner = models.ForeignKey(
        "registry.Organization",
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    site = models.ForeignKey(
        "registry.Site",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    product = models.ForeignKey(
        "registry.Product", on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    batch = models.CharField(_("batch"), max_length=20)
    expiry = models.DateField(_("expiry"))
    packages = models.IntegerField(_("packages"), default=0)
    flagged = models.IntegerField(_("recalled or blocked"), default=0)

    class Meta:
        verbose_name = _("stock balance")
        verbose_name_plural = _("stock balances")
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "site", "product", "batch", "expiry"],
                name="stockbalance_group_unique",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.owner_id}/{self.site_id}/{self.product_id}/{self.batch}: {self.packages}"


class IdempotencyRecord(models.Model):
    """The first answer to a write sent with an `Idempotency-Key`, replayed on retries."""

    organization = models.ForeignKey("registry.Organization", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=128)
    request_hash = models.CharField(max_length=64)  # SHA-256 of the method, path and canonical body
    response = models.JSONField()
    status_code = models.SmallIntegerField(default=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "key"], name="idempotency_unique_key")]

    def __str__(self) -> str:
        return self.key


class Event(models.Model):
    """One operation, EPCIS-shaped. Insert-only, except `cancelled_by` which links the
    cancellation event once (the cancellation is itself an event).

    On PostgreSQL the table is partitioned by month of `record_time` (`traceability.partitions`):
    the database primary key is (id, record_time) and `event_id` is unique with `record_time`
    (a random UUID); Django still addresses a row by `id`, which the sequence keeps unique."""

    id = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField(_("event id"), default=uuid.uuid4, unique=True, editable=False)
    operation = models.SmallIntegerField(_("operation"), choices=OperationType.choices)
    event_type = models.SmallIntegerField(choices=EpcisEventType.choices)
    action = models.SmallIntegerField(choices=EpcisAction.choices)
    biz_step = models.SmallIntegerField(choices=BizStep.choices)
    disposition = models.SmallIntegerField(choices=Disposition.choices)
    event_time = models.DateTimeField(_("event time"))
    event_time_zone_offset = models.CharField(max_length=6, default="+06:00")
    record_time = models.DateTimeField(_("record time"), auto_now_add=True)
    # No index of its own: `event_org_time_idx` (organization, record_time) starts with it.
    organization = models.ForeignKey(
        "registry.Organization",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation"),
        db_index=False,
    )
    site = models.ForeignKey(
        "registry.Site", null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("site")
    )  # the EPCIS read point
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # EPCIS bizTransactionList, e.g. [{"type": "inv", "id": "INV-1", "date": "2025-01-31"}].
    biz_transactions = models.JSONField(default=list, blank=True)
    source = models.ForeignKey(
        "registry.Organization", null=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    destination = models.ForeignKey(
        "registry.Organization", null=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    idempotency = models.ForeignKey(
        IdempotencyRecord, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    # No database FOREIGN KEY into this table (here and from shipments, EPCIS): on PostgreSQL it
    # is partitioned by `record_time`, so its primary key is (id, record_time) and `id` alone
    # is unique by its sequence only (docs/scaling.md, "Partitioned history").
    cancelled_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="cancels", db_constraint=False
    )
    package_count = models.IntegerField(default=0)
    # Packing and unpacking: every box or pallet the event changed, as it was before:
    # [id, parent id, state] (state 0: the event created it), so a cancellation can restore it.
    containers_before = models.JSONField(default=list, blank=True)
    withdrawn_count = models.IntegerField(default=0)  # packages this event took out of circulation
    units = models.IntegerField(null=True, blank=True)  # units sold per package (partial sale)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [models.Index(fields=["organization", "record_time"], name="event_org_time_idx")]

    def __str__(self) -> str:
        return f"{self.get_operation_display()} {self.event_id}"


class EventPackage(models.Model):
    """One package in one event: the narrow row (about a billion a year).

    Columns: two bigints and a smallint, plus nullable columns filled only when the
    operation changes them (a NULL costs one bit), so a cancellation can restore the
    package exactly. No foreign-key constraints: COPY loads these rows unchecked
    (the service has just validated every id) and partitions stay independent.

    On PostgreSQL the table is partitioned by month (`traceability.partitions`) on a column
    the model does not name, `recorded_on date DEFAULT current UTC date`: it fills itself on
    every insert and COPY, costs no space on the usual row (it fits the alignment padding
    after `prev_state`), and makes the database primary key (event_id, package_id,
    recorded_on). Lookups by package probe each month's (package_id, event_id) index. Old
    partitions are detached and archived whole. Past one machine the table is distributed
    with Citus by `package_id`, co-located with `Package`.
    """

    pk = models.CompositePrimaryKey("event_id", "package_id")
    # No single-column index on either: every row would maintain two indexes that the primary
    # key (event_id, package_id[, recorded_on]) and `eventpackage_package_idx` (package_id,
    # event_id) already serve by their first column (a shipment's packages by event, a
    # package's history by package).
    event = models.ForeignKey(
        Event, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    package = models.ForeignKey(
        Package, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    # The package's state and reason before the event: rules.encode_prev(state, reason); 0 = unknown.
    prev_state = models.SmallIntegerField()
    prev_units = models.IntegerField(null=True)
    prev_owner_id = models.BigIntegerField(null=True)
    prev_site_id = models.BigIntegerField(null=True)
    prev_container_id = models.BigIntegerField(null=True)  # written by packing and unpacking

    class Meta:
        verbose_name = _("event package")
        verbose_name_plural = _("event packages")
        indexes = [models.Index(fields=["package", "event"], name="eventpackage_package_idx")]

    def __str__(self) -> str:
        return f"{self.event_id}:{self.package_id}"


class ShipmentStatus(models.TextChoices):
    SENT = "sent", _("Sent")  # on its way; the packages are in transit
    ACCEPTED = "accepted", _("Accepted")  # received whole
    ACCEPTED_WITH_DISCREPANCIES = "accepted_with_discrepancies", _("Accepted with discrepancies")
    REJECTED = "rejected", _("Rejected")  # refused by the receiver; back with the sender
    CANCELLED = "cancelled", _("Cancelled")  # cancelled by the sender


class Shipment(models.Model):
    """Packages sent from one participant to another under one invoice.

    Its packages are those of its send event (`EventPackage` rows of `send_event`): no
    second per-package table is written for it."""

    id = models.BigAutoField(primary_key=True)
    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Sender and receiver: no index of their own, `shipment_sender_idx` and `shipment_receiver_idx`
    # (each with the status) start with them.
    sender = models.ForeignKey(
        "registry.Organization", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    sender_site = models.ForeignKey("registry.Site", null=True, on_delete=models.PROTECT, related_name="+")
    receiver = models.ForeignKey(
        "registry.Organization", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    receiver_site = models.ForeignKey("registry.Site", null=True, on_delete=models.PROTECT, related_name="+")
    invoice_number = models.CharField(_("invoice number"), max_length=64, blank=True)
    invoice_date = models.DateField(_("invoice date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=32, choices=ShipmentStatus.choices, default=ShipmentStatus.SENT
    )
    package_count = models.IntegerField(default=0)
    # No database constraint: events are partitioned on PostgreSQL (see `Event.cancelled_by`).
    send_event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="+", db_constraint=False)
    close_event = models.ForeignKey(
        Event, null=True, on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        indexes = [
            models.Index(fields=["receiver", "status"], name="shipment_receiver_idx"),
            models.Index(fields=["sender", "status"], name="shipment_sender_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_number or self.external_id}"


class RecallKind(models.TextChoices):
    RECALL = "recall", _("Recall")  # a quality recall
    BLOCK = "block", _("Block")  # a block pending investigation


class RecallStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    LIFTED = "lifted", _("Lifted")


class Recall(models.Model):
    """A regulator's recall or block of a product, one batch of it, or a list of packages."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=10, choices=RecallKind.choices, default=RecallKind.RECALL)
    product = models.ForeignKey(
        "registry.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    batch = models.CharField(_("batch"), max_length=20, blank=True)
    package_keys = models.JSONField(_("package keys"), default=list, blank=True)
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=10, choices=RecallStatus.choices, default="active")
    package_count = models.IntegerField(default=0)  # packages flagged when it was created
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    organization = models.ForeignKey("registry.Organization", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lift_reason = models.TextField(blank=True)

    class Meta:
        verbose_name = _("recall")
        verbose_name_plural = _("recalls")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.external_id}"


class AlertSeverity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class AlertStatus(models.TextChoices):
    """Where the regulator's staff are with an alert; the allowed changes are in
    `services.regulator.ALERT_TRANSITIONS`."""

    OPEN = "open", _("New")  # nobody has taken it in hand yet
    IN_PROGRESS = "in_progress", _("In progress")  # someone is looking into it
    RESOLVED = "resolved", _("Resolved")  # closed, with a note saying how


ALERT_CODES_CAP = 1000  # an alert lists at most this many codes; `code_count` has the total


class Alert(models.Model):
    """Something the regulator should look at: a suspicious refused attempt (kind = the
    refusal code, e.g. `already_sold`) or a shipment discrepancy (`shipment_missing`,
    `shipment_extra`)."""

    external_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=40, db_index=True)
    severity = models.CharField(_("severity"), max_length=10, choices=AlertSeverity.choices)
    organization = models.ForeignKey(
        "registry.Organization", on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    operation = models.CharField(_("operation"), max_length=20, blank=True)
    codes = models.JSONField(_("codes"), default=list)
    code_count = models.IntegerField(default=0)
    details = models.JSONField(_("details"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=AlertStatus.choices, default=AlertStatus.OPEN, db_index=True
    )
    # Who last changed the status, and when (each change is in the audit log too).
    # No index on these two: they are read with the alert, and a new index on a large table
    # would lock it while it is built; the inbox filters by status first (the active are few).
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        db_index=False,
    )  # fmt: skip
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # The regulator's staff member who handles it (a person with the regulator role).
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("assigned to"), db_index=False,
    )  # fmt: skip
    assigned_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.TextField(_("resolution note"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} ({self.severity})"


class DailyCount(models.Model):
    """Per day and product, what the packages' `introduced_on` and `withdrawn_on` say: how many
    were introduced that day, withdrawn that day, and "closed" that day (introduced and
    withdrawn both, counted on the later of the two days). A summary the dashboard's series reads
    instead of counting millions of packages (`traceability.daily`): `manage.py daily_counts`
    folds `DailyDelta` into it (or recounts it from the packages), nothing else writes it."""

    day = models.DateField()
    product = models.ForeignKey(
        "registry.Product", on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    introduced = models.IntegerField(default=0)
    withdrawn = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)

    class Meta:
        # Also the index the series reads by (a period of days).
        constraints = [models.UniqueConstraint(fields=["day", "product"], name="daily_count_day_product")]

    def __str__(self) -> str:
        return f"{self.day} {self.product_id}"


class DailyCountMark(models.Model):
    """The one row saying that `DailyCount` exists (the series reads it, with the deltas not
    folded yet, from then on): when the deltas were last folded (`summarised_at`), and the last
    day the last recount from the packages counted (`through`)."""

    through = models.DateField()
    summarised_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"through {self.through} at {self.summarised_at:%Y-%m-%d %H:%M}"


class DailyDelta(models.Model):
    """What one transaction changed in `DailyCount`: per day and product, the packages
    introduced, withdrawn and closed that it added (or, negative, took away). Append-only: each
    service that writes a package's `introduced_on` or `withdrawn_on` inserts its own rows (so
    concurrent requests never wait on a shared counter row), and `manage.py daily_counts`
    folds them into `DailyCount` and deletes them (`traceability.daily`). No index but the key:
    it is read whole and kept small."""

    id = models.BigAutoField(primary_key=True)
    day = models.DateField()
    product = models.ForeignKey(
        "registry.Product", on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    introduced = models.IntegerField(default=0)
    withdrawn = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day} {self.product_id} {self.introduced:+} {self.withdrawn:+} {self.closed:+}"
