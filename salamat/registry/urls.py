"""The registry's public pages, mounted under /registry/ by `salamat.web.urls`.

No `app_name` of their own: included from the web URL map, the names stay in the `web:`
namespace (`web:product_list`, `web:organization_detail`, …) that links already use."""

from django.urls import path

from salamat.registry import views

urlpatterns = [
    path("products/", views.product_list, name="product_list"),
    path("products/<uuid:external_id>/", views.product_detail, name="product_detail"),
    path("organizations/", views.organization_list, name="organization_list"),
    path("organizations/<uuid:external_id>/", views.organization_detail, name="organization_detail"),
]
