"""The platform as an OpenID Connect relying party of ESI, the national single sign-on.

Built on mozilla-django-oidc, with what it leaves out added here:

* the provider's endpoints come from discovery (``<issuer>/.well-known/openid-configuration``),
  so the same code talks to the real ESI and to the stand-in provider, whose issuer
  depends on the address the development or test server answers at;
* the ID token is checked for signature (RS256, key from the provider's JWKS), issuer,
  audience, expiry, issue time and nonce — the library checks only signature and nonce;
* people are matched on ESI's ``sub``, then on their PIN, never on e-mail
  (``salamat.accounts.services``), and a malformed PIN refuses the login.

The views that drive the flow are in ``salamat.accounts.views``.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch, reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from salamat.accounts.claims import EsiIdentity, identity_from_claims
from salamat.accounts.models import User
from salamat.accounts.services import esi_user_login

log = logging.getLogger(__name__)

# Session keys. `oidc_id_token` is mozilla-django-oidc's own name for the same thing.
SESSION_ORGANIZATIONS = "esi_organizations"  # [{tax_id, name, role}] for onboarding
SESSION_ID_TOKEN = "oidc_id_token"  # the id_token_hint for ESI's end-session endpoint
SESSION_ISSUER = "esi_issuer"

_DISCOVERY_TTL = 3600
_JWKS_TTL = 600
_SIGN_ALGO = "RS256"


def esi_organizations(request: HttpRequest) -> list[dict[str, str]]:
    """The organisations the logged-in person may represent, as ESI said at login:
    ``[{"tax_id", "name", "role"}]`` with well-formed tax IDs; [] if not logged in through ESI."""
    return [dict(org) for org in request.session.get(SESSION_ORGANIZATIONS, [])]


class EsiUnavailable(Exception):
    """ESI is not configured, or its metadata could not be read."""


@dataclass(frozen=True)
class EsiProvider:
    """The endpoints of one OpenID provider, from its discovery document."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str
    end_session_endpoint: str = ""


def esi_issuer(request: HttpRequest) -> str:
    """ESI's issuer: ``ESI_ISSUER``, or the stand-in provider on the server answering `request`."""
    if settings.ESI_ISSUER:
        return settings.ESI_ISSUER
    if settings.ESI_USE_DEVIDP:
        try:
            discovery = reverse("oauth2_provider:oidc-connect-discovery-info")
        except NoReverseMatch as exc:  # pragma: no cover - devidp urls are mounted in DEV_MODE
            raise EsiUnavailable("the stand-in provider is not mounted") from exc
        return request.build_absolute_uri(discovery).removesuffix("/.well-known/openid-configuration")
    raise EsiUnavailable("ESI_ISSUER is not set")


def esi_provider(request: HttpRequest, *, issuer: str | None = None) -> EsiProvider:
    """The provider's endpoints, read from its discovery document (cached for an hour)."""
    issuer = (issuer or esi_issuer(request)).rstrip("/")
    cache_key = f"esi:discovery:{issuer}"
    doc = cache.get(cache_key)
    if doc is None:
        try:
            response = requests.get(
                f"{issuer}/.well-known/openid-configuration",
                timeout=settings.OIDC_TIMEOUT,
                headers={"Accept": "application/json"},
            )
            response.raise_for_status()
            doc = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise EsiUnavailable(f"discovery at {issuer} failed: {exc}") from exc
        # OpenID Connect Discovery §4.3: the document must name the issuer it was asked for.
        if not isinstance(doc, dict) or doc.get("issuer") != issuer:
            raise EsiUnavailable(f"discovery at {issuer} names another issuer")
        cache.set(cache_key, doc, _DISCOVERY_TTL)
    try:
        return EsiProvider(
            issuer=issuer,
            authorization_endpoint=doc["authorization_endpoint"],
            token_endpoint=doc["token_endpoint"],
            userinfo_endpoint=doc["userinfo_endpoint"],
            jwks_uri=doc["jwks_uri"],
            end_session_endpoint=doc.get("end_session_endpoint") or "",
        )
    except KeyError as exc:
        raise EsiUnavailable(f"discovery at {issuer} lacks {exc}") from exc


class EsiBackend(OIDCAuthenticationBackend):
    """Authenticates the person behind an ESI authorization code (called by the callback view only)."""

    def __init__(self, *args, **kwargs):
        # mozilla-django-oidc reads fixed endpoints from settings here; ours come from
        # discovery, per login, in authenticate().
        ModelBackend.__init__(self)
        self.UserModel = get_user_model()
        self.OIDC_RP_CLIENT_ID = settings.ESI_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.ESI_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = _SIGN_ALGO
        self.OIDC_RP_IDP_SIGN_KEY = None
        self.provider: EsiProvider | None = None
        self.identity: EsiIdentity | None = None
        self.id_token = ""

    def use_provider(self, provider: EsiProvider) -> None:
        self.provider = provider
        self.OIDC_OP_TOKEN_ENDPOINT = provider.token_endpoint
        self.OIDC_OP_USER_ENDPOINT = provider.userinfo_endpoint
        self.OIDC_OP_JWKS_ENDPOINT = provider.jwks_uri

    def authenticate(self, request, esi_code=None, esi_flow=None, **kwargs):
        """The user for an authorization `esi_code` of the login `esi_flow` ({nonce, code_verifier, issuer}).

        Returns None for any other kind of login (password logins reach every backend).
        Raises SuspiciousOperation when ESI's answer cannot be trusted, DomainError when
        the person cannot be logged in (malformed PIN, account conflict)."""
        if request is None or not esi_code or not esi_flow:
            return None
        if not esi_flow.get("nonce") or not esi_flow.get("code_verifier"):
            raise SuspiciousOperation("ESI login started without a nonce or a PKCE verifier")
        self.request = request
        self.use_provider(esi_provider(request, issuer=esi_flow.get("issuer")))
        token_info = self.get_token(
            {
                "client_id": self.OIDC_RP_CLIENT_ID,
                "client_secret": self.OIDC_RP_CLIENT_SECRET,
                "grant_type": "authorization_code",
                "code": esi_code,
                "redirect_uri": request.build_absolute_uri(
                    reverse(settings.OIDC_AUTHENTICATION_CALLBACK_URL)
                ),
                "code_verifier": esi_flow.get("code_verifier"),
            }
        )
        id_token = token_info.get("id_token")
        access_token = token_info.get("access_token")
        if not id_token or not access_token:
            raise SuspiciousOperation("ESI's token answer lacks an ID token or an access token")
        payload = self.verify_token(id_token, nonce=esi_flow.get("nonce"))
        self.id_token = id_token
        return self.get_or_create_user(access_token, id_token, payload)

    def verify_token(self, token, **kwargs) -> dict[str, Any]:
        """The ID token's claims once signature, issuer, audience, expiry and nonce are checked."""
        assert self.provider is not None, "use_provider() first"
        nonce = kwargs.get("nonce")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise SuspiciousOperation(f"ID token is not a JWT: {exc}") from exc
        if header.get("alg") != _SIGN_ALGO:
            raise SuspiciousOperation(f"ID token algorithm {header.get('alg')!r} is not {_SIGN_ALGO}")
        key = self.signing_key(header.get("kid"))
        try:
            payload = jwt.decode(
                token,
                key=key,
                algorithms=[_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=self.provider.issuer,
                leeway=settings.ESI_CLOCK_SKEW_SECONDS,
                options={"require": ["iss", "sub", "aud", "exp", "iat"]},
            )
        except jwt.InvalidTokenError as exc:
            raise SuspiciousOperation(f"ID token refused: {exc}") from exc
        audiences = payload["aud"] if isinstance(payload["aud"], list) else [payload["aud"]]
        if len(audiences) > 1 and payload.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SuspiciousOperation("ID token for several audiences without us as authorized party")
        if nonce is not None and not hmac.compare_digest(str(payload.get("nonce", "")), str(nonce)):
            raise SuspiciousOperation("ID token nonce does not match the login's nonce")
        return payload

    def signing_key(self, kid: str | None) -> jwt.PyJWK:
        """The provider's RS256 key `kid` from its JWKS (cached; fetched again for an unknown kid)."""
        assert self.provider is not None
        cache_key = f"esi:jwks:{self.provider.jwks_uri}"
        for attempt in ("cache", "fetch"):
            jwks = cache.get(cache_key) if attempt == "cache" else None
            if jwks is None:
                try:
                    response = requests.get(self.provider.jwks_uri, timeout=settings.OIDC_TIMEOUT)
                    response.raise_for_status()
                    jwks = response.json()
                except (requests.RequestException, ValueError) as exc:
                    raise SuspiciousOperation(f"ESI's JWKS could not be read: {exc}") from exc
                cache.set(cache_key, jwks, _JWKS_TTL)
            for jwk in jwks.get("keys", []) if isinstance(jwks, dict) else []:
                if jwk.get("kty") != "RSA" or jwk.get("use", "sig") != "sig":
                    continue
                if jwk.get("alg", _SIGN_ALGO) != _SIGN_ALGO or (kid and jwk.get("kid") != kid):
                    continue
                return jwt.PyJWK(jwk, algorithm=_SIGN_ALGO)
        raise SuspiciousOperation(f"no RS256 key {kid!r} in ESI's JWKS")

    def get_userinfo(self, access_token, id_token, payload):
        """The ID token's claims completed by the userinfo answer, which must be about the same subject."""
        userinfo = super().get_userinfo(access_token, id_token, payload)
        if not isinstance(userinfo, dict) or userinfo.get("sub") != payload.get("sub"):
            raise SuspiciousOperation("userinfo is about another subject than the ID token")
        return {**payload, **userinfo}

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        self.identity = identity_from_claims(claims)
        if self.identity.dropped_organizations:
            log.warning(
                "ESI login: %d organisation entries with a malformed tax ID were ignored",
                self.identity.dropped_organizations,
            )
        return esi_user_login(identity=self.identity)

    def filter_users_by_claims(self, claims):
        # Never mozilla-django-oidc's e-mail match: by subject, then by PIN (esi_user_login).
        sub = claims.get("sub")
        return self.UserModel.objects.filter(esi_sub=sub) if sub else self.UserModel.objects.none()

    def get_user(self, user_id) -> User | None:
        # ModelBackend's, which refuses deactivated accounts on every request
        # (mozilla-django-oidc's would keep them logged in).
        return ModelBackend.get_user(self, user_id)


def esi_logout_url(request: HttpRequest) -> str:
    """Where the browser goes after the local logout: ESI's end-session endpoint when it has one.

    Named by ``OIDC_OP_LOGOUT_URL_METHOD``; called while the session still holds the ID token."""
    after = request.build_absolute_uri(resolve_url(settings.LOGOUT_REDIRECT_URL))
    id_token = request.session.get(SESSION_ID_TOKEN)
    if not id_token:
        return after
    try:
        provider = esi_provider(request, issuer=request.session.get(SESSION_ISSUER))
    except EsiUnavailable as exc:
        log.warning("ESI logout: provider unavailable (%s); ending the local session only", exc)
        return after
    if not provider.end_session_endpoint:
        return after
    query = urlencode(
        {"id_token_hint": id_token, "post_logout_redirect_uri": after, "client_id": settings.ESI_CLIENT_ID}
    )
    return f"{provider.end_session_endpoint}?{query}"
