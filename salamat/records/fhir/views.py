"""The FHIR R4 REST endpoint under /fhir/ (thin: parse, decide access, call services/selectors).

Every answer is `application/fhir+json`; every refusal an `OperationOutcome`
(`salamat.records.fhir.outcome`). Writes need an organisation's API token (no cookies, so no
CSRF); reads also accept a logged-in session (the patient, a doctor in the browser).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from salamat.accounts.selectors import (
    actor_for_api_client,
    actor_for_request,
    api_client_authenticate,
    user_by_external_id,
)
from salamat.core.actors import Actor
from salamat.core.conf import setting
from salamat.core.errors import DomainError
from salamat.records import selectors, services
from salamat.records.access import (
    AccessDecision,
    Purpose,
    access_check,
    access_decide,
    access_record,
    is_clinical_actor,
)
from salamat.records.errors import refuse
from salamat.records.fhir.capability import COMMON_SEARCH, PATIENT_SEARCH, capability_statement, includes_of
from salamat.records.fhir.outcome import error_response, fhir_response, outcome
from salamat.records.fhir.render import patient_json, practitioner_json
from salamat.records.fhir.summary import dumps_with_stored, stored_marker, summary_bundle
from salamat.records.models import Patient, Resource, ResourceType
from salamat.records.services.engine import check_type, patient_for_identifier
from salamat.sickleave.fhir import SID_PIN, composition_for

_ACCEPTED_TYPES = ("application/fhir+json", "application/json")
_ALWAYS_ALLOWED_PARAMS = {"_format", "_pretty", "_cursor", "_include"}


# --- plumbing ---------------------------------------------------------------------------------


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/fhir/")


def request_actor(request: HttpRequest) -> Actor:
    """The caller: an organisation's API client (bearer token) or a logged-in person."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        try:
            return actor_for_api_client(api_client_authenticate(header[7:].strip()))
        except DomainError as exc:
            raise refuse(
                exc.code,
                exc.message,
                status=exc.status_code,
                issue="login" if exc.status_code == 401 else "forbidden",
            ) from None
    actor = actor_for_request(request)
    if actor.user is None:
        raise refuse(
            "not_authenticated",
            _("Authentication required: send an API token or log in."),
            status=401,
            issue="login",
        )
    return actor


def _token_actor(request: HttpRequest) -> Actor:
    actor = request_actor(request)
    if actor.api_client is None:
        raise refuse(
            "token_required",
            _("Writes to the record need the clinic's API token."),
            status=403,
            issue="forbidden",
        )
    return actor


def _body(request: HttpRequest) -> Any:
    limit = setting("RECORD_MAX_BODY_BYTES")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit or len(request.body) > limit:
        raise refuse(
            "body_too_large",
            _("The request body is larger than the limit of %(limit)d bytes.") % {"limit": limit},
            status=413,
            issue="too-long",
            limit=limit,
        )
    content_type = request.content_type or ""
    if content_type not in _ACCEPTED_TYPES:
        raise refuse(
            "unsupported_media_type", _("Send application/fhir+json."), status=415, issue="not-supported"
        )
    try:
        return json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise refuse(
            "json_invalid", _("The body is not valid JSON."), status=400, issue="structure"
        ) from None


def fhir_endpoint(methods: tuple[str, ...]) -> Callable:
    """Allowed methods; every DomainError as an OperationOutcome; no CSRF (writes need a token)."""

    def decorate(view: Callable) -> Callable:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method not in methods:
                code = "delete_not_supported" if request.method == "DELETE" else "method_not_allowed"
                message = (
                    _("Nothing in the record is deleted: update the resource with status entered-in-error.")
                    if request.method == "DELETE"
                    else _("Method %(method)s is not allowed here.") % {"method": request.method}
                )
                return fhir_response(
                    outcome(code=code, message=message, issue="not-supported"),
                    status=405,
                    headers={"Allow": ", ".join(methods)},
                )
            try:
                return view(request, *args, **kwargs)
            except DomainError as exc:
                return error_response(exc, resource_type=kwargs.get("resource_type"))
            except IntegrityError:
                # Two submissions of the same business identifier at once: one won; resending
                # this one answers what the winner stored.
                return fhir_response(
                    outcome(
                        code="concurrent_submission",
                        message=_("The same resource was being stored at the same moment; send it again."),
                        issue="transient",
                    ),
                    status=409,
                )

        return wrapper

    return decorate


def _resource_headers(row) -> dict[str, str]:
    return {"ETag": f'W/"{row.version_id}"', "Last-Modified": http_date(row.last_updated.timestamp())}


def _decide_patient(
    actor: Actor, patient: Patient, *, interaction: str, types: list[str], log_with_read: bool = False
) -> AccessDecision:
    purpose = Purpose.IDENTIFY if types == ["Patient"] else Purpose.TREATMENT
    return access_check(
        actor=actor,
        patient=patient,
        purpose=purpose,
        interaction=interaction,
        resource_types=types,
        log_with_read=log_with_read,
    )


# --- capability, base -------------------------------------------------------------------------


@fhir_endpoint(("GET",))
def metadata(request: HttpRequest) -> HttpResponse:
    """GET /fhir/metadata: the CapabilityStatement (no authentication needed)."""
    return fhir_response(capability_statement(base_url=base_url(request)))


@fhir_endpoint(("POST",))
def base(request: HttpRequest) -> HttpResponse:
    """POST /fhir/: a transaction Bundle, all or nothing."""
    actor = _token_actor(request)
    bundle = _body(request)
    ctx = services.write_context(actor=actor)
    results = services.bundle_transaction(ctx=ctx, bundle=bundle)
    entries = []
    for result in results:
        target = result.target
        status = "201 Created" if result.created else "200 OK"
        if isinstance(target, Patient):
            response = {"status": status, "location": f"Patient/{target.external_id}"}
        else:
            response = {
                "status": status,
                "location": f"{target.reference}/_history/{target.version_id}",
                "etag": f'W/"{target.version_id}"',
                "lastModified": target.last_updated.isoformat(),
            }
        entries.append({"response": response})
    return fhir_response({"resourceType": "Bundle", "type": "transaction-response", "entry": entries})


# --- type level: search and create ------------------------------------------------------------


@fhir_endpoint(("GET", "POST"))
def type_root(request: HttpRequest, resource_type: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, resource_type)
    if resource_type == "Patient":
        return _patient_search(request)
    if resource_type == "Composition":
        return _composition_search(request)
    check_type(resource_type, writable=False, expression="")
    if resource_type not in ResourceType.values:
        raise refuse(
            "not_supported",
            _("Search is not supported for %(type)s.") % {"type": resource_type},
            status=404,
            issue="not-supported",
        )
    return _search(request, resource_type)


def _create(request: HttpRequest, resource_type: str) -> HttpResponse:
    actor = _token_actor(request)
    data = _body(request)
    if not isinstance(data, dict) or data.get("resourceType") != resource_type:
        raise refuse(
            "type_mismatch",
            _("The body is not a %(type)s.") % {"type": resource_type},
            expression="resourceType",
            status=400,
            issue="invalid",
        )
    ctx = services.write_context(actor=actor)
    if resource_type == "Patient":
        patient, created = services.patient_submit(ctx=ctx, data=data)
        return fhir_response(
            patient_json(patient),
            status=201 if created else 200,
            headers={"Location": f"{base_url(request)}Patient/{patient.external_id}"},
        )
    check_type(resource_type)
    result = services.resource_create(
        ctx=ctx, data=data, if_none_exist=request.headers.get("If-None-Exist", "")
    )
    row = result.resource
    headers = _resource_headers(row) | {
        "Location": f"{base_url(request)}{row.reference}/_history/{row.version_id}"
    }
    return fhir_response(row.body, status=201 if result.created else 200, headers=headers)


def _params(request: HttpRequest, allowed: set[str]) -> dict[str, list[str]]:
    params = {k: request.GET.getlist(k) for k in request.GET}
    unknown = sorted(set(params) - allowed - _ALWAYS_ALLOWED_PARAMS)
    if unknown:
        raise refuse(
            "unknown_search_parameter",
            _("Unsupported search parameter: %(names)s (see /fhir/metadata).")
            % {"names": ", ".join(unknown)},
            status=400,
            issue="not-supported",
            parameters=unknown,
        )
    return params


def _count(params: dict[str, list[str]]) -> int:
    raw = (params.get("_count") or [str(selectors.DEFAULT_COUNT)])[-1]
    try:
        return max(1, min(int(raw), selectors.MAX_COUNT))
    except ValueError:
        raise refuse("count_invalid", _("_count is a number."), status=400, issue="invalid") from None


def _patient_param(params: dict[str, list[str]], actor: Actor | None = None) -> Patient | None:
    """The patient a search names (patient, subject or patient.identifier); None if unknown."""
    value = (params.get("patient") or params.get("subject") or [""])[-1]
    patient = None
    if value:
        patient = selectors.patient_for_read(
            external_id=value.removeprefix("Patient/"), organization=actor.organization if actor else None
        )
    elif params.get("patient.identifier"):
        system, _sep, ident = params["patient.identifier"][-1].rpartition("|")
        patient = selectors.patient_by_identifier(system=system, value=ident)
    else:
        raise refuse(
            "patient_required",
            _("A search names the patient (patient=Patient/{id})."),
            status=400,
            issue="required",
        )
    if patient is not None and patient.replaced_by_id:
        patient = patient.replaced_by
    return patient


def _split(values: list[str]) -> list[str]:
    return [v for item in values for v in item.split(",") if v]


def _search(request: HttpRequest, resource_type: str) -> HttpResponse:
    actor = request_actor(request)
    params = _params(request, {name for name, _kind, _doc in COMMON_SEARCH})
    includes = params.get("_include", [])
    unsupported = [i for i in includes if i not in includes_of(resource_type)]
    if unsupported:
        raise refuse(
            "include_not_supported",
            _("Unsupported _include: %(names)s.") % {"names": ", ".join(unsupported)},
            status=400,
            issue="not-supported",
        )
    patient = _patient_param(params, actor)
    self_link = f"{base_url(request)}{resource_type}?{request.GET.urlencode()}"
    if patient is None:
        return fhir_response(
            {
                "resourceType": "Bundle",
                "type": "searchset",
                "link": [{"relation": "self", "url": self_link}],
                "entry": [],
            }
        )
    query = selectors.SearchQuery(resource_type=resource_type, patient=patient, count=_count(params))
    query.effective = [selectors.date_filter("effective", v) for v in params.get("date", [])]
    query.last_updated = [selectors.date_filter("last_updated", v) for v in params.get("_lastUpdated", [])]
    for token in _split(params.get("code", [])):
        system, sep, code = token.rpartition("|")
        query.codes.append((system if sep else "", code))
    query.statuses = _split(params.get("status", []))
    query.categories = [c.rpartition("|")[2] for c in _split(params.get("category", []))]
    if params.get("_cursor"):
        query.after = selectors.decode_cursor(params["_cursor"][-1])
    # after the parameters parse; the log row is stored with the search's query
    decision = _decide_patient(
        actor, patient, interaction="search", types=[resource_type], log_with_read=True
    )
    rows, following = selectors.resources_search(query, log=decision.log)
    base = base_url(request)
    marker = stored_marker()
    entries: list[dict[str, Any]] = [
        {"fullUrl": f"{base}{r.reference}", "resource": f"{marker}{i}", "search": {"mode": "match"}}
        for i, r in enumerate(rows)
    ]
    entries += _included(base, resource_type, rows, includes, patient)
    links = [{"relation": "self", "url": self_link}]
    if following:
        nxt = {k: v for k, v in request.GET.lists() if k != "_cursor"} | {"_cursor": [following]}
        links.append({"relation": "next", "url": f"{base}{resource_type}?{urlencode(nxt, doseq=True)}"})
    bundle = {"resourceType": "Bundle", "type": "searchset", "link": links, "entry": entries}
    return fhir_response(dumps_with_stored(bundle, [r.body_text for r in rows], marker))


def _included(
    base: str, resource_type: str, rows: list[selectors.ResourceRow], includes: list[str], patient: Patient
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if rows and any(i.endswith((":patient", ":subject")) for i in includes):
        out.append(
            {
                "fullUrl": f"{base}Patient/{patient.external_id}",
                "resource": patient_json(patient),
                "search": {"mode": "include"},
            }
        )
    if f"{resource_type}:encounter" in includes:
        refs = {(r.body.get("encounter") or {}).get("reference") for r in rows} - {None}
        for enc in selectors.resources_by_references(refs):
            if enc.patient_id == patient.pk:
                out.append(
                    {"fullUrl": f"{base}{enc.reference}", "resource": enc.body, "search": {"mode": "include"}}
                )
    return out


def _patient_search(request: HttpRequest) -> HttpResponse:
    actor = request_actor(request)
    params = _params(request, {name for name, _kind, _doc in PATIENT_SEARCH})
    count = _count(params)
    candidates: list[Patient] = []
    if params.get("identifier"):
        system, sep, value = params["identifier"][-1].rpartition("|")
        found = selectors.patient_by_identifier(system=system if sep else "", value=value)
        if found is None and is_clinical_actor(actor) and system in (SID_PIN, ""):
            try:  # the registry knows people the record has not met yet
                found = patient_for_identifier(system=SID_PIN, value=value, expression="identifier")
            except DomainError:
                found = None
        candidates = [found] if found else []
    elif params.get("family") and params.get("birthdate"):
        birth = selectors.date_range(params["birthdate"][-1])[0].date()
        candidates = list(
            selectors.patients_by_name(
                family=params["family"][-1], given=(params.get("given") or [""])[-1], birth_date=birth
            )[:count]
        )
    else:
        raise refuse(
            "patient_search_needs",
            _("Search patients by identifier, or by family and birthdate."),
            status=400,
            issue="required",
        )
    if not is_clinical_actor(actor) and not any(
        actor.user and actor.user.pin and p.pin == actor.user.pin for p in candidates
    ):
        decision = (
            access_decide(actor=actor, patient=candidates[0], purpose=Purpose.IDENTIFY)
            if candidates
            else None
        )
        if decision is not None:
            access_record(
                actor=actor,
                patient=candidates[0],
                decision=decision,
                interaction="search",
                resource_types=["Patient"],
            )
        raise refuse(
            "forbidden",
            _("Only doctors of a medical organisation search for patients."),
            status=403,
            issue="forbidden",
        )
    allowed = []
    for patient in candidates:
        decision = access_decide(
            actor=actor, patient=patient, purpose=Purpose.IDENTIFY, resource_types=["Patient"]
        )
        access_record(
            actor=actor, patient=patient, decision=decision, interaction="search", resource_types=["Patient"]
        )
        if decision.allowed:
            allowed.append(patient)
    base = base_url(request)
    return fhir_response(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(allowed),
            "link": [{"relation": "self", "url": f"{base}Patient?{request.GET.urlencode()}"}],
            "entry": [
                {
                    "fullUrl": f"{base}Patient/{p.external_id}",
                    "resource": patient_json(p),
                    "search": {"mode": "match"},
                }
                for p in allowed
            ],
        }
    )


def _composition_search(request: HttpRequest) -> HttpResponse:
    """GET /fhir/Composition?patient=…: the patient's sick-leave certificates."""
    actor = request_actor(request)
    params = _params(request, {"patient", "subject", "patient.identifier"})
    patient = _patient_param(params, actor)
    base = base_url(request)
    entries = []
    if patient is not None:
        _decide_patient(actor, patient, interaction="search", types=["Composition"])
        entries = [
            {
                "fullUrl": f"{base}Composition/{leave.external_id}",
                "resource": composition_for(leave),
                "search": {"mode": "match"},
            }
            for leave in selectors.sick_leaves_of_patient(patient=patient)
        ]
    return fhir_response(
        {"resourceType": "Bundle", "type": "searchset", "total": len(entries), "entry": entries}
    )


# --- instance level -----------------------------------------------------------------------------


def _resource_or_404(resource_type: str, resource_id: str) -> Resource:
    row = selectors.resource_get(resource_type=resource_type, external_id=resource_id)
    if row is None:
        raise refuse(
            "not_found",
            _("No %(type)s with this id.") % {"type": resource_type},
            status=404,
            issue="not-found",
        )
    return row


@fhir_endpoint(("GET", "PUT"))
def instance(request: HttpRequest, resource_type: str, resource_id: str) -> HttpResponse:
    """GET (read) and PUT (update: a new version) of one resource; DELETE is refused."""
    if resource_type == "Patient":
        return _patient_read(request, resource_id)
    if resource_type == "Practitioner":
        return _practitioner_read(request, resource_id)
    if resource_type == "Binary":
        return _binary_read(request, resource_id)
    check_type(resource_type, writable=False, expression="")
    if request.method == "PUT":
        actor = _token_actor(request)
        data = _body(request)
        ctx = services.write_context(actor=actor)
        update_id = selectors.parse_uuid(resource_id)
        if update_id is None:
            raise refuse(
                "not_found",
                _("No %(type)s with this id.") % {"type": resource_type},
                status=404,
                issue="not-found",
            )
        result = services.resource_update(
            ctx=ctx,
            resource_type=resource_type,
            resource_id=update_id,
            data=data,
            if_match=request.headers.get("If-Match"),
        )
        return fhir_response(result.resource.body, headers=_resource_headers(result.resource))
    actor = request_actor(request)
    row = _resource_or_404(resource_type, resource_id)
    _decide_patient(actor, row.patient, interaction="read", types=[resource_type])
    return fhir_response(row.body, headers=_resource_headers(row))


def _patient_read(request: HttpRequest, patient_id: str) -> HttpResponse:
    if request.method != "GET":
        raise refuse(
            "patient_read_only",
            _("A patient's details come from the population registry."),
            status=405,
            issue="not-supported",
        )
    actor = request_actor(request)
    patient = selectors.patient_get(external_id=patient_id)
    if patient is None:
        raise refuse("not_found", _("No Patient with this id."), status=404, issue="not-found")
    _decide_patient(actor, patient, interaction="read", types=["Patient"])
    return fhir_response(patient_json(patient))


def _practitioner_read(request: HttpRequest, practitioner_id: str) -> HttpResponse:
    if request.method != "GET":
        raise refuse(
            "method_not_allowed", _("Practitioners are read only."), status=405, issue="not-supported"
        )
    request_actor(request)
    from_id = selectors.parse_uuid(practitioner_id)
    user = user_by_external_id(from_id, with_active_membership=True) if from_id else None
    if user is None:
        raise refuse("not_found", _("No Practitioner with this id."), status=404, issue="not-found")
    return fhir_response(practitioner_json(user))


def _binary_read(request: HttpRequest, binary_id: str) -> HttpResponse:
    if request.method != "GET":
        raise refuse(
            "method_not_allowed",
            _("A Binary is written inside its DocumentReference."),
            status=405,
            issue="not-supported",
        )
    actor = request_actor(request)
    document = selectors.document_get(external_id=binary_id)
    if document is None:
        raise refuse("not_found", _("No Binary with this id."), status=404, issue="not-found")
    _decide_patient(actor, document.patient, interaction="read", types=["Binary"])
    with document.file.open("rb") as handle:
        data = handle.read()
    if "application/fhir+json" in request.headers.get("Accept", ""):
        return fhir_response(
            {
                "resourceType": "Binary",
                "id": str(document.external_id),
                "contentType": document.content_type,
                "data": base64.b64encode(data).decode(),
            }
        )
    response = HttpResponse(data, content_type=document.content_type)
    response["Content-Disposition"] = f'inline; filename="{document.external_id}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@fhir_endpoint(("GET",))
def history(request: HttpRequest, resource_type: str, resource_id: str) -> HttpResponse:
    """GET /fhir/{type}/{id}/_history: every version, newest first."""
    check_type(resource_type, writable=False, expression="")
    actor = request_actor(request)
    row = _resource_or_404(resource_type, resource_id)
    _decide_patient(actor, row.patient, interaction="history", types=[resource_type])
    base = base_url(request)
    versions = selectors.resource_history(resource=row)
    entries = [
        {
            "fullUrl": f"{base}{row.reference}",
            "resource": v.body,
            "request": {
                "method": "POST" if v.version_id == 1 else "PUT",
                "url": resource_type if v.version_id == 1 else row.reference,
            },
            "response": {
                "status": "201 Created" if v.version_id == 1 else "200 OK",
                "etag": f'W/"{v.version_id}"',
                "lastModified": v.last_updated.isoformat(),
            },
        }
        for v in versions
    ]
    return fhir_response(
        {"resourceType": "Bundle", "type": "history", "total": len(entries), "entry": entries}
    )


@fhir_endpoint(("GET",))
def vread(request: HttpRequest, resource_type: str, resource_id: str, version_id: int) -> HttpResponse:
    """GET /fhir/{type}/{id}/_history/{vid}: one earlier (or the current) version."""
    check_type(resource_type, writable=False, expression="")
    actor = request_actor(request)
    row = _resource_or_404(resource_type, resource_id)
    _decide_patient(actor, row.patient, interaction="vread", types=[resource_type])
    version = selectors.resource_version(resource=row, version_id=version_id)
    if version is None:
        raise refuse("version_not_found", _("No such version."), status=404, issue="not-found")
    return fhir_response(version.body, headers=_resource_headers(version))


# --- operations ---------------------------------------------------------------------------------


@fhir_endpoint(("GET",))
def patient_summary(request: HttpRequest, patient_id: str) -> HttpResponse:
    """GET /fhir/Patient/{id}/$summary: the IPS document Bundle."""
    actor = request_actor(request)
    patient = selectors.patient_for_read(external_id=patient_id, organization=actor.organization)
    if patient is None:
        raise refuse("not_found", _("No Patient with this id."), status=404, issue="not-found")
    if patient.replaced_by_id:
        patient = patient.replaced_by
    decision = _decide_patient(actor, patient, interaction="summary", types=["*"], log_with_read=True)
    return fhir_response(summary_bundle(patient=patient, base_url=base_url(request), log=decision.log))


def _parameters(data: Any) -> dict[str, dict[str, Any]]:
    if not isinstance(data, dict) or data.get("resourceType") != "Parameters":
        raise refuse(
            "parameters_required",
            _("The body is a Parameters resource."),
            expression="resourceType",
            status=400,
            issue="invalid",
        )
    return {p.get("name"): p for p in data.get("parameter") or [] if isinstance(p, dict)}


@fhir_endpoint(("POST",))
def patient_match(request: HttpRequest) -> HttpResponse:
    """POST /fhir/Patient/$match: candidates for a Patient (PIN: certain; name and birth date: probable)."""
    actor = request_actor(request)
    parameters = _parameters(_body(request))
    resource = (parameters.get("resource") or {}).get("resource")
    if not isinstance(resource, dict) or resource.get("resourceType") != "Patient":
        raise refuse(
            "resource_required",
            _("$match takes a Patient in the parameter 'resource'."),
            expression="Parameters.parameter",
            status=400,
            issue="required",
        )
    if not is_clinical_actor(actor):
        raise refuse(
            "forbidden",
            _("Only doctors of a medical organisation search for patients."),
            status=403,
            issue="forbidden",
        )
    only_certain = bool((parameters.get("onlyCertainMatches") or {}).get("valueBoolean"))
    matches: list[tuple[Patient, float, str]] = []
    for ident in resource.get("identifier") or []:
        found = selectors.patient_by_identifier(system=ident.get("system", ""), value=ident.get("value", ""))
        if found is None and ident.get("system") == SID_PIN:
            try:
                found = patient_for_identifier(
                    system=SID_PIN, value=ident.get("value", ""), expression="identifier"
                )
            except DomainError:
                found = None
        if found is not None:
            matches.append((found, 1.0, "certain"))
            break
    name = (resource.get("name") or [{}])[0]
    if not matches and name.get("family") and resource.get("birthDate"):
        birth = selectors.date_range(resource["birthDate"])[0].date()
        given = " ".join(name.get("given") or [])
        for patient in selectors.patients_by_name(family=name["family"], birth_date=birth)[:10]:
            same_given = bool(given) and patient.given_name.lower() == (name.get("given") or [""])[0].lower()
            matches.append((patient, 0.9 if same_given else 0.6, "probable" if same_given else "possible"))
    if only_certain:
        matches = [m for m in matches if m[2] == "certain"]
    base = base_url(request)
    entries = []
    for patient, score, grade in sorted(matches, key=lambda m: -m[1]):
        decision = access_decide(
            actor=actor, patient=patient, purpose=Purpose.IDENTIFY, resource_types=["Patient"]
        )
        access_record(
            actor=actor, patient=patient, decision=decision, interaction="match", resource_types=["Patient"]
        )
        entries.append(
            {
                "fullUrl": f"{base}Patient/{patient.external_id}",
                "resource": patient_json(patient),
                "search": {
                    "mode": "match",
                    "score": score,
                    "extension": [
                        {"url": "http://hl7.org/fhir/StructureDefinition/match-grade", "valueCode": grade}
                    ],
                },
            }
        )
    return fhir_response(
        {"resourceType": "Bundle", "type": "searchset", "total": len(entries), "entry": entries}
    )


@fhir_endpoint(("POST",))
def patient_link(request: HttpRequest, patient_id: str) -> HttpResponse:
    """POST /fhir/Patient/{temporary id}/$link with the PIN: everything moves to the PIN patient."""
    actor = _token_actor(request)
    parameters = _parameters(_body(request))
    ident = (parameters.get("target-identifier") or {}).get("valueIdentifier") or {}
    if ident.get("system") != SID_PIN or not ident.get("value"):
        raise refuse(
            "pin_required",
            _("$link takes target-identifier: the person's PIN."),
            expression="Parameters.parameter",
            status=400,
            issue="required",
        )
    services.write_context(actor=actor)
    temporary = selectors.patient_get(external_id=patient_id)
    if temporary is None:
        raise refuse("not_found", _("No Patient with this id."), status=404, issue="not-found")
    access_check(
        actor=actor, patient=temporary, purpose=Purpose.TREATMENT, interaction="link", resource_types=["*"]
    )
    target = services.patient_link(actor=actor, temporary=temporary, pin=ident["value"])
    return fhir_response(patient_json(target))


@fhir_endpoint(("GET", "POST", "PUT", "DELETE", "PATCH"))
def unknown(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other address under /fhir/: an OperationOutcome, not a web page."""
    raise refuse(
        "not_found",
        _("There is nothing at this address (see /fhir/metadata)."),
        status=404,
        issue="not-found",
    )
