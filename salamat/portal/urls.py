from django.urls import path

from salamat.portal import views

app_name = "portal"

urlpatterns = [
    path("check", views.check, name="check"),
    path("check/report", views.report, name="report"),
    path("p/<str:serial>", views.sticker, name="sticker"),
    path("where", views.where, name="where"),
]
