from django.urls import include, path

from salamat.web.views import account, auth, home

app_name = "web"

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("account/organisation/", auth.organization_switch, name="organization_switch"),
    path("account/api-clients/", account.api_clients, name="api_clients"),
    path(
        "account/api-clients/<uuid:external_id>/revoke/", account.api_client_revoke, name="api_client_revoke"
    ),
    # The registry's pages (salamat.registry.views), their names in this namespace.
    path("registry/", include("salamat.registry.urls")),
]
