"""The home page: what the acting person (or visitor) can do here, as cards."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from salamat.accounts.models import Role
from salamat.accounts.selectors import actor_for_request
from salamat.core.nav import SECTION_ACCOUNT, SECTION_PUBLIC, SECTION_WORK, home_sections_for

# One line per role on what the platform is for them.
ROLE_INTROS = {
    Role.PHARMACIST: _("Accept deliveries, sell and dispense tracked medicines, and check any package."),
    Role.WAREHOUSE_OPERATOR: _("Introduce packages into circulation, ship them and accept deliveries."),
    Role.DOCTOR: _("Issue sick-leave certificates and record medicines dispensed in your clinic."),
    Role.NURSE: _("Read the record of your clinic's patients: problems, allergies, medicines, results."),
    Role.COMMISSION_CHAIR: _("Approve long sick leaves as the chair of the medical commission."),
    Role.ORG_ADMIN: _("Manage your organisation's record and the API clients of its software."),
    Role.MINISTRY_REVIEWER: _("Review the applications of clinics that join the platform."),
    Role.REGULATOR: _("Oversee the movement of medicines, recalls and alerts across the country."),
}
CITIZEN_INTRO = _(
    "Check a medicine package, and find registered medicines and the organisations taking part."
)
VISITOR_INTRO = _(
    "Check whether a medicine package is genuine, search the national drug registry and the directory "
    "of pharmacies, warehouses and clinics. Staff of participating organisations log in to work."
)
SECTION_TITLES = {
    SECTION_WORK: _("Your work"),
    SECTION_PUBLIC: _("Public services"),
    SECTION_ACCOUNT: _("Account"),
}


def home(request):
    actor = actor_for_request(request)
    if actor.user is None:
        intros = [VISITOR_INTRO]
    elif actor.organization is None:
        intros = [CITIZEN_INTRO]
    else:
        intros = [text for role, text in ROLE_INTROS.items() if role in actor.roles]
    sections = [(section, SECTION_TITLES[section], items) for section, items in home_sections_for(actor)]
    staff_without_tools = actor.organization is not None and not any(
        section == SECTION_WORK for section, _title, _items in sections
    )
    return render(
        request,
        "web/home.html",
        {"intros": intros, "sections": sections, "staff_without_tools": staff_without_tools},
    )
