"""Access decorators of the web pages."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import resolve_url


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
