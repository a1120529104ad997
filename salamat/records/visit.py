"""The browser's visit form as one FHIR transaction Bundle: an Encounter with its diagnoses,
allergies, prescriptions, vaccinations and vital signs, each referring to the encounter, the
patient and the doctor. The record's services store it all or nothing (`bundle_transaction`).

Each entry remembers which form field it came from, so a refusal that names
``Bundle.entry[n]`` and a FHIR field is shown next to the field the doctor filled.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone

from salamat.accounts.models import User
from salamat.records.codelists import LOINC, UCUM, VACCINE
from salamat.records.models import Patient
from salamat.records.presenters import BP_PANEL, SD_VISIT_NOTE, VITALS
from salamat.registry.models import Product
from salamat.sickleave.fhir import ICD10

ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ATC = "http://www.whocc.no/atc"
# Placeholders until the ministry registers national URIs: change here only.
SID_VISIT_FORM = "https://salamat.example/fhir/sid/visit-form"
SID_DRUG_REGISTRATION = "https://salamat.example/fhir/sid/drug-registration"


@dataclass(frozen=True)
class Target:
    """Where a refusal about one entry is shown: a form (by key) and a field per FHIR path."""

    form: str  # "visit", or "<formset prefix>-<index>"
    default_field: str | None
    fields: dict[str, str] = field(default_factory=dict)  # FHIR path prefix -> form field

    def field_for(self, expression: str) -> str | None:
        for prefix, name in self.fields.items():
            if expression.startswith(prefix):
                return name
        return self.default_field


@dataclass
class VisitBundle:
    bundle: dict[str, Any]
    targets: list[Target]


def _iso(when: datetime) -> str:
    return timezone.localtime(when).isoformat(timespec="seconds")


def _quantity(value: Decimal | int, code: str) -> dict[str, Any]:
    number: int | float = int(value) if Decimal(value) == int(value) else float(value)
    return {"value": number, "unit": code, "system": UCUM, "code": code}


def _vital(code: str) -> dict[str, Any]:
    return {"coding": [{"system": LOINC, "code": code, "display": str(VITALS[code][0])}]}


def build_visit_bundle(
    *,
    patient: Patient,
    doctor: User,
    visit: dict[str, Any],
    diagnoses: list[dict[str, Any]],
    allergies: list[dict[str, Any]],
    prescriptions: list[dict[str, Any]],
    vaccinations: list[dict[str, Any]],
    products: dict[str, Product],
) -> VisitBundle:
    """The transaction Bundle of one visit (rows already cleaned by the forms, empty ones left out)."""
    key = str(visit["visit_key"])
    when = _iso(visit["start"])
    subject = {"reference": f"Patient/{patient.external_id}"}
    practitioner = {"reference": f"Practitioner/{doctor.external_id}"}
    encounter_url = f"urn:uuid:{uuid.uuid4()}"
    entries: list[dict[str, Any]] = []
    targets: list[Target] = []

    def add(resource: dict[str, Any], name: str, target: Target, full_url: str | None = None) -> None:
        resource["identifier"] = [{"system": SID_VISIT_FORM, "value": f"{key}/{name}"}]
        entries.append(
            {
                "fullUrl": full_url or f"urn:uuid:{uuid.uuid4()}",
                "resource": resource,
                "request": {"method": "POST", "url": resource["resourceType"]},
            }
        )
        targets.append(target)

    encounter: dict[str, Any] = {
        "resourceType": "Encounter",
        "status": "finished",
        "class": {"system": ACT_CODE, "code": visit["klass"]},
        "subject": subject,
        "participant": [{"individual": practitioner}],
        "period": {"start": when},
    }
    if visit.get("reason"):
        encounter["reasonCode"] = [{"text": visit["reason"]}]
    if visit.get("note"):
        encounter["extension"] = [{"url": SD_VISIT_NOTE, "valueString": visit["note"]}]
    add(
        encounter,
        "encounter",
        Target("visit", None, {"period": "start", "class": "klass", "subject": "", "reasonCode": "reason"}),
        encounter_url,
    )
    context = {"subject": subject, "encounter": {"reference": encounter_url}}

    for i, row in diagnoses:
        add(
            {
                "resourceType": "Condition",
                **context,
                "clinicalStatus": {
                    "coding": [{"system": CONDITION_CLINICAL, "code": row["status"] or "active"}]
                },
                "category": [{"coding": [{"system": CONDITION_CATEGORY, "code": "encounter-diagnosis"}]}],
                "code": {"coding": [{"system": ICD10, "code": row["code"].strip()}]},
                "recordedDate": when,
                "recorder": practitioner,
            },
            f"condition/{i}",
            Target(f"dx-{i}", "code"),
        )
    for i, row in allergies:
        allergy = {
            "resourceType": "AllergyIntolerance",
            "patient": subject,
            "encounter": {"reference": encounter_url},
            "clinicalStatus": {"coding": [{"system": ALLERGY_CLINICAL, "code": "active"}]},
            "code": {"text": row["substance"]},
            "recordedDate": when,
            "recorder": practitioner,
        }
        if row.get("category"):
            allergy["category"] = [row["category"]]
        if row.get("criticality"):
            allergy["criticality"] = row["criticality"]
        if row.get("reaction"):
            allergy["reaction"] = [{"manifestation": [{"text": row["reaction"]}]}]
        add(
            allergy,
            f"allergy/{i}",
            Target(
                f"al-{i}",
                "substance",
                {"category": "category", "criticality": "criticality", "reaction": "reaction"},
            ),
        )
    for i, row in prescriptions:
        product = products.get(row.get("product") or "")
        concept: dict[str, Any] = {"text": row["medication"]}
        if product is not None:
            concept["coding"] = [
                {
                    "system": SID_DRUG_REGISTRATION,
                    "code": product.registration_number,
                    "display": f"{product.trade_name} {product.strength}".strip(),
                }
            ]
            if product.atc_code:
                concept["coding"].append({"system": ATC, "code": product.atc_code, "display": product.inn})
        add(
            {
                "resourceType": "MedicationRequest",
                **context,
                "status": "active",
                "intent": "order",
                "medicationCodeableConcept": concept,
                "authoredOn": when,
                "requester": practitioner,
                "dosageInstruction": [{"text": row["dosage"]}],
            },
            f"prescription/{i}",
            Target(f"rx-{i}", "medication", {"dosageInstruction": "dosage"}),
        )
    for i, row in vaccinations:
        immunization: dict[str, Any] = {
            "resourceType": "Immunization",
            "patient": subject,
            "encounter": {"reference": encounter_url},
            "status": "completed",
            "vaccineCode": {"coding": [{"system": VACCINE, "code": row["vaccine"]}]},
            "occurrenceDateTime": when,
            "lotNumber": row["lot"],
            "performer": [{"actor": practitioner}],
        }
        if row.get("dose"):
            immunization["protocolApplied"] = [{"doseNumberPositiveInt": row["dose"]}]
        add(
            immunization,
            f"immunization/{i}",
            Target(f"vx-{i}", "vaccine", {"lotNumber": "lot", "protocolApplied": "dose"}),
        )

    vital_signs = {"coding": [{"system": OBSERVATION_CATEGORY, "code": "vital-signs"}]}

    def observation(name: str, code_concept: dict[str, Any], form_field: str, **value: Any) -> None:
        add(
            {
                "resourceType": "Observation",
                **context,
                "status": "final",
                "category": [vital_signs],
                "code": code_concept,
                "effectiveDateTime": when,
                "performer": [practitioner],
                **value,
            },
            f"observation/{name}",
            Target("visit", form_field),
        )

    if visit.get("systolic") and visit.get("diastolic"):
        observation(
            "bp",
            {"coding": [{"system": LOINC, "code": BP_PANEL, "display": "Blood pressure panel"}]},
            "systolic",
            component=[
                {"code": _vital("8480-6"), "valueQuantity": _quantity(visit["systolic"], "mm[Hg]")},
                {"code": _vital("8462-4"), "valueQuantity": _quantity(visit["diastolic"], "mm[Hg]")},
            ],
        )
    for name, code in (
        ("pulse", "8867-4"),
        ("temperature", "8310-5"),
        ("weight", "29463-7"),
        ("height", "8302-2"),
    ):
        if visit.get(name) is not None:
            observation(name, _vital(code), name, valueQuantity=_quantity(visit[name], VITALS[code][1]))

    return VisitBundle(
        bundle={"resourceType": "Bundle", "type": "transaction", "entry": entries}, targets=targets
    )
