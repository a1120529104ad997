from django.urls import path

from salamat.epcis import views

app_name = "epcis"

urlpatterns = [
    path("capture", views.capture, name="capture"),
    path("capture/<str:capture_id>", views.capture_job, name="capture-job"),
    path("events", views.events, name="events"),
    path("eventTypes", views.event_types, name="event-types"),
    path("eventTypes/<str:event_type>/events", views.event_type_events, name="event-type-events"),
    path("epcs/<path:epc>/events", views.epc_events, name="epc-events"),
]
for _name in views.COLLECTIONS:
    urlpatterns += [
        path(f"{_name}", views.collection, {"name": _name}, name=f"{_name}"),
        path(
            f"{_name}/<path:value>/events", views.collection_events, {"name": _name}, name=f"{_name}-events"
        ),
    ]
