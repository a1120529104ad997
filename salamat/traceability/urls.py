from django.urls import path

from salamat.traceability import views

app_name = "traceability"

urlpatterns = [
    path("shipments/", views.shipments, name="shipments"),
    path("shipments/<uuid:external_id>/accept/", views.shipment_accept, name="shipment_accept"),
    path("shipments/<uuid:external_id>/reject/", views.shipment_reject, name="shipment_reject"),
    path("shipments/<uuid:external_id>/receive/", views.shipment_receive, name="shipment_receive"),
    path("shipments/<uuid:external_id>/check/", views.shipment_check, name="shipment_check"),
    path("stock/", views.stock, name="stock"),
    path("history/", views.history, name="history"),
    path("operations/", views.operations, name="operations"),
    path("operations/<uuid:event_id>/cancel/", views.operation_cancel, name="operation_cancel"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<uuid:external_id>/resolve/", views.alert_resolve, name="alert_resolve"),
    path("recalls/", views.recalls, name="recalls"),
    path("recalls/<uuid:external_id>/lift/", views.recall_lift, name="recall_lift"),
    path("scan/<slug:slug>/", views.scan, name="scan"),
    path("scan/<slug:slug>/check/", views.code_check, name="code_check"),
    # One name per scanning page, so the navigation registry can list each of them.
    *(
        path(f"scan/{slug}/", views.scan, {"slug": slug}, name=f"scan_{slug}")
        for slug in views.SCAN_OPERATIONS
    ),
]
