from django.urls import path

from salamat.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.index, name="index"),
    path("products/", views.product_suggestions, name="product_suggestions"),
]
