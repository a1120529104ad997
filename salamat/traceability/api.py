"""Traceability endpoints for participants' software and the regulator. Thin: validate,
call one service or selector, answer. Writes honour the `Idempotency-Key` header."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal
from uuid import UUID

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from salamat.core.actors import Actor
from salamat.core.api import API_AUTH, ERRORS, Page, actor_of, paginate
from salamat.core.errors import NotFound, field_error
from salamat.registry.models import Product, Region, TrackingList
from salamat.traceability import schemas as s
from salamat.traceability import selectors, services
from salamat.traceability.models import AlertStatus, RecallStatus, ShipmentStatus

router = Router(tags=["Traceability"], auth=API_AUTH)
OPS = {200: s.OperationOut, **ERRORS}
IDEMPOTENCY_HEADER = "HTTP_IDEMPOTENCY_KEY"


def _idempotency(request: HttpRequest, payload: Schema | None) -> services.Idempotency | None:
    """The request's `Idempotency-Key` with the hash of what was asked under it."""
    key = request.META.get(IDEMPOTENCY_HEADER, "").strip()
    if not key:
        return None
    if len(key) > 128:
        raise field_error("Idempotency-Key", "idempotency_key_too_long", _("At most 128 characters."))
    body = payload.model_dump(mode="json", by_alias=True) if payload is not None else None
    return services.Idempotency(key, services.request_hash(request.method, request.path, body))


def _regulator(request: HttpRequest) -> Actor:
    actor = actor_of(request)
    actor.require_role(*selectors.REGULATOR_ROLES)
    return actor


# --- operations ---------------------------------------------------------------------------


@router.post("/packages/introduce", response=OPS, summary="Introduce packages into circulation")
def packages_introduce(request: HttpRequest, payload: s.IntroduceIn):
    """A manufacturer or importer introduces packages (import or local production). The product must
    be in the registry and registered on the day; batch and expiry come from the codes or the request."""
    return services.packages_introduce(
        actor=actor_of(request), codes=payload.codes, batch=payload.batch, expiry=payload.expiry,
        product_id=payload.product, event_time=payload.event_time, site_id=payload.site,
        idempotency=_idempotency(request, payload),
    )  # fmt: skip


@router.post("/containers/aggregate", response=OPS, summary="Pack into a box or pallet")
def containers_aggregate(request: HttpRequest, payload: s.AggregateIn):
    """Packs packages and boxes into the box or pallet `container` (SSCC); boxes nest."""
    return services.containers_aggregate(
        actor=actor_of(request), container_code=payload.container, codes=payload.codes,
        event_time=payload.event_time, site_id=payload.site, idempotency=_idempotency(request, payload),
    )  # fmt: skip


@router.post("/containers/disaggregate", response=OPS, summary="Unpack boxes or pallets")
def containers_disaggregate(request: HttpRequest, payload: s.OperationIn):
    """Unpacks the given SSCCs; what was directly inside becomes loose."""
    return services.containers_disaggregate(
        actor=actor_of(request), codes=payload.codes, event_time=payload.event_time, site_id=payload.site,
        idempotency=_idempotency(request, payload),
    )  # fmt: skip


@router.post("/shipments", response={201: s.OperationOut, **ERRORS}, summary="Ship to another participant")
def shipment_send(request: HttpRequest, payload: s.ShipIn):
    """Ships packages and boxes to another active participant; they are in transit until accepted."""
    answer = services.shipment_send(
        actor=actor_of(request), receiver_id=payload.receiver, codes=payload.codes,
        invoice_number=payload.invoice_number, invoice_date=payload.invoice_date,
        event_time=payload.event_time, site_id=payload.site, idempotency=_idempotency(request, payload),
    )  # fmt: skip
    return Status(201, answer)


@router.post("/shipments/{shipment_id}/accept", response=OPS, summary="Accept a shipment")
def shipment_accept(request: HttpRequest, shipment_id: UUID, payload: s.AcceptIn):
    """Accepts a shipment addressed to you: whole, or only the codes that actually arrived
    (missing packages stay with the sender; missing and extra codes raise alerts)."""
    return services.shipment_accept(
        actor=actor_of(request), shipment_id=shipment_id, codes=payload.codes, event_time=payload.event_time,
        site_id=payload.site, idempotency=_idempotency(request, payload),
    )  # fmt: skip


@router.post("/shipments/{shipment_id}/reject", response=OPS, summary="Reject a shipment")
def shipment_reject(request: HttpRequest, shipment_id: UUID, payload: s.RejectIn):
    """Refuses a whole shipment: its packages go back into the sender's circulation."""
    return services.shipment_reject(
        actor=actor_of(request), shipment_id=shipment_id, reason=payload.reason, event_time=payload.event_time,
        idempotency=_idempotency(request, payload),
    )  # fmt: skip


@router.post("/packages/sell", response=OPS, summary="Sell packages")
def packages_sell(request: HttpRequest, payload: s.SellIn):
    """Sells whole packages, or `units` of each; a package leaves circulation with its last unit."""
    return services.packages_sell(
        actor=actor_of(request), codes=payload.codes, units=payload.units, event_time=payload.event_time,
        site_id=payload.site, receipt_number=payload.receipt_number, idempotency=_idempotency(request, payload),
    )  # fmt: skip


def _simple(service):
    def endpoint(request: HttpRequest, payload: s.OperationIn):
        return service(
            actor=actor_of(request), codes=payload.codes, event_time=payload.event_time, site_id=payload.site,
            idempotency=_idempotency(request, payload),
        )  # fmt: skip

    endpoint.__name__ = service.__name__  # a distinct OpenAPI operation id per endpoint
    endpoint.__doc__ = service.__doc__
    return endpoint


router.post("/packages/dispense", response=OPS, summary="Dispense packages in a clinic")(
    _simple(services.packages_dispense)
)
router.post("/packages/return", response=OPS, summary="Return packages to the previous owner")(
    _simple(services.packages_return)
)
router.post("/packages/write-off", response=OPS, summary="Write packages off")(
    _simple(services.packages_write_off)
)
router.post("/packages/destroy", response=OPS, summary="Record the destruction of packages")(
    _simple(services.packages_destroy)
)


@router.post("/packages/export", response=OPS, summary="Export packages")
def packages_export(request: HttpRequest, payload: s.ExportIn):
    """Records that packages left the country."""
    return services.packages_export(
        actor=actor_of(request), codes=payload.codes, event_time=payload.event_time, site_id=payload.site,
        country=payload.country, idempotency=_idempotency(request, payload),
    )  # fmt: skip


@router.post("/operations/{event_id}/cancel", response=OPS, summary="Cancel your own operation")
def operation_cancel(request: HttpRequest, event_id: UUID):
    """Cancels an operation of yours within the cancellation window, when nothing happened to its
    packages since. The cancellation is an event of its own."""
    return services.operation_cancel(
        actor=actor_of(request), event_id=event_id, idempotency=_idempotency(request, None)
    )


class CancelPackagesIn(Schema):
    codes: list[str] = Field(
        min_length=1, max_length=services.MAX_CODES, description="Codes of packages of the operation."
    )


@router.post(
    "/operations/{event_id}/cancel-packages",
    response=OPS,
    summary="Cancel some packages of your own operation",
)
def operation_cancel_packages(request: HttpRequest, event_id: UUID, payload: CancelPackagesIn):
    """Cancels some packages of an operation of yours (a customer returns one pack of a sale), by the
    rules of a whole cancellation: within the window, nothing happened to those packages since.
    Sales, dispensing, write-offs, destruction, exports, returns and introductions only."""
    return services.operation_cancel_packages(
        actor=actor_of(request),
        event_id=event_id,
        codes=payload.codes,
        idempotency=_idempotency(request, payload),
    )


# --- reads ---------------------------------------------------------------------------------


class ShipmentFilter(Schema):
    direction: Literal["incoming", "outgoing"] = "incoming"
    status: ShipmentStatus | None = None
    page: int = Field(default=1, ge=1)
    page_size: int = Field(default=50, ge=1, le=200)


@router.get("/shipments", response={200: Page[s.ShipmentOut], **ERRORS}, summary="Your shipments")
def shipment_list(request: HttpRequest, filters: Query[ShipmentFilter]):
    """Shipments addressed to you (incoming, the inbox) or sent by you (outgoing)."""
    org = actor_of(request).require_organization()
    qs = selectors.shipments_for(organization=org, direction=filters.direction, status=filters.status or "")
    return paginate(qs, page=filters.page, page_size=filters.page_size)


@router.get(
    "/packages/{path:code}",
    response={200: s.PackageHistoryOut, **ERRORS},
    summary="A package and its history",
)
def package_detail(request: HttpRequest, code: str):
    """The current state of a package and every event about it: who, where, when. Visible to its
    owners past and present and to the regulator. `code` is any scanned form or the canonical key."""
    package, history = selectors.package_history(actor=actor_of(request), code=code)
    return {
        "package": selectors.package_out(package),
        "history": [selectors.history_entry_out(e) for e in history],
        "recalls": selectors.package_recalls(package),
    }


@router.get("/stock", response={200: list[s.StockRowOut], **ERRORS}, summary="Your stock")
def stock(request: HttpRequest, product: UUID | None = None):
    """Your packages in circulation by product, batch and expiry, with expired and expiring-soon marks."""
    org = actor_of(request).require_organization()
    return selectors.stock_for_organization(organization=org, product=_product(product) if product else None)


def _product(product_id: UUID) -> Product:
    product = Product.objects.filter(external_id=product_id).first()
    if product is None:
        raise NotFound("product_not_found", _("No product with this id in the registry."))
    return product


@router.get(
    "/availability",
    response={200: list[s.AvailabilityRowOut], **ERRORS},
    summary="Where a product is in stock",
)
def availability(request: HttpRequest, product: UUID, region: Region | None = None):
    """Sites holding sellable packages of a product (not expired, not recalled), by region."""
    return selectors.availability(product=_product(product), region=region or "")


# --- regulator -------------------------------------------------------------------------------


@router.post("/recalls", response={201: s.RecallOut, **ERRORS}, summary="Recall or block (regulator)")
def recall_create(request: HttpRequest, payload: s.RecallIn):
    """Recalls or blocks a product, one batch of it, or a list of packages."""
    actor = _regulator(request)

    def run() -> dict:
        recall = services.recall_create(
            actor=actor, kind=payload.kind, product_id=payload.product, batch=payload.batch,
            package_codes=payload.codes, reason=payload.reason, confirm_no_match=payload.confirm_no_match,
        )  # fmt: skip
        return s.RecallOut.model_validate(recall, from_attributes=True).model_dump(mode="json", by_alias=True)

    return Status(
        201, services.idempotent_call(actor=actor, idempotency=_idempotency(request, payload), run=run)
    )


@router.post(
    "/recalls/preview", response={200: s.RecallPreviewOut, **ERRORS}, summary="Preview a recall (regulator)"
)
def recall_preview(request: HttpRequest, payload: s.RecallPreviewIn):
    """What a recall would flag, without flagging it: how many packages and who holds them."""
    actor = _regulator(request)
    return services.recall_preview(
        actor=actor, product_id=payload.product, batch=payload.batch, package_codes=payload.codes
    )


class RecallFilter(Schema):
    status: RecallStatus | None = None
    page: int = Field(default=1, ge=1)
    page_size: int = Field(default=50, ge=1, le=200)


@router.get("/recalls", response={200: Page[s.RecallOut], **ERRORS}, summary="Recalls and blocks (regulator)")
def recall_list(request: HttpRequest, filters: Query[RecallFilter]):
    _regulator(request)
    return paginate(
        selectors.recalls_list(status=filters.status or ""), page=filters.page, page_size=filters.page_size
    )


@router.post(
    "/recalls/{recall_id}/lift", response={200: s.RecallOut, **ERRORS}, summary="Lift a recall (regulator)"
)
def recall_lift(request: HttpRequest, recall_id: UUID, payload: s.RecallLiftIn):
    actor = _regulator(request)

    def run() -> dict:
        recall = services.recall_lift(actor=actor, recall_id=recall_id, reason=payload.reason)
        return s.RecallOut.model_validate(recall, from_attributes=True).model_dump(mode="json", by_alias=True)

    return services.idempotent_call(actor=actor, idempotency=_idempotency(request, payload), run=run)


class AlertFilter(Schema):
    status: AlertStatus | None = None
    kind: str = Field(default="", max_length=40)
    page: int = Field(default=1, ge=1)
    page_size: int = Field(default=50, ge=1, le=200)


@router.get("/alerts", response={200: Page[s.AlertOut], **ERRORS}, summary="Alerts (regulator)")
def alert_list(request: HttpRequest, filters: Query[AlertFilter]):
    """Suspicious refused attempts and shipment discrepancies, newest first."""
    _regulator(request)
    qs = selectors.alerts_list(status=filters.status or "", kind=filters.kind)
    return paginate(qs, page=filters.page, page_size=filters.page_size)


@router.post(
    "/alerts/{alert_id}/resolve", response={200: s.AlertOut, **ERRORS}, summary="Resolve an alert (regulator)"
)
def alert_resolve(request: HttpRequest, alert_id: UUID, payload: s.AlertResolveIn):
    actor = _regulator(request)

    def run() -> dict:
        alert = services.alert_resolve(actor=actor, alert_id=alert_id, note=payload.note)
        return s.AlertOut.model_validate(alert, from_attributes=True).model_dump(mode="json", by_alias=True)

    return services.idempotent_call(actor=actor, idempotency=_idempotency(request, payload), run=run)


class TrackedFilter(Schema):
    date_from: date | None = Field(default=None, alias="from")
    date_to: date | None = Field(default=None, alias="to")
    list: str = Field(default="", max_length=40, description="A tracking list code; default all packages.")


@router.get(
    "/stats/tracked",
    response={200: list[s.TrackedDayOut], **ERRORS},
    summary="Tracked packages per day (regulator)",
)
def stats_tracked(request: HttpRequest, filters: Query[TrackedFilter]):
    """Packages introduced, withdrawn and in circulation per day, optionally for one tracking list."""
    _regulator(request)
    date_to = filters.date_to or timezone.localdate()
    date_from = filters.date_from or date_to - timedelta(days=29)
    tracking_list = None
    if filters.list:
        tracking_list = TrackingList.objects.filter(code=filters.list).first()
        if tracking_list is None:
            raise NotFound("tracking_list_not_found", _("No tracking list with this code."))
    return selectors.tracked_stats(date_from=date_from, date_to=date_to, tracking_list=tracking_list)


@router.get(
    "/stats/coverage",
    response={200: s.CoverageOut, **ERRORS},
    summary="Coverage of tracking lists (regulator)",
)
def stats_coverage(request: HttpRequest, on: date | None = None):
    """Share of products on lists in force that have at least one package introduced."""
    _regulator(request)
    return selectors.coverage(on=on)
