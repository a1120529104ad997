"""The shared plumbing of HTML pages that every app's views use: the login check, the page
for a refused request, and where a form may send the person back to.

In core, below every app, so that an app's views need not import the layout (`salamat.web`)."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme

from salamat.core.errors import DomainError


def login_required(view):
    """Sends an anonymous visitor to the login page, keeping `?next=` (htmx: a client redirect)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if request.headers.get("HX-Request"):
            # A partial swap must not put the login form inside the page: reload the whole page.
            parts = urlsplit(request.headers.get("HX-Current-URL", ""))
            current = (parts.path + (f"?{parts.query}" if parts.query else "")) or request.get_full_path()
            response = HttpResponse(status=204)
            response["HX-Redirect"] = redirect_to_login(current, resolve_url(settings.LOGIN_URL)).url
            return response
        return redirect_to_login(request.get_full_path(), resolve_url(settings.LOGIN_URL))

    return wrapper


def error_page(request: HttpRequest, exc: DomainError) -> HttpResponse:
    """The page for a refused request, with the error's status and its translated message."""
    return render(request, "web/error.html", {"error": exc}, status=exc.status_code)


def safe_next(request, fallback: str = "/") -> str:
    """The request's `next` (form field, else query) when it stays on this site, else `fallback`:
    never a redirect to another website."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(candidate, {request.get_host()}, require_https=request.is_secure()):
        return candidate
    return fallback
