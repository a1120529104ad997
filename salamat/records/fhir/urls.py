"""The platform's one FHIR R4 endpoint, mounted at /fhir/: the record's resources and the sick
leave's Composition (read by the sick-leave module's own view) side by side."""

from django.urls import path, re_path

from salamat.records.fhir import views
from salamat.sickleave.fhir_urls import urlpatterns as sick_leave_patterns

app_name = "fhir"

_TYPE = r"(?P<resource_type>[A-Z][A-Za-z]+)"
_ID = r"(?P<resource_id>[A-Za-z0-9\-\.]{1,64})"

urlpatterns = [
    path("", views.base, name="base"),
    path("metadata", views.metadata, name="metadata"),
    re_path(r"^Patient/\$match$", views.patient_match, name="patient-match"),
    re_path(
        r"^Patient/(?P<patient_id>[A-Za-z0-9\-]{1,64})/\$summary$",
        views.patient_summary,
        name="patient-summary",
    ),
    re_path(r"^Patient/(?P<patient_id>[A-Za-z0-9\-]{1,64})/\$link$", views.patient_link, name="patient-link"),
    *sick_leave_patterns,  # Composition/{id}: the sick-leave certificate
    re_path(rf"^{_TYPE}$", views.type_root, name="type"),
    re_path(rf"^{_TYPE}/{_ID}$", views.instance, name="instance"),
    re_path(rf"^{_TYPE}/{_ID}/_history$", views.history, name="history"),
    re_path(rf"^{_TYPE}/{_ID}/_history/(?P<version_id>[0-9]{{1,9}})$", views.vread, name="vread"),
    re_path(r"^(?P<rest>.*)$", views.unknown, name="unknown"),
]
