"""Login through ESI: /oidc/authenticate/ (the login page's ESI button), /oidc/callback/
(the redirect URI registered at ESI), /oidc/logout/ (POST: ends the local and the ESI session)."""

from django.urls import path
from mozilla_django_oidc.views import OIDCLogoutView

from salamat.accounts import views

urlpatterns = [
    path("authenticate/", views.EsiLoginView.as_view(), name="esi_login"),
    path("callback/", views.EsiCallbackView.as_view(), name="esi_callback"),
    path("logout/", OIDCLogoutView.as_view(), name="esi_logout"),
]
