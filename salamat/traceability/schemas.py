"""Input and output schemas of the traceability API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from ninja import Schema
from pydantic import AwareDatetime, Field, StringConstraints

from salamat.traceability.services import MAX_CODES

Code = Annotated[str, StringConstraints(min_length=1, max_length=512)]
Codes = Annotated[
    list[Code],
    Field(
        min_length=1,
        max_length=MAX_CODES,
        description="Scanned codes as the scanner sends them (GS1 element strings with GS separators, "
        "Digital Link URIs, EPC URNs, SSCCs of boxes and pallets, sticker serials).",
    ),
]
EVENT_TIME = "When it happened, with its zone offset (scanners may upload late). Default: now."


class OperationIn(Schema):
    codes: Codes
    event_time: AwareDatetime | None = Field(default=None, description=EVENT_TIME)
    site: UUID | None = Field(
        default=None, description="Your site where it happened; default your first site."
    )


class IntroduceIn(OperationIn):
    batch: str | None = Field(default=None, max_length=20, description="For codes that do not carry AI 10.")
    expiry: date | None = Field(default=None, description="For codes that do not carry AI 17.")
    product: UUID | None = Field(default=None, description="For codes without a GTIN (other schemes).")


class AggregateIn(OperationIn):
    container: Code = Field(description="The SSCC of the box or pallet (new or existing).")


class ShipIn(OperationIn):
    receiver: UUID = Field(description="The receiving participant's id.")
    invoice_number: str = Field(default="", max_length=64)
    invoice_date: date | None = None


class AcceptIn(Schema):
    codes: list[Code] | None = Field(
        default=None,
        max_length=MAX_CODES,
        description="What actually arrived (packages and boxes). Omit to accept the whole shipment.",
    )
    event_time: AwareDatetime | None = Field(default=None, description=EVENT_TIME)
    site: UUID | None = None


class RejectIn(Schema):
    reason: str = Field(default="", max_length=200)
    event_time: AwareDatetime | None = Field(default=None, description=EVENT_TIME)


class SellIn(OperationIn):
    units: int | None = Field(default=None, ge=1, le=100_000, description="Units sold of each package.")
    receipt_number: str = Field(default="", max_length=64)


class ExportIn(OperationIn):
    country: str = Field(default="", max_length=2, description="ISO 3166 country of destination.")


class OperationOut(Schema):
    """The answer to every operation. Retrying with the same Idempotency-Key returns it again."""

    event_id: UUID = Field(description="The event recorded; cancel it with /operations/{event_id}/cancel.")
    operation: str
    event_time: datetime
    package_count: int = Field(description="Packages the operation applied to (boxes expanded).")
    withdrawn_count: int | None = None
    shipment_id: UUID | None = None
    status: str | None = None
    missing: list[str] | None = None
    missing_count: int | None = None
    extra: list[str] | None = None
    extra_count: int | None = None
    container: str | None = None
    containers: int | None = None
    cancelled_event_id: UUID | None = None
    replayed: bool = Field(default=False, description="True when this is the stored answer to a retry.")


class OrgRef(Schema):
    id: UUID
    name: str
    org_type: str


class SiteRef(Schema):
    id: UUID
    name: str
    region: str


class ProductRef(Schema):
    id: UUID
    trade_name: str
    strength: str = ""
    registration_number: str | None = None


class HistoryEventOut(Schema):
    event_id: UUID
    operation: str
    operation_label: str
    event_type: str
    biz_step: str
    disposition: str
    event_time: datetime
    event_time_zone_offset: str
    record_time: datetime
    organization: OrgRef
    site: SiteRef | None
    source: OrgRef | None
    destination: OrgRef | None
    biz_transactions: list[dict[str, Any]]
    previous_state: str
    cancelled_by: UUID | None


class PackageOut(Schema):
    key: str
    product: ProductRef
    batch: str
    expiry: date
    state: str
    withdraw_reason: str | None
    owner: OrgRef | None
    site: SiteRef | None
    remaining_units: int | None
    recalled: bool
    blocked: bool
    expired: bool


class PackageRecallOut(Schema):
    """A recall or block that covers the package (its product, batch, or the package itself)."""

    id: UUID = Field(alias="external_id")
    kind: str
    reason: str
    status: str
    created_at: datetime
    lifted_at: datetime | None
    lift_reason: str


class PackageHistoryOut(Schema):
    package: PackageOut
    history: list[HistoryEventOut]
    recalls: list[PackageRecallOut] = Field(
        description="Recalls and blocks, active or lifted, that cover the package, oldest first."
    )


class StockRowOut(Schema):
    product: ProductRef
    batch: str
    expiry: date
    packages: int
    recalled_or_blocked: int
    expired: bool
    expiring_soon: bool


class AvailabilitySite(Schema):
    id: UUID
    name: str
    address: str


class AvailabilityRowOut(Schema):
    region: str
    site: AvailabilitySite
    organization: str
    organization_type: str
    packages: int


class ShipmentOut(Schema):
    id: UUID = Field(alias="external_id")
    sender: OrgRef
    receiver: OrgRef
    invoice_number: str
    invoice_date: date | None
    status: str
    package_count: int
    created_at: datetime

    @staticmethod
    def resolve_sender(obj):
        return {"id": obj.sender.external_id, "name": str(obj.sender), "org_type": obj.sender.org_type}

    @staticmethod
    def resolve_receiver(obj):
        return {"id": obj.receiver.external_id, "name": str(obj.receiver), "org_type": obj.receiver.org_type}


class RecallIn(Schema):
    kind: str = Field(default="recall", pattern="^(recall|block)$")
    product: UUID | None = None
    batch: str = Field(default="", max_length=20)
    codes: list[Code] | None = Field(default=None, max_length=MAX_CODES)
    reason: str = Field(min_length=1, max_length=2000)
    confirm_no_match: bool = Field(
        default=False,
        description="Record the recall even though no package matches it (a batch that has not "
        "reached the country yet). Without it such a recall is refused with `recall_matches_nothing`.",
    )


class RecallPreviewIn(Schema):
    product: UUID | None = None
    batch: str = Field(default="", max_length=20)
    codes: list[Code] | None = Field(default=None, max_length=MAX_CODES)


class RecallHolderOut(Schema):
    organization: OrgRef | None = Field(description="None: packages sold, used or destroyed.")
    packages: int


class BatchInStockOut(Schema):
    batch: str
    packages: int


class RecallPreviewOut(Schema):
    packages: int = Field(description="Packages the recall would flag.")
    in_circulation: int = Field(description="Of those, packages still in circulation or in transit.")
    holders: list[RecallHolderOut] = Field(description="The largest holders first (at most 20).")
    holder_count: int
    batches_in_stock: list[BatchInStockOut] = Field(
        description="The product's batches in stock, the largest first: to catch a mistyped batch."
    )

    @staticmethod
    def resolve_holders(obj):
        return [
            {
                "organization": (
                    {"id": h.organization.external_id, "name": str(h.organization),
                     "org_type": h.organization.org_type}
                    if h.organization is not None else None
                ),
                "packages": h.packages,
            }
            for h in obj.holders
        ]  # fmt: skip


class RecallLiftIn(Schema):
    reason: str = Field(default="", max_length=2000)


class RecallOut(Schema):
    id: UUID = Field(alias="external_id")
    kind: str
    product: UUID | None = None
    batch: str
    package_keys: list[str]
    reason: str
    status: str
    package_count: int
    created_at: datetime
    lifted_at: datetime | None

    @staticmethod
    def resolve_product(obj):
        if isinstance(obj, dict):  # a stored answer replayed for an Idempotency-Key
            return obj["product"]
        return obj.product.external_id if obj.product_id else None


class AlertOut(Schema):
    id: UUID = Field(alias="external_id")
    kind: str
    severity: str
    organization: OrgRef
    operation: str
    codes: list[str]
    code_count: int
    details: dict[str, Any]
    status: str
    resolution_note: str
    resolved_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_organization(obj):
        if isinstance(obj, dict):  # a stored answer replayed for an Idempotency-Key
            return obj["organization"]
        org = obj.organization
        return {"id": org.external_id, "name": str(org), "org_type": org.org_type}


class AlertResolveIn(Schema):
    note: str = Field(min_length=1, max_length=2000)


class TrackedDayOut(Schema):
    day: date
    introduced: int
    withdrawn: int
    in_circulation: int


class CoverageListOut(Schema):
    list: str
    name: str
    mandatory_from: date
    products: int
    introduced: int
    share: float


class CoverageOut(Schema):
    on: date
    products: int = Field(description="Products whose tracking is mandatory on that day.")
    introduced: int = Field(description="Of those, products with at least one package introduced.")
    share: float
    lists: list[CoverageListOut]
