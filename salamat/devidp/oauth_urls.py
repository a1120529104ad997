"""The stand-in provider's OpenID Connect endpoints under /devidp/.

Named in django-oauth-toolkit's ``oauth2_provider`` namespace, which its views reverse;
only what an OIDC provider for one confidential client needs is mounted (no
application management, no device flow, no dynamic registration). The issuer is
``<scheme>://<host>/devidp``, derived from each request.
"""

from django.urls import path, re_path
from oauth2_provider import views as dot

from salamat.devidp import views

app_name = "oauth2_provider"

urlpatterns = [
    path("authorize/", views.StandInAuthorizationView.as_view(), name="authorize"),
    path("token/", dot.TokenView.as_view(), name="token"),
    path("userinfo/", dot.UserInfoView.as_view(), name="user-info"),
    path("logout/", views.StandInLogoutView.as_view(), name="rp-initiated-logout"),
    re_path(
        r"^\.well-known/openid-configuration/?$",
        views.StandInDiscoveryView.as_view(),
        name="oidc-connect-discovery-info",
    ),
    path(".well-known/jwks.json", dot.JwksInfoView.as_view(), name="jwks-info"),
    # RFC 8414 metadata; also what the RFC 9207 `iss` response parameter is derived from.
    path(
        ".well-known/oauth-authorization-server",
        dot.OAuthServerMetadataView.as_view(),
        name="oauth-server-metadata",
    ),
]
