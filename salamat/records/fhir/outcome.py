"""Every refusal of the FHIR API as an `OperationOutcome` — mapped here, in one place.

The issue's ``details.coding`` carries the platform's stable code (system `CS_ERROR`), so that
a client switches on ``unknown_pin`` or ``missing_unit`` rather than on the text; ``expression``
names the field in FHIRPath (``Bundle.entry[2].resource.valueQuantity``).
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse

from salamat.core.errors import DomainError

FHIR_JSON = "application/fhir+json; charset=utf-8"
CS_ERROR = "https://salamat.example/fhir/CodeSystem/error"

_ISSUE_BY_STATUS = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    409: "conflict",
    412: "conflict",
    413: "too-long",
    415: "not-supported",
    422: "processing",
    429: "throttled",
}


def _expressions(exc: DomainError, resource_type: str | None) -> list[str]:
    details = exc.details if isinstance(exc.details, dict) else {}
    paths = [p for p in details.get("expression") or [] if p]
    # Errors of the platform's shared checks (e.g. a PIN's shape) name fields the same way.
    paths += [f["field"] for f in details.get("fields") or [] if isinstance(f, dict) and f.get("field")]
    entry = details.get("entry")
    if entry is not None:
        base = (
            f"Bundle.entry[{entry}]" if details.get("outside_resource") else f"Bundle.entry[{entry}].resource"
        )
        if not paths:
            return [f"Bundle.entry[{entry}]"]
        return [p if p.startswith("Bundle") else f"{base}.{p}" for p in paths]
    if resource_type:
        return [p if p.startswith(("Bundle", resource_type)) else f"{resource_type}.{p}" for p in paths]
    return paths


def outcome(
    *,
    code: str,
    message: str,
    issue: str = "processing",
    severity: str = "error",
    expression: list[str] | None = None,
) -> dict[str, Any]:
    """An OperationOutcome with one issue."""
    item: dict[str, Any] = {
        "severity": severity,
        "code": issue,
        "details": {"coding": [{"system": CS_ERROR, "code": code}], "text": message},
        "diagnostics": message,
    }
    if expression:
        item["expression"] = expression
    return {"resourceType": "OperationOutcome", "issue": [item]}


def outcome_for(exc: DomainError, *, resource_type: str | None = None) -> tuple[int, dict[str, Any]]:
    """The HTTP status and OperationOutcome for a refusal."""
    details = exc.details if isinstance(exc.details, dict) else {}
    status = exc.status_code
    issue = details.get("issue") or _ISSUE_BY_STATUS.get(status, "processing")
    return status, outcome(
        code=exc.code, message=exc.message, issue=issue, expression=_expressions(exc, resource_type)
    )


def fhir_response(body: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    """`body` as FHIR JSON (a str is taken as JSON text already)."""
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    response = HttpResponse(text, status=status, content_type=FHIR_JSON)
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def error_response(exc: DomainError, *, resource_type: str | None = None) -> HttpResponse:
    status, body = outcome_for(exc, resource_type=resource_type)
    headers = {"WWW-Authenticate": 'Bearer realm="salamat"'} if status == 401 else None
    return fhir_response(body, status=status, headers=headers)
