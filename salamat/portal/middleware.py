"""The public check API's short path.

Requests under ``/api/public/`` are answered right here, ahead of the session, CSRF,
authentication and message middleware, none of which a public JSON endpoint needs: the
whole middleware chain is most of a small Django request's cost. This middleware sits just
after `RequestContextMiddleware` (request id, client address) and applies the rate limit.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.translation import gettext as _

from salamat.core import context
from salamat.core.clientip import client_ip
from salamat.core.dbconn import run_trusting_open_connections
from salamat.core.middleware import error_response

PREFIX = "/api/public/"
DOCS = ("/api/public/docs", "/api/public/openapi.json")
CHECK_PATH = "/api/public/check"
_MATCHES: dict = {}  # path -> ResolverMatch: resolving through the whole URL conf costs more than the check


class PublicApiMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if not path.startswith(PREFIX) or path.startswith(DOCS):
            return self.get_response(request)
        from salamat.portal.services import rate_limit_hit

        language = translation.get_language_from_request(request, check_path=False)
        translation.activate(language)
        try:
            known = context.peek()  # RequestContextMiddleware read the address already
            retry_after = rate_limit_hit(ip=known.ip if known is not None else client_ip(request))
            response = None
            if retry_after:
                response = error_response(
                    429,
                    "rate_limited",
                    _("Too many requests from your address. Try again in %(seconds)d seconds.")
                    % {"seconds": retry_after},
                    {"retry_after": retry_after},
                    headers={"Retry-After": str(retry_after)},
                )
            else:
                from salamat.portal.api import check_fast

                # The check itself skips the URL resolver and the framework (the documented
                # operation answers anything but a well-formed GET).
                response = self._call(request, check_fast) if path == CHECK_PATH else None
            if response is None:
                match = _MATCHES.get(path)
                if match is None:
                    try:
                        match = resolve(path)
                    except Resolver404:
                        return error_response(
                            404, "not_found", _("There is nothing at this address."), {"path": path}
                        )
                    if len(_MATCHES) < 32:  # the API has a handful of paths; 404s are never kept
                        _MATCHES[path] = match
                response = self._call(request, lambda r: match.func(r, *match.args, **match.kwargs))
            response["Content-Language"] = language
            response["X-Content-Type-Options"] = "nosniff"
            response["Access-Control-Allow-Origin"] = "*"  # the mobile app and any web page may check
            return response
        finally:
            translation.deactivate()

    @staticmethod
    def _call(request: HttpRequest, view) -> HttpResponse | None:
        """Runs the view without Django's per-request connection health check (a `SELECT 1`
        round trip before every check, as costly as the check itself; see `salamat.core.dbconn`)."""
        return run_trusting_open_connections(lambda: view(request))
