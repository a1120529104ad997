"""The FHIR R4 endpoints of Salamat, mounted at /fhir/."""

from django.urls import path

from salamat.sickleave.fhir import composition_view

app_name = "fhir"

urlpatterns = [
    path("Composition/<uuid:composition_id>", composition_view, name="composition"),
]
