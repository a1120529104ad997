from django.urls import path

from salamat.onboarding import views

app_name = "onboarding"

urlpatterns = [
    path("", views.home, name="home"),
    path("applications/", views.home, name="applications"),
    path("applications/<uuid:application_id>/", views.application_status, name="status"),
    path("applications/<uuid:application_id>/form/", views.application_form, name="form"),
    path("applications/<uuid:application_id>/documents/", views.application_documents, name="documents"),
    path(
        "applications/<uuid:application_id>/documents/<uuid:document_id>/delete/",
        views.document_delete,
        name="document_delete",
    ),
    path("applications/<uuid:application_id>/offer/", views.application_offer, name="offer"),
    path("applications/<uuid:application_id>/submit/", views.application_submit, name="submit"),
    path("applications/<uuid:application_id>/credentials/", views.credentials_issue, name="credentials"),
    path("organizations/<uuid:organization_id>/staff/", views.staff, name="staff"),
    path("documents/<uuid:document_id>", views.document_download, name="document"),
    path("review/", views.review_queue, name="review_queue"),
    path("review/<uuid:application_id>/", views.review_detail, name="review_detail"),
    path(
        "review/<uuid:application_id>/<str:action>/",
        views.review_action,
        name="review_action",
    ),
]
