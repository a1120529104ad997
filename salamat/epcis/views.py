"""The GS1 EPCIS 2.0 REST binding (capture and events query), as plain Django views: the
binding negotiates on content types and headers that a schema-first router would get in the
way of. Errors use the platform's one shape `{code, message, details}` (see docs/epcis.md)."""

from __future__ import annotations

import json
import uuid

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from salamat.accounts.selectors import actor_for_api_client, api_client_authenticate
from salamat.core.actors import Actor
from salamat.core.conf import setting
from salamat.core.db_routing import replica_reads
from salamat.core.errors import AuthenticationFailed, DomainError, NotFound, ValidationFailed
from salamat.core.middleware import error_response
from salamat.epcis import selectors, services, validation, vocab, xmlconv
from salamat.epcis.models import CaptureJob, EpcisEventType

EPCIS_HEADERS = {"GS1-EPCIS-Version": "2.0.0", "GS1-CBV-Version": "2.0.0", "GS1-EPCIS-Min": "2.0.0",
                 "GS1-EPCIS-Max": "2.0.0", "GS1-CBV-Min": "2.0.0", "GS1-CBV-Max": "2.0.0"}  # fmt: skip
# Never_Translates: identifiers exactly as captured, as No_Preference does here.
EPC_FORMATS = ("No_Preference", "Always_GS1_Digital_Link", "Always_EPC_URN", "Never_Translates")
COLLECTIONS = {"bizSteps": "biz_step", "bizLocations": "biz_location", "readPoints": "read_point",
               "dispositions": "disposition"}  # fmt: skip
COLLECTION_PARAM = {"bizSteps": "EQ_bizStep", "bizLocations": "EQ_bizLocation", "readPoints": "EQ_readPoint",
                    "dispositions": "EQ_disposition"}  # fmt: skip


def capture_limit() -> int:
    return int(setting("EPCIS_CAPTURE_LIMIT"))


def capture_file_size_limit() -> int:
    return int(setting("EPCIS_CAPTURE_FILE_SIZE_LIMIT") or settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


def _with_headers(response: HttpResponse) -> HttpResponse:
    for key, value in EPCIS_HEADERS.items():
        response[key] = value
    return response


def _error(exc: DomainError) -> HttpResponse:
    return _with_headers(error_response(exc.status_code, exc.code, exc.message, exc.details))


def _actor(request: HttpRequest) -> Actor:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed("not_authenticated", _("Authentication required: send an API token."))
    return actor_for_api_client(api_client_authenticate(token.strip()))


def endpoint(view):
    """Authenticates with the organisation's API token and maps every `DomainError` once."""

    @csrf_exempt
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            actor = _actor(request) if request.method != "OPTIONS" else None
            return _with_headers(view(request, actor, *args, **kwargs))
        except AuthenticationFailed as exc:
            response = _error(exc)
            response["WWW-Authenticate"] = 'Bearer realm="salamat-epcis"'
            return response
        except DomainError as exc:
            return _error(exc)

    wrapped.__name__ = view.__name__
    return wrapped


def _allow(request: HttpRequest, methods: tuple[str, ...]) -> HttpResponse | None:
    if request.method not in (*methods, "OPTIONS"):
        return error_response(
            405, "method_not_allowed", _("Method %(method)s is not allowed here.") % {"method": request.method},
            {"allowed": [*methods, "OPTIONS"]}, headers={"Allow": ", ".join([*methods, "OPTIONS"])},
        )  # fmt: skip
    if request.method == "OPTIONS":
        response = HttpResponse(status=204)
        response["Allow"] = ", ".join([*methods, "OPTIONS"])
        return response
    return None


def _job_error(entry: dict) -> dict:
    """One refused event as the binding's RFC 7807 problem, with the platform's fields kept."""
    return {
        "type": "epcisException:ValidationException",
        "title": entry.get("message", ""),
        "status": 400,
        "detail": entry.get("message", ""),
        **({"instance": entry["event_id"]} if entry.get("event_id") else {}),
        **entry,
    }


def _job_json(job: CaptureJob) -> dict:
    return {
        "captureID": str(job.external_id),
        "createdAt": job.created_at.isoformat(),
        "finishedAt": job.finished_at.isoformat() if job.finished_at else None,
        "running": job.finished_at is None,
        "success": job.status == "success",
        "captureErrorBehaviour": job.error_behaviour,
        "errors": [_job_error(e) for e in job.errors],
        "eventCount": job.event_count,
        "capturedCount": job.captured_count,
        "duplicateCount": job.duplicate_count,
        "appliedCount": job.applied_count,
    }


@endpoint
def capture(request: HttpRequest, actor: Actor | None) -> HttpResponse:
    """POST a document (202 + Location of the job); GET the caller's jobs; OPTIONS the limits."""
    refused = _allow(request, ("GET", "POST"))
    if refused is not None:
        if request.method == "OPTIONS":
            refused["GS1-EPCIS-Capture-Limit"] = str(capture_limit())
            refused["GS1-EPCIS-Capture-File-Size-Limit"] = str(capture_file_size_limit())
            refused["GS1-Capture-Error-Behaviour"] = ", ".join(services.BEHAVIOURS)
        return refused
    if request.method == "GET":
        jobs = CaptureJob.objects.filter(organization=actor.require_organization()).order_by("-id")[:100]
        return JsonResponse({"captureJobs": [_job_json(j) for j in jobs]})
    behaviour = request.META.get("HTTP_GS1_CAPTURE_ERROR_BEHAVIOUR", "rollback").strip().lower() or "rollback"
    if behaviour not in services.BEHAVIOURS:
        raise ValidationFailed(
            "bad_capture_error_behaviour",
            _("GS1-Capture-Error-Behaviour must be rollback or proceed."),
            details={"allowed": list(services.BEHAVIOURS)},
        )
    size = len(request.body)
    if size > capture_file_size_limit():
        raise DomainError(
            "capture_file_too_large",
            _("The document is larger than the capture limit of %(limit)d bytes.")
            % {"limit": capture_file_size_limit()},
            details={"limit_bytes": capture_file_size_limit(), "received_bytes": size},
            status_code=413,
        )
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    is_xml = content_type.endswith("xml") or request.body.lstrip()[:1] == b"<"
    with services.collector_paused():  # the document's objects are many and all live: see there
        document = validation.read_xml(request.body) if is_xml else validation.read_json(request.body)
        count = len(document.get("epcisBody", {}).get("eventList") or [])
        if count > capture_limit():
            raise DomainError(
                "capture_limit_exceeded",
                _("The document holds %(count)d events; the capture limit is %(limit)d.")
                % {"count": count, "limit": capture_limit()},
                details={"limit_events": capture_limit(), "received_events": count},
                status_code=413,
            )
        job = services.capture_submit(
            actor=actor,
            document=document,
            error_behaviour=behaviour,
            document_format="xml" if is_xml else "json",
        )
    # A well-formed, schema-valid document within the limits is accepted (202) whatever becomes of
    # its events: events the traceability rules refuse are the capture job's errors, not the
    # request's (REST binding: "not to be confused with an error while capturing EPCIS events").
    response = HttpResponse(status=202)
    response["Location"] = f"/epcis/capture/{job.external_id}"
    return response


@endpoint
def capture_job(request: HttpRequest, actor: Actor | None, capture_id: str) -> HttpResponse:
    refused = _allow(request, ("GET",))
    if refused is not None:
        return refused
    try:
        job = CaptureJob.objects.get(
            external_id=uuid.UUID(capture_id), organization=actor.require_organization()
        )
    except (ValueError, CaptureJob.DoesNotExist) as exc:
        raise NotFound("capture_job_not_found", _("No such capture job.")) from exc
    return JsonResponse(_job_json(job))


QUERY_MEDIA_TYPES = ("application/ld+json", "application/json", "application/xml", "text/xml")


def _answer_type(request: HttpRequest) -> str:
    """The media type of the query answer the client's `Accept` prefers (JSON-LD unless it asks
    for XML), or 406 when it accepts none of them."""
    preferred = request.get_preferred_type(QUERY_MEDIA_TYPES)
    if preferred is None:
        raise DomainError(
            "not_acceptable",
            _("The events can be answered as %(types)s; the Accept header allows none of them.")
            % {"types": ", ".join(QUERY_MEDIA_TYPES)},
            details={"supported": list(QUERY_MEDIA_TYPES), "accept": request.headers.get("Accept", "")},
            status_code=406,
        )
    return preferred


def _renamed(value, renames: dict[str, str]):
    """The event with the CURIE prefixes in `renames` replaced, in keys and in CURIE values."""

    def curie(text: str) -> str:
        prefix, sep, rest = text.partition(":")
        return f"{renames[prefix]}:{rest}" if sep and prefix in renames else text

    if isinstance(value, dict):
        return {curie(k): _renamed(v, renames) for k, v in value.items()}
    if isinstance(value, list):
        return [_renamed(v, renames) for v in value]
    return curie(value) if isinstance(value, str) else value


def query_document(events: list[dict], contexts: list[dict], query_name: str = "SimpleEventQuery") -> dict:
    """The EPCISQueryDocument of the events. Their documents may have bound one prefix to
    different namespaces; the answer has one `@context`, so such a prefix is renamed (`example2`)
    in the events that used it for the other namespace."""
    prefixes: dict[str, str] = {}
    answered = []
    for event, ctx in zip(events, contexts, strict=True):
        renames: dict[str, str] = {}
        for prefix, uri in ctx.items():
            if prefixes.setdefault(prefix, uri) == uri:
                continue
            other = next((p for p, u in prefixes.items() if u == uri), None)
            if other is None:
                n = 2
                while f"{prefix}{n}" in prefixes or f"{prefix}{n}" in ctx:
                    n += 1
                other = f"{prefix}{n}"
                prefixes[other] = uri
            renames[prefix] = other
        answered.append(_renamed(event, renames) if renames else event)
    return {
        "@context": [vocab.STANDARD_CONTEXT, *({k: v} for k, v in sorted(prefixes.items()))],
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": timezone.now().isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "epcisBody": {"queryResults": {"queryName": query_name, "resultsBody": {"eventList": answered}}},
    }


def _events_answer(request: HttpRequest, actor: Actor, extra: dict[str, str] | None = None) -> HttpResponse:
    """One page of events as JSON-LD or, when the client's `Accept` asks for it, as an XML
    EPCISQueryDocument; the next page (same filters, same format) is in the `Link` header."""
    media_type = _answer_type(request)
    epc_format = request.META.get("HTTP_GS1_EPC_FORMAT", "No_Preference")
    if epc_format not in EPC_FORMATS:
        raise ValidationFailed(
            "bad_epc_format", _("GS1-EPC-Format must be one of: %(v)s.") % {"v": ", ".join(EPC_FORMATS)}
        )
    params = dict(request.GET.items())
    params.update(extra or {})
    rows, token = selectors.events_query(actor=actor, params=params)
    body = query_document(
        [selectors.event_render(r, epc_format=epc_format) for r in rows], [r.context for r in rows]
    )
    if media_type.endswith("xml"):
        try:
            content = xmlconv.query_document_to_xml(body)
        except xmlconv.NotRepresentable as exc:
            raise DomainError(
                "not_representable_in_xml",
                _("An event has a member with no XML name (%(key)s); ask for JSON-LD instead.")
                % {"key": exc},
                details={"member": str(exc)},
                status_code=406,
            ) from exc
        response = HttpResponse(content, content_type=f"{media_type}; charset=utf-8")
    else:
        response = HttpResponse(json.dumps(body, ensure_ascii=False), content_type=media_type)
    patch_vary_headers(response, ("Accept",))
    response["GS1-EPC-Format"] = epc_format
    if token:
        query = request.GET.copy()
        query["nextPageToken"] = token
        response["Link"] = f'<{request.path}?{query.urlencode()}>; rel="next"'
        response["GS1-Next-Page-Token-Expires"] = (timezone.now() + timezone.timedelta(hours=24)).isoformat()
    return response


@endpoint
@replica_reads  # a second of lag is fine for queries (docs/operations.md)
def events(request: HttpRequest, actor: Actor | None) -> HttpResponse:
    refused = _allow(request, ("GET",))
    return refused if refused is not None else _events_answer(request, actor)


@endpoint
@replica_reads  # a second of lag is fine for queries (docs/operations.md)
def event_types(request: HttpRequest, actor: Actor | None) -> HttpResponse:
    refused = _allow(request, ("GET",))
    return refused if refused is not None else JsonResponse({"@set": [t.label for t in EpcisEventType]})


@endpoint
@replica_reads  # a second of lag is fine for queries (docs/operations.md)
def event_type_events(request: HttpRequest, actor: Actor | None, event_type: str) -> HttpResponse:
    refused = _allow(request, ("GET",))
    return refused if refused is not None else _events_answer(request, actor, {"eventType": event_type})


@endpoint
@replica_reads  # a second of lag is fine for queries (docs/operations.md)
def epc_events(request: HttpRequest, actor: Actor | None, epc: str) -> HttpResponse:
    refused = _allow(request, ("GET",))
    return refused if refused is not None else _events_answer(request, actor, {"MATCH_anyEPC": epc})


@endpoint
@replica_reads  # a second of lag is fine for queries (docs/operations.md)
def collection(request: HttpRequest, actor: Actor | None, name: str) -> HttpResponse:
    refused = _allow(request, ("GET",))
    if refused is not None:
        return refused
    return JsonResponse({"@set": selectors.distinct_values(actor=actor, column=COLLECTIONS[name])})


@endpoint
@replica_reads  # a second of lag is fine for queries (docs/operations.md)
def collection_events(request: HttpRequest, actor: Actor | None, name: str, value: str) -> HttpResponse:
    refused = _allow(request, ("GET",))
    return refused if refused is not None else _events_answer(request, actor, {COLLECTION_PARAM[name]: value})
