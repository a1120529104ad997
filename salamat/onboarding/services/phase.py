"""The ministry's switch between phase 1 (a reviewer decides) and phase 2 (automated checks)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from salamat.core.actors import Actor
from salamat.core.audit import audit_record
from salamat.core.errors import field_error
from salamat.onboarding.models import OnboardingPhase, OnboardingSettings


@transaction.atomic
def onboarding_phase_set(*, actor: Actor, phase: int) -> OnboardingSettings:
    """Switches onboarding between phase 1 and phase 2."""
    if phase not in OnboardingPhase.values:
        raise field_error("phase", "unknown_phase", _("The phase is 1 or 2."))
    row = OnboardingSettings.objects.select_for_update().order_by("pk").first() or OnboardingSettings()
    old = row.phase if row.pk else None
    row.phase = phase
    row.save()
    audit_record(
        actor=actor, action="onboarding.phase_set", obj=row, changes={"phase": {"old": old, "new": phase}}
    )
    return row
