"""The shared pieces of every JSON API: authentication, the error shape, pagination."""

from __future__ import annotations

import logging
from typing import Any, Generic, TypeVar

from django.core.exceptions import RequestDataTooBig
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, SessionAuth
from pydantic import Field

from salamat.core.actors import Actor, actor_for_api_client, actor_for_request, api_client_authenticate
from salamat.core.errors import DomainError

log = logging.getLogger("salamat.api")


class ErrorOut(Schema):
    """Every error of the API has this shape."""

    code: str = Field(description="Stable machine-readable reason, e.g. `already_sold`, `invalid_token`.")
    message: str = Field(description="Human explanation in the request's language.")
    details: Any = Field(default=None, description="Machine-readable specifics: fields, bad codes, limits.")


ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class ApiTokenAuth(HttpBearer):
    """`Authorization: Bearer slm_…` — an organisation's API client."""

    openapi_description = "An organisation's API token (`slm_…`), issued by its administrator."

    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        actor = actor_for_api_client(api_client_authenticate(token))
        request.actor = actor
        return actor


class SessionActorAuth(SessionAuth):
    """A logged-in person's browser session (CSRF-checked for writes)."""

    openapi_description = "A logged-in person's session cookie (web pages calling the API)."

    def authenticate(self, request: HttpRequest, key: str | None) -> Actor | None:
        if request.user.is_authenticated:
            return actor_for_request(request)
        return None


API_AUTH = [ApiTokenAuth(), SessionActorAuth()]


def actor_of(request: HttpRequest) -> Actor:
    """The authenticated actor of an API request."""
    return request.auth if isinstance(getattr(request, "auth", None), Actor) else Actor()


def install_error_handlers(api: NinjaAPI) -> None:
    """Maps every exception to the one error shape `{code, message, details}`."""

    def respond(request, status: int, code: str, message: str, details: Any = None, headers=None):
        response = api.create_response(
            request, {"code": code, "message": str(message), "details": details or {}}, status=status
        )
        for key, value in (headers or {}).items():
            response[key] = value
        return response

    @api.exception_handler(DomainError)
    def _domain(request, exc: DomainError):
        return respond(request, exc.status_code, exc.code, exc.message, exc.details)

    @api.exception_handler(NinjaValidationError)
    def _validation(request, exc: NinjaValidationError):
        fields = []
        for err in exc.errors:
            loc = [
                str(p)
                for p in err.get("loc", ())
                if p not in ("body", "query", "path", "header", "form", "payload")
            ]
            fields.append(
                {"field": ".".join(loc), "code": err.get("type", "invalid"), "message": err.get("msg", "")}
            )
        return respond(request, 422, "validation_error", _("Some fields are not valid."), {"fields": fields})

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request, exc):
        return respond(
            request,
            401,
            "not_authenticated",
            _("Authentication required: send an API token or log in."),
            headers={"WWW-Authenticate": 'Bearer realm="salamat"'},
        )

    @api.exception_handler(AuthorizationError)
    def _forbidden(request, exc):
        return respond(request, 403, "forbidden", _("You may not do this."))

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        return respond(request, 404, "not_found", _("Not found."))

    @api.exception_handler(RequestDataTooBig)
    def _too_big(request, exc):
        return respond(request, 413, "body_too_large", _("The request body is too large."))

    @api.exception_handler(HttpError)
    def _http(request, exc: HttpError):
        code = {
            400: "bad_request",
            401: "not_authenticated",
            403: "forbidden",
            404: "not_found",
            405: "method_not_allowed",
            409: "conflict",
            413: "body_too_large",
            429: "rate_limited",
        }.get(exc.status_code, "error")
        return respond(request, exc.status_code, code, str(exc.message))

    @api.exception_handler(Exception)
    def _crash(request, exc: Exception):
        log.exception("unhandled error in %s %s", request.method, request.path)
        return respond(
            request, 500, "server_error", _("Something went wrong on our side; it has been logged.")
        )


T = TypeVar("T")


class Page(Schema, Generic[T]):
    count: int = Field(description="Total number of matching items.")
    page: int
    page_size: int
    items: list[T]


def paginate(queryset: QuerySet, *, page: int, page_size: int, max_page_size: int = 200) -> dict[str, Any]:
    """One page of `queryset` as `{count, page, page_size, items}`; out-of-range pages are empty."""
    page = max(page, 1)
    page_size = min(max(page_size, 1), max_page_size)
    start = (page - 1) * page_size
    return {
        "count": queryset.count(),
        "page": page,
        "page_size": page_size,
        "items": list(queryset[start : start + page_size]),
    }
