from django.urls import path

from salamat.registry.labelling import views

app_name = "labelling"

urlpatterns = [
    path("", views.scheme_list_view, name="list"),
    path("add", views.scheme_add, name="add"),
    path("try", views.scheme_try, name="try_any"),
    path("<slug:code>/", views.scheme_detail, name="detail"),
    path("<slug:code>/edit", views.scheme_edit, name="edit"),
    path("<slug:code>/retire", views.scheme_retire, name="retire"),
    path("<slug:code>/try", views.scheme_try, name="try"),
    path("<slug:code>/products", views.scheme_mapping_upload, name="products"),
]
