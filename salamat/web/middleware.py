"""Tells a person whose session ran out why they are logged out."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from salamat.core.middleware import is_machine_path

# Set while a person is logged in; outlives the session so that an expired session can
# be told apart from a visitor who never logged in. Holds no identity, only "1".
SIGNED_IN_COOKIE = "salamat_signed_in"
_SIGNED_IN_MAX_AGE = 14 * 24 * 3600


class SessionExpiryMiddleware:
    """Sets `request.session_expired` and leaves a message when a session ended by itself.

    Must come after the authentication and message middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_machine_path(request.path):
            return self.get_response(request)
        had_marker = request.COOKIES.get(SIGNED_IN_COOKIE) == "1"
        request.session_expired = had_marker and not request.user.is_authenticated
        if request.session_expired and not request.headers.get("HX-Request"):
            messages.warning(request, _("Your session has expired. Please log in again to continue."))
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if not had_marker:
                response.set_cookie(
                    SIGNED_IN_COOKIE,
                    "1",
                    max_age=_SIGNED_IN_MAX_AGE,
                    httponly=True,
                    samesite="Lax",
                    secure=settings.SESSION_COOKIE_SECURE,
                )
        elif had_marker:
            response.delete_cookie(SIGNED_IN_COOKIE, samesite="Lax")
        return response
