from django.urls import path

from salamat.sickleave import views

app_name = "sickleave"

urlpatterns = [
    path("", views.workspace, name="workspace"),
    path("patient/", views.patient_find, name="patient_find"),
    path("new/", views.sick_leave_new, name="new"),
    path("lookup/person/", views.person_lookup, name="person_lookup"),
    path("lookup/icd/", views.icd_lookup, name="icd_lookup"),
    path("lookup/employer/", views.employer_lookup, name="employer_lookup"),
    path("commission/", views.commission_queue, name="commission"),
    path("commission/<int:pk>/approve/", views.commission_approve, name="commission_approve"),
    path("commission/<int:pk>/reject/", views.commission_reject, name="commission_reject"),
    path("verify/", views.verify, name="verify"),
    path("verify/<str:number>", views.verify, name="verify_number"),
    path("mine/", views.my_sick_leaves, name="mine"),
    path("<uuid:external_id>/", views.sick_leave_detail, name="detail"),
    path("<uuid:external_id>/pdf/", views.sick_leave_pdf, name="pdf"),
    path("<uuid:external_id>/extend/", views.sick_leave_extend, name="extend"),
    path("<uuid:external_id>/close/", views.sick_leave_close, name="close"),
    path("<uuid:external_id>/continue/", views.sick_leave_continue, name="continue"),
    path("<uuid:external_id>/annul/", views.sick_leave_annul, name="annul"),
    path("<uuid:external_id>/duplicate/", views.sick_leave_duplicate, name="duplicate"),
]
