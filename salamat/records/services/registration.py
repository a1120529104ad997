"""A FHIR Patient submitted by a clinic: found by PIN in the population registry (nothing the
clinic typed is kept: the registry is the source), or registered under a temporary identifier."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from salamat.records.errors import refuse
from salamat.records.models import Patient
from salamat.records.services.engine import WriteContext, check_structure, temporary_patient_fields
from salamat.records.services.patients import SID_TEMPORARY, patient_for_pin, patient_register_temporary
from salamat.sickleave.fhir import SID_PIN


def patient_submit(*, ctx: WriteContext, data: dict[str, Any]) -> tuple[Patient, bool]:
    """The patient a submitted FHIR Patient stands for, and whether it was created now.

    With a PIN identifier: the registry's person (`unknown_pin` if it does not know the PIN).
    With a temporary identifier: that patient. Otherwise a new temporary patient, found again
    on a retry by the clinic's own identifier (the first identifier of another system)."""
    if not isinstance(data, dict) or data.get("resourceType") != "Patient":
        raise refuse(
            "type_mismatch",
            _("The body is not a Patient."),
            expression="resourceType",
            status=400,
            issue="invalid",
        )
    check_structure(data)
    identifiers = [i for i in data.get("identifier") or [] if isinstance(i, dict)]
    for index, ident in enumerate(identifiers):
        expression = f"identifier[{index}].value"
        if ident.get("system") == SID_PIN:
            existed = Patient.objects.filter(pin=(ident.get("value") or "").strip()).exists()
            patient = patient_for_pin(pin=ident.get("value", ""), expression=expression)
            _remember(ctx, patient)
            return patient, not existed
        if ident.get("system") == SID_TEMPORARY:
            patient = Patient.objects.filter(temporary_id=ident.get("value", "")).first()
            if patient is None:
                raise refuse(
                    "unknown_patient",
                    _("No patient has this temporary identifier."),
                    expression=expression,
                    issue="not-found",
                )
            _remember(ctx, patient)
            return patient, False
    own = next((i for i in identifiers if i.get("value")), {})
    patient, created = patient_register_temporary(
        actor=ctx.actor,
        source_system=str(own.get("system", "")),
        source_value=str(own.get("value", "")),
        **temporary_patient_fields(data),
    )
    _remember(ctx, patient)
    return patient, created


def _remember(ctx: WriteContext, patient: Patient) -> None:
    ctx.patients[f"Patient/{patient.external_id}"] = patient
