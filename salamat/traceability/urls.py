from django.urls import path

from salamat.traceability.views import operations, regulator, scan, shipments, stock

app_name = "traceability"

urlpatterns = [
    path("shipments/", shipments.shipments, name="shipments"),
    path("shipments/<uuid:external_id>/accept/", shipments.shipment_accept, name="shipment_accept"),
    path("shipments/<uuid:external_id>/reject/", shipments.shipment_reject, name="shipment_reject"),
    path("shipments/<uuid:external_id>/receive/", shipments.shipment_receive, name="shipment_receive"),
    path("shipments/<uuid:external_id>/check/", shipments.shipment_check, name="shipment_check"),
    path("stock/", stock.stock, name="stock"),
    path("history/", stock.history, name="history"),
    path("operations/", operations.operations, name="operations"),
    path("operations/<uuid:event_id>/cancel/", operations.operation_cancel, name="operation_cancel"),
    path(
        "operations/<uuid:event_id>/cancel-packages/",
        operations.operation_cancel_packages,
        name="operation_cancel_packages",
    ),
    path("alerts/", regulator.alerts, name="alerts"),
    path("alerts/export.csv", regulator.alerts_export, name="alerts_export"),
    path("alerts/<uuid:external_id>/", regulator.alert_detail, name="alert_detail"),
    path("alerts/<uuid:external_id>/resolve/", regulator.alert_resolve, name="alert_resolve"),
    path("alerts/<uuid:external_id>/assign/", regulator.alert_assign, name="alert_assign"),
    path("alerts/<uuid:external_id>/status/", regulator.alert_status, name="alert_status"),
    path("alerts/<uuid:external_id>/photo/", regulator.alert_photo, name="alert_photo"),
    path("recalls/", regulator.recalls, name="recalls"),
    path("recalls/preview/", regulator.recall_preview, name="recall_preview"),
    path("recalls/<uuid:external_id>/lift/", regulator.recall_lift, name="recall_lift"),
    path("scan/<slug:slug>/", scan.scan, name="scan"),
    path("scan/<slug:slug>/check/", scan.code_check, name="code_check"),
    # One name per scanning page, so the navigation registry can list each of them.
    *(path(f"scan/{slug}/", scan.scan, {"slug": slug}, name=f"scan_{slug}") for slug in scan.SCAN_OPERATIONS),
]
