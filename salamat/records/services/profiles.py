"""The platform's rules per resource type: which coded values, units and dates each kind must
carry, and the columns the record searches on (`Columns`), worked out from a checked resource.
Pure reading of the submitted JSON: `engine.prepare` calls it; nothing here touches the database."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from salamat.records import codelists
from salamat.records.errors import refuse
from salamat.records.models import ResourceType
from salamat.sickleave.fhir import ICD10

ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ENCOUNTER_CLASSES = frozenset({"AMB", "IMP", "EMER", "HH"})
PDF_MAGIC = b"%PDF-"
_LOINC = re.compile(r"^\d{1,7}-\d$")
_FUTURE_SKEW = timedelta(minutes=5)
_ENTERED_IN_ERROR = "entered-in-error"


# --- dates ------------------------------------------------------------------------------------


def parse_fhir_datetime(value: Any) -> datetime | None:
    """A FHIR date or dateTime (2024, 2024-05, 2024-05-01, 2024-05-01T10:00:00+06:00) as aware datetime."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    try:
        if "T" in text:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)
        parts = text.split("-")
        day = date(
            int(parts[0]), int(parts[1]) if len(parts) > 1 else 1, int(parts[2]) if len(parts) > 2 else 1
        )
    except ValueError:
        return None
    return timezone.make_aware(datetime.combine(day, time.min))


def _first(*values: Any) -> Any:
    return next((v for v in values if v), None)


def json_get(node: Any, *path: str | int) -> Any:
    """The value at `path` (keys and list indexes) in submitted JSON, or None where it stops."""
    for step in path:
        if isinstance(step, int):
            node = node[step] if isinstance(node, list) and len(node) > step else None
        else:
            node = node.get(step) if isinstance(node, dict) else None
        if node is None:
            return None
    return node


def _coding0(concept: Any) -> tuple[str, str]:
    coding = json_get(concept, "coding", 0) or {}
    return str(coding.get("system", "")), str(coding.get("code", ""))


# --- the platform's rules, per resource type ------------------------------------------------


@dataclass
class Columns:
    status: str = ""
    category: str = ""
    code_system: str = ""
    code: str = ""
    effective: datetime | None = None
    effective_path: str = ""


def _status_from_clinical(body: dict[str, Any]) -> str:
    if json_get(body, "verificationStatus", "coding", 0, "code") == _ENTERED_IN_ERROR:
        return _ENTERED_IN_ERROR
    return str(json_get(body, "clinicalStatus", "coding", 0, "code") or "")


def _encounter(body: dict[str, Any]) -> Columns:
    klass = body.get("class") or {}
    if klass.get("code") not in ENCOUNTER_CLASSES:
        raise refuse(
            "encounter_class_unknown",
            _(
                "The encounter class is AMB (outpatient), IMP (hospital stay), EMER (emergency) or HH (home visit)."
            ),
            expression="class.code",
            issue="code-invalid",
        )
    start = json_get(body, "period", "start")
    if not start:
        raise refuse(
            "period_start_required",
            _("An encounter has a start (period.start)."),
            expression="period.start",
            issue="required",
        )
    system, code = _coding0(json_get(body, "type", 0))
    return Columns(
        body.get("status", ""), klass["code"], system, code, parse_fhir_datetime(start), "period.start"
    )


def _condition(body: dict[str, Any]) -> Columns:
    codings = json_get(body, "code", "coding") or []
    icd = [(i, c) for i, c in enumerate(codings) if c.get("system") == ICD10]
    if not icd:
        raise refuse(
            "icd10_required",
            _("A diagnosis carries an ICD-10 code (system %(system)s).") % {"system": ICD10},
            expression="code.coding",
            issue="required",
        )
    index, coding = icd[0]
    code = codelists.normalise_code(ICD10, str(coding.get("code", "")))
    if codelists.concept_get(system_uri=ICD10, code=code) is None:
        raise refuse(
            "unknown_icd10",
            _("%(code)s is not a code of the ICD-10 list.") % {"code": coding.get("code", "")},
            expression=f"code.coding[{index}].code",
            issue="code-invalid",
        )
    coding["code"] = code
    effective_path = "onsetDateTime" if body.get("onsetDateTime") else "recordedDate"
    return Columns(
        _status_from_clinical(body),
        str(json_get(body, "category", 0, "coding", 0, "code") or ""),
        ICD10,
        code,
        parse_fhir_datetime(
            _first(
                body.get("onsetDateTime"), json_get(body, "onsetPeriod", "start"), body.get("recordedDate")
            )
        ),
        effective_path,
    )


def _allergy(body: dict[str, Any]) -> Columns:
    system, code = _coding0(body.get("code"))
    return Columns(
        _status_from_clinical(body),
        str(json_get(body, "category", 0) or ""),
        system,
        code,
        parse_fhir_datetime(_first(body.get("onsetDateTime"), body.get("recordedDate"))),
        "onsetDateTime" if body.get("onsetDateTime") else "recordedDate",
    )


def _medication_request(body: dict[str, Any]) -> Columns:
    system, code = _coding0(body.get("medicationCodeableConcept"))
    return Columns(
        body.get("status", ""),
        str(json_get(body, "category", 0, "coding", 0, "code") or ""),
        system,
        code,
        parse_fhir_datetime(body.get("authoredOn")),
        "authoredOn",
    )


def _medication_statement(body: dict[str, Any]) -> Columns:
    system, code = _coding0(body.get("medicationCodeableConcept"))
    return Columns(
        body.get("status", ""),
        str(json_get(body, "category", "coding", 0, "code") or ""),
        system,
        code,
        parse_fhir_datetime(
            _first(
                body.get("effectiveDateTime"),
                json_get(body, "effectivePeriod", "start"),
                body.get("dateAsserted"),
            )
        ),
        "effectiveDateTime",
    )


def _immunization(body: dict[str, Any]) -> Columns:
    codings = json_get(body, "vaccineCode", "coding") or []
    listed = [(i, c) for i, c in enumerate(codings) if c.get("system") == codelists.VACCINE]
    if not listed:
        raise refuse(
            "vaccine_code_required",
            _("A vaccination names the vaccine from the vaccine list (system %(system)s).")
            % {"system": codelists.VACCINE},
            expression="vaccineCode.coding",
            issue="required",
        )
    index, coding = listed[0]
    if codelists.concept_get(system_uri=codelists.VACCINE, code=str(coding.get("code", ""))) is None:
        raise refuse(
            "unknown_vaccine",
            _("This vaccine is not on the vaccine list."),
            expression=f"vaccineCode.coding[{index}].code",
            issue="code-invalid",
        )
    if not body.get("occurrenceDateTime"):
        raise refuse(
            "occurrence_required",
            _("A vaccination has its date (occurrenceDateTime)."),
            expression="occurrenceDateTime",
            issue="required",
        )
    return Columns(
        body.get("status", ""),
        "",
        codelists.VACCINE,
        coding["code"],
        parse_fhir_datetime(body["occurrenceDateTime"]),
        "occurrenceDateTime",
    )


def _check_quantity(quantity: Any, expression: str) -> None:
    if quantity is None:
        return
    if quantity.get("system") != codelists.UCUM or not quantity.get("code"):
        raise refuse(
            "missing_unit",
            _("A measured value carries its unit in UCUM (system %(system)s and code).")
            % {"system": codelists.UCUM},
            expression=expression,
            issue="required",
        )


def _observation(body: dict[str, Any]) -> Columns:
    codings = json_get(body, "code", "coding") or []
    chosen: tuple[str, str] | None = None
    for i, coding in enumerate(codings):
        system, code = str(coding.get("system", "")), str(coding.get("code", ""))
        if system == codelists.LOINC:
            if not _LOINC.match(code):
                raise refuse(
                    "loinc_malformed",
                    _("A LOINC code looks like 8867-4."),
                    expression=f"code.coding[{i}].code",
                    issue="code-invalid",
                )
            chosen = chosen or (system, code)
        elif system == codelists.LOCAL_LAB:
            if codelists.concept_get(system_uri=system, code=code) is None:
                raise refuse(
                    "unknown_lab_code",
                    _("This code is not on the local laboratory list."),
                    expression=f"code.coding[{i}].code",
                    issue="code-invalid",
                )
            chosen = chosen or (system, code)
    if chosen is None:
        raise refuse(
            "observation_code_system",
            _("An observation is coded in LOINC or the local laboratory list."),
            expression="code.coding",
            issue="code-invalid",
        )
    _check_quantity(body.get("valueQuantity"), "valueQuantity")
    for i, component in enumerate(body.get("component") or []):
        _check_quantity(component.get("valueQuantity"), f"component[{i}].valueQuantity")
    return Columns(
        body.get("status", ""),
        str(json_get(body, "category", 0, "coding", 0, "code") or ""),
        chosen[0],
        chosen[1],
        parse_fhir_datetime(
            _first(
                body.get("effectiveDateTime"), json_get(body, "effectivePeriod", "start"), body.get("issued")
            )
        ),
        "effectiveDateTime",
    )


def _procedure(body: dict[str, Any]) -> Columns:
    system, code = _coding0(body.get("code"))
    return Columns(
        body.get("status", ""),
        str(json_get(body, "category", "coding", 0, "code") or ""),
        system,
        code,
        parse_fhir_datetime(
            _first(body.get("performedDateTime"), json_get(body, "performedPeriod", "start"))
        ),
        "performedDateTime",
    )


def _document_reference(body: dict[str, Any]) -> Columns:
    system, code = _coding0(body.get("type"))
    return Columns(
        body.get("status", ""),
        str(json_get(body, "category", 0, "coding", 0, "code") or ""),
        system,
        code,
        parse_fhir_datetime(body.get("date")),
        "date",
    )


PROFILES = {
    ResourceType.ENCOUNTER: _encounter,
    ResourceType.CONDITION: _condition,
    ResourceType.ALLERGY: _allergy,
    ResourceType.MEDICATION_REQUEST: _medication_request,
    ResourceType.MEDICATION_STATEMENT: _medication_statement,
    ResourceType.IMMUNIZATION: _immunization,
    ResourceType.OBSERVATION: _observation,
    ResourceType.PROCEDURE: _procedure,
    ResourceType.DOCUMENT: _document_reference,
}
# Where each type names its patient.
PATIENT_FIELD = {ResourceType.ALLERGY: "patient", ResourceType.IMMUNIZATION: "patient"}
