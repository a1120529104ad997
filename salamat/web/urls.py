from django.urls import path

from salamat.web.views import account, auth, home, registry

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
    path("registry/products/", registry.product_list, name="product_list"),
    path("registry/products/<uuid:external_id>/", registry.product_detail, name="product_detail"),
    path("registry/organizations/", registry.organization_list, name="organization_list"),
    path(
        "registry/organizations/<uuid:external_id>/",
        registry.organization_detail,
        name="organization_detail",
    ),
]
