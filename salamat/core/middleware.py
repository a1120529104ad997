"""Request id, client address and the JSON error shape for machine endpoints."""

from __future__ import annotations

import json
import re
import sys
import uuid
from urllib.parse import unquote_plus

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext as _

from salamat.core import context
from salamat.core.clientip import client_ip
from salamat.core.conf import setting

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# A JSON escape of U+0000 (`\u0000`) not itself escaped: preceded by an even number of backslashes.
_JSON_NUL_RE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_TEXT_BODY_TYPES = ("application/json", "application/x-www-form-urlencoded", "text/", "application/xml")
# Paths answered in JSON; everything else is a web page.
MACHINE_PREFIXES = ("/api/", "/epcis/", "/fhir/")


def is_machine_path(path: str) -> bool:
    return path.startswith(MACHINE_PREFIXES)


def error_response(status: int, code: str, message: str, details=None, headers=None) -> JsonResponse:
    response = JsonResponse({"code": code, "message": message, "details": details or {}}, status=status)
    for key, value in (headers or {}).items():
        response[key] = value
    return response


class RequestContextMiddleware:
    """Gives every request an id (or keeps a sane one the client sent) for logs and audit."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = context.activate(
            context.RequestContext(
                request_id=request_id,
                ip=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:200],
            )
        )
        try:
            if is_machine_path(request.path):
                too_big = self._refuse_oversized(request)
                if too_big is not None:
                    too_big["X-Request-ID"] = request_id
                    return too_big
            refused = refuse_null_character(request)
            if refused is not None:
                refused["X-Request-ID"] = request_id
                return refused
            response = self.get_response(request)
            if is_machine_path(request.path):
                response = self._json_error_shape(request, response)
        finally:
            context.deactivate(token)
        response["X-Request-ID"] = request_id
        return response

    @staticmethod
    def _refuse_oversized(request: HttpRequest) -> HttpResponse | None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return error_response(400, "bad_content_length", _("The Content-Length header is not a number."))
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if length > limit:
            return error_response(
                413,
                "body_too_large",
                _("The request body is larger than the limit of %(limit)d bytes.") % {"limit": limit},
                {"limit_bytes": limit, "received_bytes": length},
            )
        return None

    @staticmethod
    def _json_error_shape(request: HttpRequest, response: HttpResponse) -> HttpResponse:
        """Errors Django answers itself (unknown URL, wrong method) get the API's JSON shape."""
        if response.status_code < 400 or response.get("Content-Type", "").startswith(
            ("application/json", "application/problem+json", "application/ld+json", "application/fhir+json")
        ):
            return response
        status = response.status_code
        if status == 404:
            return error_response(
                404, "not_found", _("There is nothing at this address."), {"path": request.path}
            )
        if status == 405:
            allowed = response.get("Allow", "")
            return error_response(
                405,
                "method_not_allowed",
                _("Method %(method)s is not allowed here.") % {"method": request.method},
                {"allowed": [m.strip() for m in allowed.split(",") if m.strip()]},
                headers={"Allow": allowed} if allowed else None,
            )
        if status == 403:
            return error_response(403, "forbidden", _("You may not do this."))
        if status == 400:
            return error_response(400, "bad_request", _("The request could not be understood."))
        if status >= 500:
            return error_response(
                status, "server_error", _("Something went wrong on our side; it has been logged.")
            )
        return response


def has_null_character(request: HttpRequest) -> bool:
    """True when the path, the query string, a form field or a text body carries U+0000
    (raw, percent-encoded or as a JSON escape). Uploaded files are binary and not looked at."""
    if "\x00" in request.path or "\x00" in unquote_plus(request.META.get("QUERY_STRING", "")):
        return True
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        try:
            fields = request.POST
        except Exception:  # a malformed body: the view answers it as it always has
            return False
        return any("\x00" in key or any("\x00" in v for v in values) for key, values in fields.lists())
    if not content_type.startswith(_TEXT_BODY_TYPES) and not content_type.endswith(("+json", "+xml")):
        return False
    try:
        body = request.body
    except Exception:
        return False
    if b"\x00" in body:
        return True
    if content_type == "application/x-www-form-urlencoded":
        return b"%00" in body
    # a cheap find first: the regex runs only on bodies that contain the escape at all
    return b"\\u0000" in body and _JSON_NUL_RE.search(body) is not None


def refuse_null_character(request: HttpRequest) -> HttpResponse | None:
    """The one refusal of NUL characters: PostgreSQL cannot store them in text (it answered 500)."""
    if not has_null_character(request):
        return None
    # LocaleMiddleware has not run yet: answer in the language the request asks for.
    with translation.override(translation.get_language_from_request(request, check_path=False)):
        return _null_character_refusal(request)


def _null_character_refusal(request: HttpRequest) -> HttpResponse:
    if is_machine_path(request.path):
        return error_response(
            422,
            "null_character",
            _("The request contains a null character (U+0000), which no field accepts."),
        )
    return HttpResponseBadRequest(
        _("The request contains a null character, which no field accepts."),
        content_type="text/html; charset=utf-8",
    )


def json_handler404(request, exception=None):
    if is_machine_path(request.path):
        return error_response(
            404, "not_found", _("There is nothing at this address."), {"path": request.path}
        )
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def is_database_outage(exc: BaseException | None) -> bool:
    """True for the errors of an unreachable or restarting database (connection refused or
    lost, server shutting down): transient, the client should retry, not a bug of ours."""
    from django.db import InterfaceError, OperationalError

    return isinstance(exc, (OperationalError, InterfaceError))


def outage_response(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: the JSON error shape on machine paths, a plain page elsewhere."""
    retry_after = str(setting("OUTAGE_RETRY_AFTER_SECONDS"))
    with translation.override(translation.get_language_from_request(request, check_path=False)):
        if is_machine_path(request.path):
            response = error_response(
                503,
                "service_unavailable",
                _("The service is briefly unavailable; try again in a few seconds."),
                {"retry_after": int(retry_after)},
            )
        else:
            response = HttpResponse(
                format_html(
                    "<!doctype html><title>503</title><h1>503</h1><p>{}</p>",
                    _("The service is briefly unavailable; try again in a few seconds."),
                ),
                status=503,
                content_type="text/html; charset=utf-8",
            )
    response["Retry-After"] = retry_after
    response["Cache-Control"] = "no-store"
    return response


def json_handler500(request):
    # Django calls this inside its `except`: the exception being handled is the cause.
    if is_database_outage(sys.exc_info()[1]):
        return outage_response(request)
    if is_machine_path(request.path):
        return error_response(500, "server_error", _("Something went wrong on our side; it has been logged."))
    from django.views.defaults import server_error

    return server_error(request)


def json_dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
