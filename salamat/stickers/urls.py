from django.urls import path

from salamat.stickers import views

app_name = "stickers"

urlpatterns = [
    path("", views.orders, name="orders"),
    path("<uuid:order_id>/<str:layout>.pdf", views.order_pdf, name="order_pdf"),
    path("void", views.void, name="void"),
]
