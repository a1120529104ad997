"""The roles a person can hold in an organisation: the vocabulary of `Actor.roles`.

Here, at the bottom, so that every module can name a role without importing the accounts
app (which keeps who holds which role); `salamat.accounts.models.Role` is the same class."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """A person's role in an organisation. A citizen has no membership at all."""

    ORG_ADMIN = (
        "org_admin",
        _("Organisation administrator"),
    )  # manages the organisation's people and API clients
    PHARMACIST = "pharmacist", _("Pharmacist")  # sells and accepts packages at a pharmacy
    WAREHOUSE_OPERATOR = "warehouse_operator", _("Warehouse operator")  # introduces, ships, accepts
    DOCTOR = "doctor", _("Doctor")  # issues sick leave; dispenses in a clinic
    NURSE = "nurse", _("Nurse")  # reads the record of the clinic's patients
    COMMISSION_CHAIR = "commission_chair", _("Medical commission chair")  # co-signs long sick leaves
    MINISTRY_REVIEWER = "ministry_reviewer", _("Ministry reviewer")  # reviews clinic applications
    REGULATOR = "regulator", _("Regulator")  # oversees traceability, recalls, alerts
