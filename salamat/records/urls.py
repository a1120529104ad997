"""The record's web pages: the doctor's (find, record a visit, read) and the patient's own."""

from django.urls import path

from salamat.records.nav_entries import register_record_entries
from salamat.records.views import citizen, doctor

app_name = "records"

# Registered here rather than in AppConfig.ready(): the pages exist once their URLs are loaded.
register_record_entries()

urlpatterns = [
    path("", doctor.find, name="find"),
    path("patient/<uuid:external_id>/", doctor.patient_record, name="patient"),
    path("patient/<uuid:external_id>/visit/", doctor.visit_new, name="visit_new"),
    path(
        "patient/<uuid:external_id>/item/<uuid:resource_id>/entered-in-error/",
        doctor.mark_entered_in_error,
        name="mark_entered_in_error",
    ),
    path("suggest/icd/", doctor.icd_suggest, name="icd_suggest"),
    path("suggest/drug/", doctor.drug_suggest, name="drug_suggest"),
    path("mine/", citizen.my_record, name="mine"),
    path("mine/record.json", citizen.my_record_bundle, name="mine_bundle"),
    path("mine/record.pdf", citizen.my_record_pdf, name="mine_pdf"),
]
