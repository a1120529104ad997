"""What the FHIR endpoint supports, as data: the views dispatch on it and `GET /fhir/metadata`
publishes it, so the CapabilityStatement cannot say more (or less) than the server does."""

from __future__ import annotations

from typing import Any

from salamat.records.models import ResourceType

FHIR_VERSION = "4.0.1"

# Search parameters every clinical type takes (name, type, documentation).
COMMON_SEARCH = (
    ("patient", "reference", "The patient: Patient/{id} or {id} (required; also `subject`)."),
    ("subject", "reference", "Same as patient."),
    ("patient.identifier", "token", "The patient by PIN or temporary identifier: system|value."),
    ("date", "date", "The clinical date, with prefixes eq, ne, gt, ge, lt, le."),
    ("code", "token", "system|code, |code or code; several separated by commas."),
    ("status", "token", "The status (for diagnoses and allergies: clinical status, or entered-in-error)."),
    ("category", "token", "The category (encounters: the class AMB, IMP, EMER, HH)."),
    ("_lastUpdated", "date", "When the version was stored, with prefixes."),
    ("_count", "number", "Page size (default 50, at most 200); the `next` link continues."),
)
PATIENT_SEARCH = (
    ("identifier", "token", "PIN or temporary identifier: system|value."),
    ("family", "string", "Family name, exact (with birthdate)."),
    ("given", "string", "Given name, exact (optional, with family and birthdate)."),
    ("birthdate", "date", "Birth date YYYY-MM-DD (required with family)."),
    ("_count", "number", "At most this many patients."),
)

# Types whose resources name an encounter (`encounter`): `_include={Type}:encounter` works there.
WITH_ENCOUNTER = frozenset(
    {
        ResourceType.CONDITION,
        ResourceType.ALLERGY,
        ResourceType.MEDICATION_REQUEST,
        ResourceType.IMMUNIZATION,
        ResourceType.OBSERVATION,
        ResourceType.PROCEDURE,
    }
)


def includes_of(resource_type: str) -> list[str]:
    out = [f"{resource_type}:patient", f"{resource_type}:subject"]
    if resource_type in WITH_ENCOUNTER:
        out.append(f"{resource_type}:encounter")
    return out


def _param(name: str, kind: str, doc: str) -> dict[str, str]:
    return {"name": name, "type": kind, "documentation": doc}


def capability_statement(*, base_url: str, software_version: str = "1") -> dict[str, Any]:
    """The CapabilityStatement of the platform's FHIR endpoint."""
    resources: list[dict[str, Any]] = [
        {
            "type": "Patient",
            "interaction": [{"code": "read"}, {"code": "search-type"}, {"code": "create"}],
            "searchParam": [_param(*p) for p in PATIENT_SEARCH],
            "operation": [
                {"name": "match", "definition": "http://hl7.org/fhir/OperationDefinition/Patient-match"},
                {"name": "summary", "definition": "http://hl7.org/fhir/uv/ips/OperationDefinition/summary"},
                {
                    "name": "link",
                    "definition": "https://salamat.example/fhir/OperationDefinition/Patient-link",
                },
            ],
            "documentation": (
                "Demographics come from the population registry: a Patient created with a PIN is "
                "the registry's person (unknown_pin otherwise); without a PIN the platform issues "
                "a temporary identifier. $link joins a temporary patient to their PIN."
            ),
        },
        {"type": "Practitioner", "interaction": [{"code": "read"}]},
    ]
    for resource_type in ResourceType.values:
        resources.append(
            {
                "type": resource_type,
                "versioning": "versioned",
                "readHistory": True,
                "updateCreate": False,
                "conditionalCreate": True,
                "conditionalUpdate": False,
                "conditionalDelete": "not-supported",
                "interaction": [
                    {"code": c}
                    for c in ("read", "vread", "update", "history-instance", "create", "search-type")
                ],
                "searchInclude": includes_of(resource_type),
                "searchParam": [_param(*p) for p in COMMON_SEARCH],
            }
        )
    resources.append(
        {
            "type": "Composition",
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": [_param("patient", "reference", "The patient's sick-leave certificates.")],
            "documentation": "Sick-leave certificates (written by the sick-leave module, read here).",
        }
    )
    resources.append(
        {
            "type": "Binary",
            "interaction": [{"code": "read"}],
            "documentation": "The PDF a DocumentReference carries (application/pdf, or Binary JSON).",
        }
    )
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-12-06",
        "publisher": "Salamat",
        "kind": "instance",
        "software": {"name": "Salamat", "version": software_version},
        "implementation": {"description": "Salamat unified patient record", "url": base_url},
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json", "application/json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "description": (
                        "Authorization: Bearer <organisation API token> (the same tokens as /api/v1/); "
                        "reads also with a logged-in session. Writes: doctors' organisations only."
                    )
                },
                "resource": resources,
                "interaction": [{"code": "transaction"}],
            }
        ],
    }
