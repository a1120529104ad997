"""Password guessing on the login pages (/login/, /admin/login/) is stopped by django-axes.

After LOGIN_FAILURE_LIMIT failed logins an account is locked, and so is the address they came
from (`salamat.core.clientip`: the real client behind trusted proxies), for
LOGIN_LOCKOUT_SECONDS. The failures are counted in the cache every process shares
(settings.CACHES). Logins through ESI are the national SSO's business, not ours."""

from __future__ import annotations

from datetime import timedelta

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from salamat.core.conf import setting


def failure_limit(request: HttpRequest | None = None, credentials: dict | None = None) -> int:
    return int(setting("LOGIN_FAILURE_LIMIT"))


def cool_off(request: HttpRequest | None = None) -> timedelta:
    return timedelta(seconds=int(setting("LOGIN_LOCKOUT_SECONDS")))


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """429 with the time left to wait, on the site's own page."""
    seconds = int(setting("LOGIN_LOCKOUT_SECONDS"))
    minutes = max(1, round(seconds / 60))
    message = _("Too many failed logins from this account or address. Try again in %(minutes)d minutes.") % {
        "minutes": minutes
    }
    response = render(request, "web/error.html", {"error": {"message": message}}, status=429)
    response["Retry-After"] = str(seconds)
    return response


class LoginLockBackend(AxesStandaloneBackend):
    """Refuses a locked-out login before any password is checked.

    A login without a request (a management command, the test client's `login()`) cannot come
    from a guesser on the network, so it is not counted."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
