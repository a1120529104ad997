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

from salamat.core.middleware import client_ip, error_response

PREFIX = "/api/public/"
DOCS = ("/api/public/docs", "/api/public/openapi.json")


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
            retry_after = rate_limit_hit(ip=client_ip(request))
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
                try:
                    match = resolve(path)
                except Resolver404:
                    return error_response(
                        404, "not_found", _("There is nothing at this address."), {"path": path}
                    )
                response = match.func(request, *match.args, **match.kwargs)
            response["Content-Language"] = language
            response["X-Content-Type-Options"] = "nosniff"
            response["Access-Control-Allow-Origin"] = "*"  # the mobile app and any web page may check
            return response
        finally:
            translation.deactivate()
