"""`Patient/{id}/$summary`: the International Patient Summary (IPS) as a FHIR document Bundle.

A `Composition` first (LOINC 60591-5) with the IPS sections — problems, allergies and
medications (required; an empty one says `nilknown`), immunizations, results and vital signs —
then the patient and every resource the sections name; the patient's sick leaves follow in a
section of their own, each as the sick-leave module's `Composition`. Entered-in-error,
resolved and stopped items are left out (they stay in the record, readable by search).
"""

from __future__ import annotations

import json
import re
import uuid
from html import escape
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from salamat.records import selectors
from salamat.records.fhir.render import patient_json
from salamat.records.models import Patient, ResourceType
from salamat.sickleave.fhir import CS_DOCUMENT_TYPE, composition_for

LOINC = "http://loinc.org"
EMPTY_REASON = "http://terminology.hl7.org/CodeSystem/list-empty-reason"
_GONE = {
    "entered-in-error",
    "resolved",
    "inactive",
    "remission",
    "stopped",
    "cancelled",
    "not-done",
    "completed-not",
}


def _section(
    code: str, display: str, title: str, rows: list[selectors.ResourceRow], *, required: bool
) -> dict[str, Any] | None:
    if not rows and not required:
        return None
    section: dict[str, Any] = {
        "title": title,
        "code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
    }
    if rows:
        section["entry"] = [{"reference": r.reference} for r in rows]
        items = "".join(f"<li>{escape(_label(r))}</li>" for r in rows)
        section["text"] = {
            "status": "generated",
            "div": f'<div xmlns="http://www.w3.org/1999/xhtml"><ul>{items}</ul></div>',
        }
    else:
        section["emptyReason"] = {
            "coding": [{"system": EMPTY_REASON, "code": "nilknown", "display": "Nil Known"}]
        }
        section["text"] = {
            "status": "generated",
            "div": f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{escape(str(_("Nothing recorded.")))}</p></div>',
        }
    return section


def _label(row: selectors.ResourceRow) -> str:
    concept = row.concept
    text = concept.get("text") if isinstance(concept, dict) else None
    coding = (concept.get("coding") or [{}])[0] if isinstance(concept, dict) else {}
    label = text or coding.get("display") or f"{coding.get('code', '')}".strip() or row.resource_type
    quantity = row.quantity
    if isinstance(quantity, dict) and "value" in quantity:
        label = f"{label}: {quantity['value']} {quantity.get('unit') or quantity.get('code', '')}".rstrip()
    return f"{row.effective:%Y-%m-%d} {label}"


def _current(rows: list[selectors.ResourceRow], *types: str) -> list[selectors.ResourceRow]:
    return [r for r in rows if r.resource_type in types and r.status not in _GONE]


_STORED = re.compile(r'"stored-([0-9a-f]{32})-(\d+)"')


def stored_marker() -> str:
    """A fresh marker for `dumps_with_stored` (``marker + str(i)`` stands for `stored[i]`)."""
    return f"stored-{uuid.uuid4().hex}-"


def dumps_with_stored(document: dict[str, Any], stored: list[str], marker: str) -> str:
    """`document` as JSON text, each string ``"<marker><i>"`` in it replaced by the stored JSON
    text `stored[i]` (resources are answered as stored, not parsed and serialised again)."""
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    nonce = marker.split("-")[1]
    return _STORED.sub(lambda m: stored[int(m.group(2))] if m.group(1) == nonce else m.group(0), text)


def summary_bundle(*, patient: Patient, base_url: str, log=None) -> str:
    """The IPS document Bundle of `patient` as JSON text (`base_url`: the FHIR base, for the
    entries' fullUrls; `log`: the read's access-log row, stored with the record's one query).
    A fixed number of queries whatever the size of the record or the number of sick leaves."""
    rows = selectors.patient_record_rows(patient=patient, log=log)
    observations = _current(rows, ResourceType.OBSERVATION)
    sections = [
        _section(
            "11450-4",
            "Problem list - Reported",
            str(_("Active problems")),
            _current(rows, ResourceType.CONDITION),
            required=True,
        ),
        _section(
            "48765-2",
            "Allergies and adverse reactions Document",
            str(_("Allergies and intolerances")),
            _current(rows, ResourceType.ALLERGY),
            required=True,
        ),
        _section(
            "10160-0",
            "History of Medication use Narrative",
            str(_("Medications")),
            _current(rows, ResourceType.MEDICATION_STATEMENT, ResourceType.MEDICATION_REQUEST),
            required=True,
        ),
        _section(
            "11369-6",
            "History of Immunization Narrative",
            str(_("Immunizations")),
            _current(rows, ResourceType.IMMUNIZATION),
            required=False,
        ),
        _section(
            "30954-2",
            "Relevant diagnostic tests/laboratory data Narrative",
            str(_("Results")),
            [o for o in observations if o.category != "vital-signs"],
            required=False,
        ),
        _section(
            "8716-3",
            "Vital signs",
            str(_("Vital signs")),
            [o for o in observations if o.category == "vital-signs"],
            required=False,
        ),
        _section(
            "47519-4",
            "History of Procedures Document",
            str(_("Procedures")),
            _current(rows, ResourceType.PROCEDURE),
            required=False,
        ),
    ]
    sections = [s for s in sections if s is not None]
    leaves = selectors.sick_leaves_of_patient(patient=patient)
    if leaves:
        sections.append(
            {
                "title": str(_("Sick-leave certificates")),
                "code": {
                    "coding": [
                        {
                            "system": CS_DOCUMENT_TYPE,
                            "code": "sick-leave",
                            "display": "Sick-leave certificate",
                        }
                    ]
                },
                "entry": [{"reference": f"Composition/{leave.external_id}"} for leave in leaves],
                "text": {
                    "status": "generated",
                    "div": '<div xmlns="http://www.w3.org/1999/xhtml"><ul>'
                    + "".join(
                        f"<li>{escape(leave.number)} ({escape(leave.get_status_display())})</li>"
                        for leave in leaves
                    )
                    + "</ul></div>",
                },
            }
        )
    now = timezone.now()
    composition_id = str(uuid.uuid4())
    composition = {
        "resourceType": "Composition",
        "id": composition_id,
        "status": "final",
        "type": {"coding": [{"system": LOINC, "code": "60591-5", "display": "Patient summary Document"}]},
        "subject": {"reference": f"Patient/{patient.external_id}"},
        "date": now.isoformat(),
        "author": [{"display": "Salamat"}],
        "title": str(_("Patient summary")),
        "section": sections,
    }
    named = {ref["reference"] for s in sections for ref in s.get("entry", [])}
    entries = [
        {"fullUrl": f"{base_url}Composition/{composition_id}", "resource": composition},
        {"fullUrl": f"{base_url}Patient/{patient.external_id}", "resource": patient_json(patient)},
    ]
    marker = stored_marker()
    stored = [r.body_text for r in rows if r.reference in named]
    entries += [
        {"fullUrl": f"{base_url}{r.reference}", "resource": f"{marker}{i}"}
        for i, r in enumerate(r for r in rows if r.reference in named)
    ]
    entries += [
        {"fullUrl": f"{base_url}Composition/{leave.external_id}", "resource": composition_for(leave)}
        for leave in leaves
    ]
    document = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{uuid.uuid4()}"},
        "type": "document",
        "timestamp": now.isoformat(),
        "entry": entries,
    }
    return dumps_with_stored(document, stored, marker)


def record_bundle(*, patient: Patient, base_url: str) -> dict[str, Any]:
    """The patient's whole record as a `collection` Bundle (the patient's download)."""
    rows = selectors.patient_record(patient=patient)
    entries = [{"fullUrl": f"{base_url}Patient/{patient.external_id}", "resource": patient_json(patient)}]
    entries += [{"fullUrl": f"{base_url}{r.reference}", "resource": r.body} for r in rows]
    entries += [
        {"fullUrl": f"{base_url}Composition/{leave.external_id}", "resource": composition_for(leave)}
        for leave in selectors.sick_leaves_of_patient(patient=patient)
    ]
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "collection",
        "timestamp": timezone.now().isoformat(),
        "entry": entries,
    }
