"""Fictional clinical histories for the demo data and the benchmark: visits to several clinics
over the last years, each with a diagnosis, vital signs, often a prescription, sometimes a
laboratory result or a vaccination; chronic problems come back, an allergy now and then.

Pure: no database. Each resource comes out as the record stores it (the FHIR body with its
id, meta and resolved references, plus the searched columns), so the demo loads it with
`bulk_create` and the benchmark with COPY, both without going through the write services
(which the benchmark measures separately).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from salamat.records.codelists import LOINC, UCUM, VACCINE
from salamat.records.presenters import BP_PANEL, VITALS
from salamat.records.visit import (
    ACT_CODE,
    ALLERGY_CLINICAL,
    ATC,
    CONDITION_CATEGORY,
    CONDITION_CLINICAL,
    OBSERVATION_CATEGORY,
)
from salamat.sickleave.fhir import ICD10

SD_RECORDED_BY_ORGANIZATION = "https://salamat.example/fhir/StructureDefinition/recorded-by-organization"

# (ICD-10 code of the sample list, weight): common acute problems first.
ACUTE = (("J06.9", 30), ("J20.9", 10), ("J02.9", 8), ("A09", 6), ("M54.5", 8), ("N39.0", 5), ("K29.7", 5),
         ("H10.9", 4), ("L20.9", 3), ("R50.9", 4), ("Z00.0", 12), ("G43.9", 3), ("B34.9", 6))  # fmt: skip
CHRONIC = ("I10", "E11.9", "J45.9", "E66.9", "K21.9", "M17.9", "E03.9", "I25.1")
# (ATC, name, dosage) for each problem a prescription follows.
PRESCRIPTIONS = {
    "J06.9": ("N02BE01", "Paracetamol 500 mg", "1 tablet up to 3 times a day, 5 days"),
    "J20.9": ("J01CA04", "Amoxicillin 500 mg", "1 capsule 3 times a day, 7 days"),
    "J02.9": ("J01CA04", "Amoxicillin 500 mg", "1 capsule 3 times a day, 7 days"),
    "N39.0": ("J01XE01", "Nitrofurantoin 100 mg", "1 tablet twice a day, 5 days"),
    "M54.5": ("M01AE01", "Ibuprofen 400 mg", "1 tablet up to 3 times a day after meals, 5 days"),
    "K29.7": ("A02BC01", "Omeprazole 20 mg", "1 capsule in the morning, 14 days"),
    "I10": ("C09AA02", "Enalapril 10 mg", "1 tablet once a day"),
    "E11.9": ("A10BA02", "Metformin 850 mg", "1 tablet twice a day with meals"),
    "J45.9": ("R03AC02", "Salbutamol inhaler 100 mcg", "2 puffs when short of breath"),
    "K21.9": ("A02BC01", "Omeprazole 20 mg", "1 capsule in the morning, 28 days"),
    "E03.9": ("H03AA01", "Levothyroxine 50 mcg", "1 tablet in the morning before breakfast"),
}
LABS = (("718-7", "Hemoglobin", "g/L", 110, 160), ("2345-7", "Glucose", "mmol/L", 4.0, 9.5),
        ("2093-3", "Cholesterol", "mmol/L", 3.5, 7.5), ("2160-0", "Creatinine", "umol/L", 55, 120))  # fmt: skip
VACCINES = ("TD", "HEPB", "MMR", "PCV")
ALLERGENS = (("Penicillin", "medication", "high", "Urticaria"), ("Metamizole", "medication", "high", "Angioedema"),
             ("Peanuts", "food", "high", "Anaphylaxis"), ("House dust", "environment", "low", "Rhinitis"),
             ("Cat dander", "environment", "low", "Sneezing, itchy eyes"))  # fmt: skip
CLASSES = (("AMB", 80), ("EMER", 8), ("HH", 7), ("IMP", 5))


@dataclass(frozen=True)
class Clinic:
    """A clinic the generated visits happen in (`index`: the caller's key for it)."""

    index: int
    external_id: str
    name: str
    practitioner: str | None = None  # "Practitioner/<id>" of one of its doctors, if any


@dataclass
class Synth:
    """One generated resource: the searched columns and the whole FHIR body."""

    external_id: uuid.UUID
    resource_type: str
    status: str
    category: str
    code_system: str
    code: str
    effective: datetime
    clinic: Clinic
    encounter: Synth | None
    body: dict[str, Any]


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _pick(rng: random.Random, weighted) -> str:
    return rng.choices([c for c, _w in weighted], weights=[w for _c, w in weighted])[0]


def _quantity(value: float, code: str) -> dict[str, Any]:
    return {"value": value, "unit": code, "system": UCUM, "code": code}


def history(
    rng: random.Random,
    *,
    patient_id: str,
    clinics: list[Clinic],
    now: datetime,
    visits: int,
    years: float = 3.0,
    recent: Clinic | None = None,
    exact: bool = False,
) -> list[Synth]:
    """A patient's history: `visits` visits over `years`, in `clinics` (the last one in `recent`,
    within the last months, when given), oldest first; `exact`: every visit at `now`."""
    subject = {"reference": f"Patient/{patient_id}"}
    out: list[Synth] = []
    chronic = rng.sample(CHRONIC, k=rng.choice((0, 0, 1, 1, 2)))
    base_weight = rng.uniform(55, 95)
    days = [0.0] * visits if exact else sorted(rng.uniform(20, 365 * years) for _ in range(visits))[::-1]
    if recent is not None and days:
        days[-1] = rng.uniform(1, 150)

    def add(resource_type, status, category, system, code, when, clinic, encounter, body) -> Synth:
        rid = _uuid(rng)
        body["id"] = str(rid)
        body["meta"] = {
            "versionId": "1",
            "lastUpdated": when.isoformat(),
            "extension": [
                {
                    "url": SD_RECORDED_BY_ORGANIZATION,
                    "valueReference": {
                        "reference": f"Organization/{clinic.external_id}",
                        "display": clinic.name,
                    },
                }
            ],
        }
        item = Synth(rid, resource_type, status, category, system, code, when, clinic, encounter, body)
        out.append(item)
        return item

    allergy = rng.random() < 0.2
    for n, ago in enumerate(days):
        clinic = recent if (recent is not None and n == len(days) - 1) else rng.choice(clinics)
        when = (now - timedelta(days=ago)).replace(microsecond=0)
        stamp = when.isoformat()
        practitioner = {"reference": clinic.practitioner} if clinic.practitioner else None
        klass = _pick(rng, CLASSES)
        problem = rng.choice(chronic) if chronic and rng.random() < 0.4 else _pick(rng, ACUTE)
        encounter_body: dict[str, Any] = {
            "resourceType": "Encounter",
            "status": "finished",
            "class": {"system": ACT_CODE, "code": klass},
            "subject": subject,
            "period": {"start": stamp, "end": (when + timedelta(minutes=20)).isoformat()},
            "serviceProvider": {"reference": f"Organization/{clinic.external_id}", "display": clinic.name},
            "reasonCode": [{"text": "Check-up" if problem == "Z00.0" else "Complaints"}],
        }
        if practitioner:
            encounter_body["participant"] = [{"individual": practitioner}]
        enc = add("Encounter", "finished", klass, "", "", when, clinic, None, encounter_body)
        context = {"subject": subject, "encounter": {"reference": f"Encounter/{enc.external_id}"}}
        clinical = "active" if problem in CHRONIC or ago < 30 else "resolved"
        condition = {
            "resourceType": "Condition",
            **context,
            "clinicalStatus": {"coding": [{"system": CONDITION_CLINICAL, "code": clinical}]},
            "category": [{"coding": [{"system": CONDITION_CATEGORY, "code": "encounter-diagnosis"}]}],
            "code": {"coding": [{"system": ICD10, "code": problem}]},
            "recordedDate": stamp,
        }
        if practitioner:
            condition["recorder"] = practitioner
        add("Condition", clinical, "encounter-diagnosis", ICD10, problem, when, clinic, enc, condition)
        vital = [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "vital-signs"}]}]
        systolic = round(rng.gauss(135 if "I10" in chronic else 120, 10))
        diastolic = round(rng.gauss(85 if "I10" in chronic else 76, 7))
        add(
            "Observation", "final", "vital-signs", LOINC, BP_PANEL, when, clinic, enc,
            {"resourceType": "Observation", **context, "status": "final", "category": vital,
             "code": {"coding": [{"system": LOINC, "code": BP_PANEL, "display": "Blood pressure panel"}]},
             "effectiveDateTime": stamp,
             "component": [
                 {"code": {"coding": [{"system": LOINC, "code": "8480-6"}]}, "valueQuantity": _quantity(systolic, "mm[Hg]")},
                 {"code": {"coding": [{"system": LOINC, "code": "8462-4"}]}, "valueQuantity": _quantity(diastolic, "mm[Hg]")},
             ]},
        )  # fmt: skip
        for code, value in (
            ("8867-4", round(rng.gauss(74, 8))),
            ("8310-5", round(rng.gauss(37.4 if problem in ("J06.9", "J20.9", "R50.9") else 36.7, 0.3), 1)),
            ("29463-7", round(base_weight + rng.uniform(-2, 2), 1)),
        ):
            add(
                "Observation", "final", "vital-signs", LOINC, code, when, clinic, enc,
                {"resourceType": "Observation", **context, "status": "final", "category": vital,
                 "code": {"coding": [{"system": LOINC, "code": code, "display": str(VITALS[code][0])}]},
                 "effectiveDateTime": stamp, "valueQuantity": _quantity(value, VITALS[code][1])},
            )  # fmt: skip
        if problem in PRESCRIPTIONS and rng.random() < 0.85:
            atc, name, dosage = PRESCRIPTIONS[problem]
            status = "active" if problem in CHRONIC or ago < 14 else "completed"
            request = {
                "resourceType": "MedicationRequest",
                **context,
                "status": status,
                "intent": "order",
                "medicationCodeableConcept": {
                    "coding": [{"system": ATC, "code": atc, "display": name}],
                    "text": name,
                },
                "authoredOn": stamp,
                "dosageInstruction": [{"text": dosage}],
            }
            if practitioner:
                request["requester"] = practitioner
            add("MedicationRequest", status, "", ATC, atc, when, clinic, enc, request)
        if rng.random() < 0.35:
            code, name, unit, low, high = rng.choice(LABS)
            value = round(rng.uniform(low, high), 1)
            add(
                "Observation", "final", "laboratory", LOINC, code, when, clinic, enc,
                {"resourceType": "Observation", **context, "status": "final",
                 "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "laboratory"}]}],
                 "code": {"coding": [{"system": LOINC, "code": code, "display": name}]},
                 "effectiveDateTime": stamp, "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit}},
            )  # fmt: skip
        if rng.random() < 0.12:
            vaccine = rng.choice(VACCINES)
            add(
                "Immunization", "completed", "", VACCINE, vaccine, when, clinic, enc,
                {"resourceType": "Immunization", "status": "completed", "patient": subject,
                 "encounter": {"reference": f"Encounter/{enc.external_id}"},
                 "vaccineCode": {"coding": [{"system": VACCINE, "code": vaccine}]},
                 "occurrenceDateTime": stamp, "lotNumber": f"DEMO-{rng.randint(1000, 9999)}",
                 "protocolApplied": [{"doseNumberPositiveInt": rng.randint(1, 3)}]},
            )  # fmt: skip
        if allergy and n == 0:
            substance, category, criticality, reaction = rng.choice(ALLERGENS)
            add(
                "AllergyIntolerance", "active", category, "", "", when, clinic, enc,
                {"resourceType": "AllergyIntolerance", "patient": subject,
                 "encounter": {"reference": f"Encounter/{enc.external_id}"},
                 "clinicalStatus": {"coding": [{"system": ALLERGY_CLINICAL, "code": "active"}]},
                 "category": [category], "criticality": criticality, "code": {"text": substance},
                 "reaction": [{"manifestation": [{"text": reaction}]}], "recordedDate": stamp},
            )  # fmt: skip
    return out
