"""The ID token checks, each on its own: a real login whose ID token is altered on its
way from the token endpoint, re-signed with the stand-in provider's own key so that
only the altered claim is wrong; and forged tokens checked against the real JWKS."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from jwcrypto.jwk import JWK

from salamat.accounts.models import User
from salamat.accounts.oidc import EsiBackend, esi_provider
from salamat.devidp.testing import CITIZEN, EsiBrowser, esi_setup


def _provider_key() -> tuple[str, str]:
    pem = str(settings.OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"])
    return pem, JWK.from_pem(pem.encode()).thumbprint()


def _resign(token: str, **changes) -> str:
    pem, kid = _provider_key()
    claims = {**jwt.decode(token, options={"verify_signature": False}), **changes}
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, pem, algorithm="RS256", headers={"kid": kid})


@pytest.fixture
def browser_esi(live_server):
    esi_setup(live_server)
    return EsiBrowser(live_server.url)


def _login_with_id_token_changed(monkeypatch, browser: EsiBrowser, **changes):
    real_get_token = EsiBackend.get_token

    def altered(self, payload):
        tokens = real_get_token(self, payload)
        tokens["id_token"] = _resign(tokens["id_token"], **changes)
        return tokens

    monkeypatch.setattr(EsiBackend, "get_token", altered)
    return browser.login_as(CITIZEN)


def test_resigned_but_unchanged_token_is_accepted(monkeypatch, browser_esi):
    # The control for the tests below: re-signing alone does not make a login fail.
    response = _login_with_id_token_changed(monkeypatch, browser_esi)
    assert response.headers["Location"] == "/"
    assert User.objects.filter(esi_sub=CITIZEN).exists()


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"aud": "another-client"}, id="wrong-audience"),
        pytest.param({"aud": [settings.ESI_CLIENT_ID, "another-client"]}, id="shared-audience-without-azp"),
        pytest.param({"exp": int(time.time()) - 3600}, id="expired"),
        pytest.param({"exp": None}, id="no-expiry"),
        pytest.param({"iat": int(time.time()) + 3600}, id="issued-in-the-future"),
        pytest.param({"iss": "https://esi.example.org"}, id="wrong-issuer"),
        pytest.param({"nonce": "another-login"}, id="wrong-nonce"),
        pytest.param({"nonce": None}, id="no-nonce"),
    ],
)
def test_altered_id_token_is_refused(monkeypatch, browser_esi, changes):
    response = _login_with_id_token_changed(monkeypatch, browser_esi, **changes)

    assert response.headers["Location"] == "/login/"
    assert browser_esi.whoami().status_code == 401
    assert not User.objects.filter(esi_sub=CITIZEN).exists()


# --- forged tokens against the real JWKS -------------------------------------------------


@pytest.fixture
def backend(live_server):
    esi_setup(live_server)
    backend = EsiBackend()
    backend.use_provider(esi_provider(None, issuer=live_server.url + "/devidp"))
    return backend


def _claims(backend: EsiBackend, **changes) -> dict:
    now = int(time.time())
    claims = {
        "iss": backend.provider.issuer,
        "aud": settings.ESI_CLIENT_ID,
        "sub": "forged",
        "iat": now,
        "exp": now + 300,
        "nonce": "n",
        **changes,
    }
    return claims


def test_a_well_made_token_passes(backend):
    pem, kid = _provider_key()
    token = jwt.encode(_claims(backend), pem, algorithm="RS256", headers={"kid": kid})
    assert backend.verify_token(token, nonce="n")["sub"] == "forged"


def test_token_signed_with_another_key_is_refused(backend):
    _pem, kid = _provider_key()
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other_pem = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    token = jwt.encode(_claims(backend), other_pem, algorithm="RS256", headers={"kid": kid})
    with pytest.raises(SuspiciousOperation):
        backend.verify_token(token, nonce="n")


def test_unsigned_token_is_refused(backend):
    token = jwt.encode(_claims(backend), None, algorithm="none")
    with pytest.raises(SuspiciousOperation, match="not RS256"):
        backend.verify_token(token, nonce="n")


def test_hmac_token_keyed_with_the_public_key_is_refused(backend):
    # The classic algorithm confusion: HS256 with the provider's public key as the secret.
    pem, kid = _provider_key()
    public = JWK.from_pem(pem.encode()).export_to_pem().decode()
    header = {"alg": "HS256", "kid": kid, "typ": "JWT"}

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(_claims(backend)).encode())}"
    signature = hmac.new(public.encode(), signing_input.encode(), hashlib.sha256).digest()
    with pytest.raises(SuspiciousOperation, match="not RS256"):
        backend.verify_token(f"{signing_input}.{b64(signature)}", nonce="n")


def test_unknown_key_id_is_refused(backend):
    pem, _kid = _provider_key()
    token = jwt.encode(_claims(backend), pem, algorithm="RS256", headers={"kid": "not-a-key-of-esi"})
    with pytest.raises(SuspiciousOperation, match="no RS256 key"):
        backend.verify_token(token, nonce="n")


def test_garbage_is_refused(backend):
    with pytest.raises(SuspiciousOperation):
        backend.verify_token("not.a.jwt", nonce="n")
