"""Login through ESI: start (redirect to ESI), callback (code → tokens → user), logout.

The callback accepts the code by GET (``response_mode=query``) and by POST
(``response_mode=form_post``). A form post from ESI's own domain is a cross-site POST,
on which browsers do not send the platform's SameSite=Lax session cookie; without the
session the login's `state` cannot be found, so the callback first answers with a
page that posts the same fields again from the platform's own origin.
"""

from __future__ import annotations

import logging
import time
from urllib.parse import parse_qs, urlsplit

import requests
from django.conf import settings
from django.contrib import auth, messages
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect, render, resolve_url
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from mozilla_django_oidc.views import OIDCAuthenticationRequestView

from salamat.accounts.oidc import (
    SESSION_ID_TOKEN,
    SESSION_ISSUER,
    SESSION_ORGANIZATIONS,
    EsiBackend,
    EsiUnavailable,
    esi_provider,
)
from salamat.accounts.signals import esi_logged_in
from salamat.core.errors import DomainError

log = logging.getLogger(__name__)

_STATES = "oidc_states"  # mozilla-django-oidc's session key: {state: {nonce, code_verifier, added_on}}
_RESUBMITTED = "_salamat_resubmitted"
# A login that takes longer than this at ESI starts again.
_FLOW_MAX_AGE_SECONDS = 15 * 60
_BACKEND = f"{EsiBackend.__module__}.{EsiBackend.__qualname__}"


@method_decorator(never_cache, name="dispatch")
class EsiLoginView(OIDCAuthenticationRequestView):
    """Sends the browser to ESI with a fresh state, nonce and PKCE S256 challenge."""

    def __init__(self, **kwargs):
        # mozilla-django-oidc reads a fixed authorization endpoint here; ours comes from discovery.
        View.__init__(self, **kwargs)
        self.OIDC_RP_CLIENT_ID = settings.ESI_CLIENT_ID

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            provider = esi_provider(request)
        except EsiUnavailable as exc:
            log.error("ESI login unavailable: %s", exc)
            return _refuse(
                request, _("ESI, the national single sign-on, cannot be reached. Please try later.")
            )
        self.OIDC_OP_AUTH_ENDPOINT = provider.authorization_endpoint
        response = super().get(request)
        # Remember which provider this login went to: the callback talks to that one only.
        state = _query_value(response["Location"], "state")
        request.session[_STATES][state]["issuer"] = provider.issuer
        request.session.modified = True
        return response

    def get_extra_params(self, request: HttpRequest) -> dict[str, str]:
        params = {"ui_locales": get_language() or settings.LANGUAGE_CODE}
        if settings.ESI_RESPONSE_MODE == "form_post":
            params["response_mode"] = "form_post"
        return params


@method_decorator(csrf_exempt, name="dispatch")  # ESI posts here; `state` is the CSRF defence
@method_decorator(never_cache, name="dispatch")
class EsiCallbackView(View):
    """Where ESI sends the browser back with an authorization code (or an error)."""

    http_method_names = ["get", "post"]

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._finish(request, request.GET)

    def post(self, request: HttpRequest) -> HttpResponse:
        params = request.POST
        if params.get("state") not in request.session.get(_STATES, {}) and _RESUBMITTED not in params:
            fields = [(k, v) for k, v in params.items() if k != _RESUBMITTED]
            return render(
                request,
                "accounts/esi_form_post_resubmit.html",
                {"action": request.path, "fields": fields, "marker": _RESUBMITTED},
            )
        return self._finish(request, params)

    def _finish(self, request: HttpRequest, params: QueryDict) -> HttpResponse:
        states: dict = request.session.get(_STATES, {})
        # Each state is good for one answer, whatever the answer: no replays.
        flow = states.pop(params.get("state", ""), None)
        request.session[_STATES] = states
        if params.get("error"):
            log.info("ESI answered with error %r", params.get("error"))
            if params.get("error") == "access_denied":
                return _refuse(request, _("The login at ESI was cancelled."))
            return _refuse(request, _("ESI could not log you in. Please try again."))
        if flow is None or not params.get("code"):
            log.warning("ESI callback with an unknown or missing state")
            return _refuse(
                request, _("This ESI login has expired or was not started here. Please log in again.")
            )
        if time.time() - flow.get("added_on", 0) > _FLOW_MAX_AGE_SECONDS:
            return _refuse(request, _("This ESI login has expired. Please log in again."))
        # RFC 9207: when the provider names itself, it must be the one this login went to.
        if params.get("iss") and params.get("iss") != flow.get("issuer"):
            log.warning("ESI callback from issuer %r, expected %r", params.get("iss"), flow.get("issuer"))
            return _refuse(request, _("ESI's answer could not be verified, so you were not logged in."))
        next_url = request.session.pop("oidc_login_next", None)
        backend = EsiBackend()
        try:
            user = backend.authenticate(request, esi_code=params["code"], esi_flow=flow)
        except DomainError as exc:
            log.info("ESI login refused: %s", exc.code)
            return _refuse(request, exc.message)
        except (SuspiciousOperation, EsiUnavailable, requests.RequestException) as exc:
            log.warning("ESI login failed: %s", exc)
            return _refuse(request, _("ESI's answer could not be verified, so you were not logged in."))
        if user is None or not user.is_active:
            return _refuse(request, _("ESI could not log you in. Please try again."))
        auth.login(request, user, backend=_BACKEND)  # a new session key: no session fixation
        identity = backend.identity
        request.session[SESSION_ORGANIZATIONS] = (
            [o.as_dict() for o in identity.organizations] if identity else []
        )
        request.session[SESSION_ID_TOKEN] = backend.id_token
        request.session[SESSION_ISSUER] = flow.get("issuer")
        esi_logged_in.send(sender=EsiCallbackView, request=request, user=user)
        return HttpResponseRedirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))


def _refuse(request: HttpRequest, message: str) -> HttpResponse:
    """Back to the login page with `message`; nobody is logged in by this request."""
    messages.error(request, message)
    return redirect(settings.LOGIN_URL)


def _query_value(url: str, name: str) -> str:
    return parse_qs(urlsplit(url).query).get(name, [""])[0]
