"""The stand-in ESI provider on its own, through Django's test client (no live server)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from django.conf import settings
from django.core.management import call_command
from lxml import html

from salamat.accounts.models import Membership, User
from salamat.devidp.login_cookie import COOKIE_NAME
from salamat.devidp.models import DevPerson
from salamat.devidp.people import PEOPLE
from salamat.devidp.services import devidp_setup

REP = PEOPLE[0]
CALLBACK = "http://testserver/oidc/callback/"
ISSUER = "http://testserver/devidp"


@pytest.fixture
def provider(db):
    return devidp_setup(public_base_url="http://testserver")


def _pkce() -> tuple[str, str]:
    verifier = base64.urlsafe_b64encode(os.urandom(48)).rstrip(b"=").decode()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def _authorize_params(challenge: str | None, method: str | None = "S256", **extra) -> dict:
    params = {
        "response_type": "code",
        "client_id": settings.ESI_CLIENT_ID,
        "redirect_uri": CALLBACK,
        "scope": "openid profile email phone pin organizations",
        "state": "state-1",
        "nonce": "nonce-1",
        **extra,
    }
    if challenge is not None:
        params["code_challenge"] = challenge
    if method is not None:
        params["code_challenge_method"] = method
    return {k: v for k, v in params.items() if v is not None}


def _log_in_at_provider(client, sub: str = REP.sub):
    return client.post("/devidp/login/", {"person": sub, "next": ""})


def _code(client, challenge: str, **extra) -> dict:
    response = client.get("/devidp/authorize/", _authorize_params(challenge, **extra))
    assert response.status_code == 302, response.content[:300]
    return {k: v[0] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}


def _token(client, code: str, verifier: str | None) -> dict:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": CALLBACK,
        "client_id": settings.ESI_CLIENT_ID,
        "client_secret": settings.ESI_CLIENT_SECRET,
    }
    if verifier is not None:
        data["code_verifier"] = verifier
    response = client.post("/devidp/token/", data)
    return {"status": response.status_code, **response.json()}


def test_login_page_lists_the_fictional_people(client, provider):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/devidp/login/").content.decode()

    assert "STAND-IN ESI — development only" in page
    for person in PEOPLE:
        assert person.pin in page and person.family_name in page
    assert REP.organizations[0]["tax_id"] in page and REP.organizations[0]["name"] in page


LOCALE = Path(__file__).resolve().parents[1] / "locale"


@pytest.mark.parametrize("language", ["ru", "ky"])
def test_every_message_is_translated(language):
    catalogue = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    entries = re.findall(r'^msgid (".*"(?:\n".*")*)\nmsgstr (".*"(?:\n".*")*)', catalogue, flags=re.M)
    assert len(entries) > 40
    for msgid, msgstr in entries[1:]:  # the first is the header
        source, target = _po_text(msgid), _po_text(msgstr)
        assert target, f"{language}: no translation for {source!r}"
        assert re.findall(r"%\(\w+\)s", source) == re.findall(r"%\(\w+\)s", target), source


def _po_text(quoted: str) -> str:
    return "".join(json.loads(line) for line in quoted.split("\n"))


def test_login_page_is_translated(client, provider):
    if not (LOCALE / "ky" / "LC_MESSAGES" / "django.mo").exists():
        pytest.skip("translations not compiled: manage.py compilemessages (make test does it)")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
    page = client.get("/devidp/login/").content.decode()
    assert "ИМИТАЦИЯ ЕСИ — только для разработки" in page and "Войти как Айгуль" in page

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ky"
    page = client.get("/devidp/login/").content.decode()
    assert "иштеп чыгуу үчүн гана" in page and "Айгуль катары кирүү" in page


def test_picking_a_person_logs_in_at_the_provider_only(client, provider):
    response = _log_in_at_provider(client)

    assert response.status_code == 302 and response["Location"] == "/devidp/"
    cookie = response.cookies[COOKIE_NAME]
    assert cookie["path"] == "/devidp/" and cookie["httponly"]
    # the platform's session knows nobody
    assert "_auth_user_id" not in client.session
    assert client.get("/api/v1/whoami").status_code == 401
    assert REP.family_name in client.get("/devidp/").content.decode()


def test_shadow_users_can_never_log_in_to_the_platform(client, provider):
    for person in DevPerson.objects.select_related("shadow_user"):
        shadow = person.shadow_user
        assert not shadow.is_active and not shadow.has_usable_password()
        assert shadow.pin is None and shadow.esi_sub is None
        assert not Membership.objects.filter(user=shadow).exists()
    # a forged platform session for a shadow user is refused on the next request
    client.force_login(DevPerson.objects.first().shadow_user)
    assert client.get("/api/v1/whoami").status_code == 401


def test_next_must_be_the_providers_authorization_endpoint(client, provider):
    response = client.post("/devidp/login/", {"person": REP.sub, "next": "https://evil.example.org/"})
    assert response["Location"] == "/devidp/"
    response = client.post("/devidp/login/", {"person": REP.sub, "next": "/admin/"})
    assert response["Location"] == "/devidp/"


def test_unknown_person_is_refused(client, provider):
    response = client.post("/devidp/login/", {"person": "nobody"})
    assert response.status_code == 400
    assert COOKIE_NAME not in response.cookies


def test_authorize_sends_unknown_browsers_to_the_login_page(client, provider):
    _verifier, challenge = _pkce()
    response = client.get("/devidp/authorize/", _authorize_params(challenge))
    assert response.status_code == 302
    login = urlsplit(response["Location"])
    assert login.path == "/devidp/login/"
    assert parse_qs(login.query)["next"][0].startswith("/devidp/authorize/?")


def test_code_flow_with_pkce_s256(client, provider):
    _log_in_at_provider(client)
    verifier, challenge = _pkce()

    answer = _code(client, challenge)
    assert answer["state"] == "state-1"
    assert answer["iss"] == ISSUER  # RFC 9207
    tokens = _token(client, answer["code"], verifier)

    assert tokens["status"] == 200
    jwks = client.get("/devidp/.well-known/jwks.json").json()
    header = jwt.get_unverified_header(tokens["id_token"])
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    claims = jwt.decode(
        tokens["id_token"],
        jwt.PyJWK(key),
        algorithms=["RS256"],
        audience=settings.ESI_CLIENT_ID,
        issuer=ISSUER,
    )
    assert header["alg"] == "RS256"
    assert claims["sub"] == REP.sub and claims["pin"] == REP.pin and claims["nonce"] == "nonce-1"
    assert claims["organizations"] == REP.organizations
    assert (claims["family_name"], claims["given_name"], claims["middle_name"]) == (
        REP.family_name,
        REP.given_name,
        REP.middle_name,
    )
    assert claims["birthdate"] == "1985-03-12" and claims["gender"] == "female"
    userinfo = client.get("/devidp/userinfo/", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}").json()
    assert userinfo["sub"] == REP.sub and userinfo["organizations"] == REP.organizations


def test_pin_and_organizations_need_their_scopes(client, provider):
    _log_in_at_provider(client)
    verifier, challenge = _pkce()
    answer = _code(client, challenge, scope="openid profile")
    tokens = _token(client, answer["code"], verifier)
    claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert "pin" not in claims and "organizations" not in claims
    assert claims["family_name"] == REP.family_name


def test_pkce_is_required(client, provider):
    _log_in_at_provider(client)
    response = client.get("/devidp/authorize/", _authorize_params(None, method=None))
    assert response.status_code == 302
    answer = parse_qs(urlsplit(response["Location"]).query)
    assert answer["error"] == ["invalid_request"] and "code" not in answer


def test_plain_pkce_is_refused(client, provider):
    _log_in_at_provider(client)
    verifier, _challenge = _pkce()
    response = client.get("/devidp/authorize/", _authorize_params(verifier, method="plain"))
    assert response.status_code == 302
    answer = parse_qs(urlsplit(response["Location"]).query)
    assert "error" in answer and "code" not in answer


@pytest.mark.parametrize("verifier", [None, "wrong-verifier-" + "x" * 40])
def test_token_needs_the_right_code_verifier(client, provider, verifier):
    _log_in_at_provider(client)
    _right, challenge = _pkce()
    answer = _code(client, challenge)
    tokens = _token(client, answer["code"], verifier)
    assert tokens["status"] == 400 and "id_token" not in tokens


def test_a_code_is_good_once(client, provider):
    _log_in_at_provider(client)
    verifier, challenge = _pkce()
    answer = _code(client, challenge)
    assert _token(client, answer["code"], verifier)["status"] == 200
    assert _token(client, answer["code"], verifier)["status"] == 400


def test_form_post_response_mode(client, provider):
    _log_in_at_provider(client)
    _verifier, challenge = _pkce()

    response = client.get("/devidp/authorize/", _authorize_params(challenge, response_mode="form_post"))

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    form = html.fromstring(response.content).forms[0]
    assert form.method.upper() == "POST" and form.action == CALLBACK
    fields = {i.name: i.value for i in form.inputs if i.name}
    assert set(fields) == {"code", "state", "iss"} and fields["state"] == "state-1"


def test_errors_are_form_posted_too(client, provider):
    _log_in_at_provider(client)
    response = client.get(
        "/devidp/authorize/", _authorize_params(None, method=None, response_mode="form_post")
    )
    fields = {i.name: i.value for i in html.fromstring(response.content).forms[0].inputs if i.name}
    assert fields["error"] == "invalid_request" and "code" not in fields


def test_unregistered_redirect_uri_is_not_followed(client, provider):
    _log_in_at_provider(client)
    _verifier, challenge = _pkce()
    params = _authorize_params(challenge, redirect_uri="https://evil.example.org/oidc/callback/")
    response = client.get("/devidp/authorize/", params)
    assert response.status_code == 400
    assert 'class="devbar"' in response.content.decode()


def test_any_loopback_port_is_a_registered_redirect_uri(client, provider):
    _log_in_at_provider(client)
    _verifier, challenge = _pkce()
    params = _authorize_params(challenge, redirect_uri="http://localhost:45678/oidc/callback/")
    response = client.get("/devidp/authorize/", params)
    assert response.status_code == 302 and response["Location"].startswith(
        "http://localhost:45678/oidc/callback/?"
    )


def test_end_session_leaves_the_platform_session_alone(client, provider):
    # given: someone logged in to the platform and, separately, at the provider
    platform_user = User.objects.create_user(username="platform-person")
    client.force_login(platform_user)
    _log_in_at_provider(client)
    verifier, challenge = _pkce()
    tokens = _token(client, _code(client, challenge)["code"], verifier)

    response = client.get(
        "/devidp/logout/",
        {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": "http://testserver/"},
    )

    # then: the provider's login and tokens are gone, the platform's session is not
    assert response.status_code == 302 and response["Location"] == "http://testserver/"
    assert response.cookies[COOKIE_NAME].value == ""
    assert client.session["_auth_user_id"] == str(platform_user.pk)
    userinfo = client.get("/devidp/userinfo/", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert userinfo.status_code == 401


def test_end_session_without_a_token_asks_first(client, provider):
    _log_in_at_provider(client)

    page = client.get("/devidp/logout/", {"client_id": settings.ESI_CLIENT_ID})
    assert page.status_code == 200 and 'class="devbar"' in page.content.decode()
    response = client.post(
        "/devidp/logout/", {"client_id": settings.ESI_CLIENT_ID, "allow": "1", "post_logout_redirect_uri": ""}
    )

    assert response.status_code == 302
    assert response.cookies[COOKIE_NAME].value == ""


def test_devidp_setup_is_idempotent_and_adopts_demo_members(db, make_org, make_user):
    clinic = make_org("medical", name="Demo clinic")
    doctor = make_user("doctor", clinic, pin="20102198000123")
    doctor.last_name, doctor.first_name = "Демо", "Доктор"
    doctor.save()

    call_command("devidp_setup", verbosity=0)
    call_command("devidp_setup", verbosity=0)

    assert DevPerson.objects.count() == len(PEOPLE)
    adopted = DevPerson.objects.get(sub=PEOPLE[1].sub)
    assert adopted.pin == "20102198000123" and adopted.family_name == "Демо"
    assert adopted.organizations == [{"tax_id": clinic.tax_id, "name": clinic.name, "role": "doctor"}]
    assert str(adopted.birthdate) == "1980-02-01" and adopted.gender == "male"


def test_signing_key_is_kept_out_of_the_repository():
    key_setting = settings.OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"]
    assert key_setting.path.is_relative_to(settings.VAR_DIR)
    assert "BEGIN PRIVATE KEY" in str(key_setting)
    repo = Path(settings.BASE_DIR)
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", str(key_setting.path)], cwd=repo, check=False
    ).returncode
    assert ignored == 0


def _settings_in(mode: str, **env) -> dict:
    """INSTALLED_APPS and the /devidp/ and /oidc/ URLs in a fresh process with `env`."""
    code = (
        "import json, django; django.setup(); from django.conf import settings; from django.urls import resolve, Resolver404\n"
        "def has(p):\n"
        "    try: resolve(p); return True\n"
        "    except Resolver404: return False\n"
        "print(json.dumps({'apps': settings.INSTALLED_APPS, 'devidp': has('/devidp/login/'),"
        " 'oidc': has('/oidc/callback/'), 'login_url': settings.ESI_LOGIN_URL}))"
    )
    full_env = {
        "PATH": os.environ.get("PATH", ""),
        "SALAMAT_MODE": mode,
        "DJANGO_SETTINGS_MODULE": "salamat.settings",
        "SECRET_KEY": "x" * 64,
        "ALLOWED_HOSTS": "salamat.example",
        "DATABASE_URL": "sqlite:///:memory:",
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-c", code], env=full_env, capture_output=True, text=True, cwd=settings.BASE_DIR
    )
    if result.returncode:
        return {"error": result.stderr}
    return json.loads(result.stdout)


def test_production_never_installs_the_stand_in_provider():
    prod = _settings_in("production")
    assert "salamat.devidp" not in prod["apps"] and "oauth2_provider" not in prod["apps"]
    assert prod["devidp"] is False and prod["oidc"] is False and prod["login_url"] == ""

    configured = _settings_in(
        "production",
        ESI_ISSUER="https://esi.example.org",
        ESI_CLIENT_ID="salamat",
        ESI_CLIENT_SECRET="from-the-vault",
    )
    assert "salamat.devidp" not in configured["apps"] and configured["devidp"] is False
    assert configured["oidc"] is True and configured["login_url"] == "/oidc/authenticate/"


def test_production_refuses_esi_without_secrets_from_the_environment():
    result = _settings_in("production", ESI_ISSUER="https://esi.example.org")
    assert "ESI_CLIENT_ID and ESI_CLIENT_SECRET" in result["error"]
    result = _settings_in(
        "production", ESI_ISSUER="http://esi.example.org", ESI_CLIENT_ID="a", ESI_CLIENT_SECRET="b"
    )
    assert "https://" in result["error"]
