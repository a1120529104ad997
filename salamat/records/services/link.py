"""Linking a temporary patient to their PIN once the person is identified."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from salamat.core.actors import Actor
from salamat.core.audit import audit_record
from salamat.records.errors import refuse
from salamat.records.models import Patient, Resource
from salamat.records.services.patients import patient_for_pin
from salamat.records.services.write import resource_move_patient


@transaction.atomic
def patient_link(*, actor: Actor, temporary: Patient, pin: str) -> Patient:
    """Links a temporary patient to their PIN: everything recorded under the temporary patient
    moves to the PIN patient (each moved resource gets a new version naming the new subject),
    and the temporary patient is `replaced_by` the PIN patient."""
    temporary = Patient.objects.select_for_update().get(pk=temporary.pk)
    if not temporary.is_temporary:
        raise refuse(
            "not_temporary", _("Only a temporary patient is linked to a PIN."), status=409, issue="conflict"
        )
    if temporary.replaced_by_id:
        raise refuse(
            "already_linked", _("This temporary patient is already linked."), status=409, issue="conflict"
        )
    target = patient_for_pin(pin=pin, expression="parameter.valueIdentifier")
    moved = 0
    for resource in Resource.objects.select_for_update().filter(patient=temporary).order_by("id"):
        resource_move_patient(actor=actor, resource=resource, patient=target)
        moved += 1
    temporary.replaced_by = target
    temporary.save(update_fields=["replaced_by", "updated_at"])
    audit_record(
        actor=actor,
        action="record.patient_link",
        obj=temporary,
        changes={"replaced_by": str(target.external_id), "moved_resources": moved},
    )
    return target
