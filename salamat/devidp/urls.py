"""The stand-in provider's own pages under /devidp/ (mounted in development and tests only)."""

from django.urls import path

from salamat.devidp import views

app_name = "devidp"

urlpatterns = [
    path("", views.IndexView.as_view(), name="index"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("signout/", views.SignOutView.as_view(), name="signout"),
]
