"""The FHIR endpoint's short path for token-authenticated calls.

A request under ``/fhir/`` carrying ``Authorization: Bearer …`` (a clinic's software) is
answered right here, after the request id, metrics, access log, JSON error shape and
`SecurityMiddleware` (HTTPS redirect, HSTS, nosniff, referrer policy), but ahead of the
session, CSRF, authentication, message, CSP and lockout middleware: a token call has no
cookies to read, no form to protect and no login to lock out, and that chain is a large part of
a FHIR read's cost. What the skipped middleware would have added to an API answer is added
here: the language of the answer (as `LocaleMiddleware`), X-Frame-Options and the
Content-Security-Policy header.

Reads with a logged-in session (the patient, a doctor in the browser) carry no bearer token and
take the whole chain as before.

The view runs without Django's per-request connection health check
(`salamat.core.dbconn.run_trusting_open_connections`).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.cache import patch_vary_headers

from salamat.core.dbconn import run_trusting_open_connections

PREFIX = "/fhir/"


def _csp_header() -> tuple[str, str] | None:
    try:
        from csp.constants import HEADER
        from csp.utils import build_policy
    except ImportError:  # pragma: no cover - django-csp is a dependency
        return None
    if "csp.middleware.CSPMiddleware" not in settings.MIDDLEWARE:
        return None
    return HEADER, build_policy()


class FhirTokenMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.csp = _csp_header()
        self.frame_options = getattr(settings, "X_FRAME_OPTIONS", "DENY").upper()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if not path.startswith(PREFIX) or request.META.get("HTTP_AUTHORIZATION", "")[:7].lower() != "bearer ":
            return self.get_response(request)
        try:
            match = resolve(path)
        except Resolver404:  # pragma: no cover - the FHIR URL conf ends with a catch-all
            return self.get_response(request)
        request.resolver_match = match
        request.user = AnonymousUser()  # no session is read: the token is the caller
        language = translation.get_language_from_request(request, check_path=False)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        try:
            response = run_trusting_open_connections(lambda: match.func(request, *match.args, **match.kwargs))
        finally:
            translation.deactivate()
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", language)
        response.headers.setdefault("X-Frame-Options", self.frame_options)
        if self.csp is not None:
            response.headers.setdefault(*self.csp)
        if not response.streaming and "Content-Length" not in response:
            response["Content-Length"] = str(len(response.content))
        return response
