"""The record's entries in the navigation registry (see `salamat.core.nav`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from salamat.accounts.models import Role
from salamat.core.actors import Actor
from salamat.core.nav import AUTHENTICATED, SECTION_WORK, NavItem, register
from salamat.records.access import is_clinical_actor


def _has_pin(actor: Actor) -> bool:
    return actor.user is not None and bool(actor.user.pin)


def register_record_entries() -> None:
    register(
        NavItem(
            roles={Role.DOCTOR, Role.NURSE, Role.COMMISSION_CHAIR},
            url_name="records:find",
            label=_("Patient record"),
            description=_("Find a patient, record a visit, read the record from every clinic."),
            icon="clipboard",
            section=SECTION_WORK,
            order=15,
            in_header=True,
            condition=is_clinical_actor,
        ),
        NavItem(
            roles={AUTHENTICATED},
            url_name="records:mine",
            label=_("My medical record"),
            description=_("Your visits, diagnoses, allergies, medicines, vaccinations and results."),
            icon="heart",
            section=SECTION_WORK,
            order=55,
            condition=_has_pin,
        ),
    )
