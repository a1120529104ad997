"""Refusals of the record: the platform's `DomainError` family, carrying what FHIR needs.

Each refusal has a stable snake_case ``code`` (tests and clients switch on it), an HTTP
status, the FHIR issue type (``invalid``, ``not-found``, ``forbidden``...) and the FHIRPath
``expression`` of the offending field relative to the resource (``code.coding[0].code``).
A transaction adds the entry's index; `salamat.records.fhir.outcome` turns all of it into
an `OperationOutcome` naming ``Bundle.entry[n].resource.code.coding[0].code``.
"""

from __future__ import annotations

from salamat.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed

_BY_STATUS: dict[int, type[DomainError]] = {
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    422: ValidationFailed,
}


def refuse(
    code: str,
    message: str,
    *,
    expression: str | None = None,
    status: int = 422,
    issue: str = "processing",
    **details,
) -> DomainError:
    """A refusal naming the field (`expression`, relative to the resource) and the FHIR issue type."""
    cls = _BY_STATUS.get(status, DomainError)
    return cls(
        code,
        message,
        details={"issue": issue, "expression": [expression] if expression else [], **details},
        status_code=status,
    )


def at_entry(exc: DomainError, index: int) -> DomainError:
    """The same refusal, saying it concerns `Bundle.entry[index]`."""
    details = dict(exc.details) if isinstance(exc.details, dict) else {"detail": exc.details}
    details["entry"] = index
    exc.details = details
    return exc
