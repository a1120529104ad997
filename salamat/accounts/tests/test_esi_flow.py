"""The ESI login end to end over HTTP: platform → stand-in ESI → platform, nothing mocked.

Each test runs a live server; the platform's back-channel calls (discovery, token,
JWKS, userinfo) go over HTTP to the stand-in provider on that same server."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import RequestFactory

from salamat.accounts.models import User
from salamat.accounts.oidc import esi_organizations
from salamat.accounts.services import esi_username
from salamat.core.models import AuditLog
from salamat.devidp.people import PEOPLE
from salamat.devidp.services import devidp_person_save
from salamat.devidp.testing import CITIZEN, CLINIC_REPRESENTATIVE, EsiBrowser, esi_setup

REP = PEOPLE[0]


@pytest.fixture
def browser_esi(live_server):
    esi_setup(live_server)
    return EsiBrowser(live_server.url)


def _messages(browser: EsiBrowser) -> list[str]:
    """The flash messages the platform left in the browser's cookie."""
    value = browser.http.cookies.get("messages")
    if not value:
        return []
    request = RequestFactory().get("/")
    request.COOKIES["messages"] = value.strip('"').replace("\\054", ",").replace('\\"', '"')
    return [str(m) for m in CookieStorage(request)]


def _session_user(browser: EsiBrowser) -> dict | None:
    response = browser.whoami()
    return response.json() if response.status_code == 200 else None


def test_discovery_names_the_endpoints_and_form_post(browser_esi):
    doc = browser_esi.get("/devidp/.well-known/openid-configuration").json()

    assert doc["issuer"] == browser_esi.base + "/devidp"
    for key in (
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "end_session_endpoint",
    ):
        assert doc[key].startswith(browser_esi.base + "/devidp/")
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert "form_post" in doc["response_modes_supported"]
    assert "RS256" in doc["id_token_signing_alg_values_supported"]
    assert {"pin", "organizations", "family_name"} <= set(doc["claims_supported"])


def test_login_creates_the_user_from_the_claims(browser_esi):
    # given: the platform sends the browser to ESI with PKCE S256, state and nonce
    authorize_url = browser_esi.start(next_url="/api/v1/whoami")
    query = parse_qs(urlsplit(authorize_url).query)
    assert authorize_url.startswith(browser_esi.base + "/devidp/authorize/")
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert query["state"][0] and query["nonce"][0]
    assert query["response_mode"] == ["form_post"]
    assert set(query["scope"][0].split()) >= {"openid", "pin", "organizations"}

    # when: the person is picked at the provider, whose answer is posted back
    answer = browser_esi.answer(browser_esi.pick(authorize_url, CLINIC_REPRESENTATIVE))
    assert answer.method == "POST"
    assert answer.action == browser_esi.base + "/oidc/callback/"
    assert set(answer.fields) >= {"code", "state", "iss"}
    # the provider's login did not log anybody into the platform
    assert _session_user(browser_esi) is None
    response = browser_esi.deliver(answer)

    # then: logged in, the user made from the claims, back where the login started
    assert response.status_code == 302
    assert response.headers["Location"] == "/api/v1/whoami"
    me = _session_user(browser_esi)
    assert me is not None and me["kind"] == "user"
    user = User.objects.get(esi_sub=CLINIC_REPRESENTATIVE)
    assert user.pin == REP.pin
    assert (user.last_name, user.first_name, user.middle_name) == (
        REP.family_name,
        REP.given_name,
        REP.middle_name,
    )
    assert user.email == REP.email and user.phone == REP.phone_number
    assert user.username == esi_username(CLINIC_REPRESENTATIVE)
    assert not user.has_usable_password()
    assert me["user_id"] == str(user.external_id)

    # the organisations claim is in the session for onboarding
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore(browser_esi.http.cookies[settings.SESSION_COOKIE_NAME])
    request = RequestFactory().get("/")
    request.session = session
    assert (
        esi_organizations(request)
        == session["esi_organizations"]
        == [
            {
                "tax_id": REP.organizations[0]["tax_id"],
                "name": REP.organizations[0]["name"],
                "role": "director",
            }
        ]
    )
    assert AuditLog.objects.filter(action="user.esi_link", object_id=str(user.external_id)).exists()


def test_second_login_matches_the_same_user_by_sub(browser_esi, live_server):
    browser_esi.login_as(CLINIC_REPRESENTATIVE)
    first = User.objects.get(esi_sub=CLINIC_REPRESENTATIVE)
    # ESI changed the person's name and e-mail in between
    person = replace(REP, family_name="Асанова-Токтосунова", email="new@example.org")
    devidp_person_save(person=person)

    again = EsiBrowser(live_server.url)
    response = again.login_as(CLINIC_REPRESENTATIVE)

    assert response.status_code == 302
    assert User.objects.filter(esi_sub=CLINIC_REPRESENTATIVE).count() == 1
    user = User.objects.get(pk=first.pk)
    assert user.last_name == "Асанова-Токтосунова" and user.email == "new@example.org"
    assert _session_user(again)["user_id"] == str(user.external_id)


def test_existing_account_with_the_pin_is_linked(browser_esi):
    # given: an administrator added the person by PIN before their first ESI login
    existing = User.objects.create_user(username="added-by-pin", pin=REP.pin, first_name="A")

    browser_esi.login_as(CLINIC_REPRESENTATIVE)

    existing.refresh_from_db()
    assert existing.esi_sub == CLINIC_REPRESENTATIVE
    assert _session_user(browser_esi)["user_id"] == str(existing.external_id)


def test_same_email_but_other_sub_and_pin_is_not_matched(browser_esi):
    # given: somebody else's account with the very same e-mail address
    other = User.objects.create_user(username="namesake", email=REP.email, pin="21501199000111")

    browser_esi.login_as(CLINIC_REPRESENTATIVE)

    me = _session_user(browser_esi)
    assert me["user_id"] != str(other.external_id)
    other.refresh_from_db()
    assert other.esi_sub is None
    assert User.objects.filter(email=REP.email).count() == 2


def test_pin_linked_to_another_subject_is_refused(browser_esi):
    User.objects.create_user(username="taken", pin=REP.pin, esi_sub="some-other-subject")

    response = browser_esi.login_as(CLINIC_REPRESENTATIVE)

    assert response.headers["Location"] == "/login/"
    assert _session_user(browser_esi) is None
    assert any("different ESI account" in m for m in _messages(browser_esi))


def test_invalid_pin_claim_refuses_the_login_with_a_clear_message(browser_esi):
    person = replace(REP, sub="devidp-bad-pin", pin="3120319850012")
    devidp_person_save(person=person)

    response = browser_esi.login_as("devidp-bad-pin")

    assert response.status_code == 302 and response.headers["Location"] == "/login/"
    assert _session_user(browser_esi) is None
    assert not User.objects.filter(esi_sub="devidp-bad-pin").exists()
    assert any("(PIN) that is not valid" in m for m in _messages(browser_esi))


def test_login_with_query_response_mode(browser_esi, settings):
    settings.ESI_RESPONSE_MODE = "query"

    answer = browser_esi.answer(browser_esi.pick(browser_esi.start(), CITIZEN))
    assert answer.method == "GET"
    assert answer.action == browser_esi.base + "/oidc/callback/"
    response = browser_esi.deliver(answer)

    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert User.objects.get(esi_sub=CITIZEN).pin == PEOPLE[2].pin


def test_bad_state_is_refused(browser_esi):
    answer = browser_esi.answer(browser_esi.pick(browser_esi.start(), CITIZEN))
    answer.fields["state"] = "forged-" + answer.fields["state"]

    response = browser_esi.deliver(answer)

    # the resubmit page (no such state in this session), then the refusal
    assert response.status_code == 200 and "_salamat_resubmitted" in response.text
    answer.fields["_salamat_resubmitted"] = "1"
    response = browser_esi.deliver(answer)
    assert response.headers["Location"] == "/login/"
    assert _session_user(browser_esi) is None
    assert not User.objects.filter(esi_sub=CITIZEN).exists()


def test_state_from_another_browser_is_refused(browser_esi, live_server):
    # given: an attacker's own authorization answer, delivered into the victim's browser
    attacker = EsiBrowser(live_server.url)
    answer = attacker.answer(attacker.pick(attacker.start(), CITIZEN))
    victim = browser_esi
    victim.start()

    victim.deliver(answer)  # resubmit page
    answer.fields["_salamat_resubmitted"] = "1"
    response = victim.deliver(answer)

    assert response.headers["Location"] == "/login/"
    assert _session_user(victim) is None


def test_an_answer_is_good_once(browser_esi):
    answer = browser_esi.answer(browser_esi.pick(browser_esi.start(), CITIZEN))
    assert browser_esi.deliver(answer).headers["Location"] == "/"
    browser_esi.http.cookies.clear()

    replay = browser_esi.deliver(answer)

    assert replay.status_code == 200  # resubmit page: the state is gone with the session
    answer.fields["_salamat_resubmitted"] = "1"
    assert browser_esi.deliver(answer).headers["Location"] == "/login/"
    assert _session_user(browser_esi) is None


def test_error_from_the_provider_is_refused(browser_esi):
    authorize_url = browser_esi.start()
    state = parse_qs(urlsplit(authorize_url).query)["state"][0]

    response = browser_esi.get("/oidc/callback/", params={"error": "access_denied", "state": state})

    assert response.headers["Location"] == "/login/"
    assert any("cancelled" in m for m in _messages(browser_esi))


def test_wrong_issuer_in_the_answer_is_refused(browser_esi):
    answer = browser_esi.answer(browser_esi.pick(browser_esi.start(), CITIZEN))
    answer.fields["iss"] = "https://evil.example.org"

    response = browser_esi.deliver(answer)

    assert response.headers["Location"] == "/login/"
    assert _session_user(browser_esi) is None


def test_tampered_id_token_from_the_token_endpoint_is_refused(browser_esi, monkeypatch):
    from salamat.accounts.oidc import EsiBackend

    real_get_token = EsiBackend.get_token

    def tampered(self, payload):
        tokens = real_get_token(self, payload)
        header, body, signature = tokens["id_token"].split(".")
        flipped = ("A" if signature[10] != "A" else "B").join((signature[:10], signature[11:]))
        tokens["id_token"] = ".".join((header, body, flipped))
        return tokens

    monkeypatch.setattr(EsiBackend, "get_token", tampered)

    response = browser_esi.login_as(CITIZEN)

    assert response.headers["Location"] == "/login/"
    assert _session_user(browser_esi) is None
    assert not User.objects.filter(esi_sub=CITIZEN).exists()
    assert any("could not be verified" in m for m in _messages(browser_esi))


def test_logout_ends_the_platform_and_the_provider_session(browser_esi):
    browser_esi.login_as(CLINIC_REPRESENTATIVE)
    assert _session_user(browser_esi) is not None
    assert "devidp_login" in browser_esi.http.cookies
    home = browser_esi.get("/")
    csrf = browser_esi.http.cookies.get(settings.CSRF_COOKIE_NAME) or home.cookies.get(
        settings.CSRF_COOKIE_NAME
    )
    if not csrf:  # the home page may not render a form: ask Django for a token the usual way
        browser_esi.get("/devidp/login/")
        csrf = browser_esi.http.cookies[settings.CSRF_COOKIE_NAME]

    # when: the person logs out of the platform
    response = browser_esi.post("/oidc/logout/", {"csrfmiddlewaretoken": csrf})

    # then: the local session is gone, and the browser is sent to ESI's end-session endpoint
    assert response.status_code == 302
    end_session = response.headers["Location"]
    assert end_session.startswith(browser_esi.base + "/devidp/logout/?")
    assert "id_token_hint=" in end_session
    assert _session_user(browser_esi) is None
    at_provider = browser_esi.get(end_session)
    assert at_provider.status_code == 302
    assert at_provider.headers["Location"] == browser_esi.base + "/"
    assert "devidp_login" not in browser_esi.http.cookies
    # a new login asks the provider's login page again
    response = browser_esi.get(browser_esi.start())
    assert urlsplit(response.headers["Location"]).path == "/devidp/login/"
