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

The view runs without Django's per-request connection health check (a ``SELECT 1`` round trip
before the first query of every request): a persistent connection that died is found out by
the request's own first query instead; nothing has been read or written yet at that point, so
the connection is closed and the view runs once more on a fresh one.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.cache import patch_vary_headers

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


class _FirstQuery:
    """An execute wrapper noting whether the request's very first query failed."""

    __slots__ = ("ran", "failed")

    def __init__(self) -> None:
        self.ran = False
        self.failed = False

    def __call__(self, execute, sql, params, many, context):
        if self.ran:
            return execute(sql, params, many, context)
        self.ran = True
        try:
            return execute(sql, params, many, context)
        except (OperationalError, InterfaceError):
            self.failed = True
            raise


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
            response = _run(request, lambda: match.func(request, *match.args, **match.kwargs))
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


def _run(request: HttpRequest, view) -> HttpResponse:
    """The view, on open connections trusted without a health check (see the module text)."""
    opened = [c for c in connections.all(initialized_only=True) if c.connection is not None]
    if not opened or _in_transaction(opened):
        return view()
    first = _FirstQuery()
    for conn in opened:
        conn.health_check_done = True
    for conn in connections.all(initialized_only=True):
        conn.execute_wrappers.append(first)
    try:
        return view()
    except (OperationalError, InterfaceError):
        if not first.failed:
            raise
    finally:
        for conn in connections.all(initialized_only=True):
            if first in conn.execute_wrappers:
                conn.execute_wrappers.remove(first)
    _close(opened)  # one of them died while idle: start again on fresh connections
    return view()


def _in_transaction(opened) -> bool:
    """Inside a transaction (a test's) a failed query cannot be taken back: keep the check."""
    return any(c.in_atomic_block for c in opened)


def _close(opened) -> None:
    for conn in opened:
        conn.close()
