"""Onboarding's cards on the home page (registered from `OnboardingConfig.ready`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from salamat.accounts.models import Role
from salamat.core.actors import Actor
from salamat.core.nav import AUTHENTICATED, SECTION_ACCOUNT, SECTION_PUBLIC, SECTION_WORK, NavItem, register
from salamat.onboarding import states
from salamat.onboarding.models import Application, EsiRepresentation
from salamat.registry.models import Organization, OrganizationStatus, OrganizationType


def may_apply(actor: Actor) -> bool:
    """A person with no organisation on the platform, or who (as ESI said at their last
    login) represents an organisation not registered yet — and has no open application."""

    if actor.user is None or actor.api_client is not None:
        return False
    if Application.objects.filter(applicant=actor.user, status__in=states.OPEN).exists():
        return False  # "My applications" leads there
    if actor.organization is None:
        return True
    represented = EsiRepresentation.objects.filter(user=actor.user).values_list("tax_id", flat=True)
    registered = Organization.objects.filter(tax_id__in=represented, status=OrganizationStatus.ACTIVE)
    return registered.count() < len(represented)


def apply_section(actor: Actor) -> str:
    """ "Apply to join" is work for someone ESI says represents an organisation; for anyone
    else (a citizen with no organisation) it is a public service, not "your work"."""
    if actor.organization is None and not EsiRepresentation.objects.filter(user=actor.user).exists():
        return SECTION_PUBLIC
    return SECTION_WORK


def has_applications(actor: Actor) -> bool:

    return actor.user is not None and Application.objects.filter(applicant=actor.user).exists()


def _medical_organization(actor: Actor) -> dict | None:

    org = actor.organization
    if org is None or org.org_type != OrganizationType.MEDICAL:
        return None
    return {"organization_id": org.external_id}


def register_onboarding_entries() -> None:
    register(
        NavItem(
            roles={AUTHENTICATED},
            url_name="onboarding:home",
            label=_("Apply to join"),
            description=_("Connect your private clinic to the platform: a form, three documents, the offer."),
            icon="clipboard",
            section=SECTION_WORK,
            section_for=apply_section,
            order=5,
            condition=may_apply,
        ),
        NavItem(
            roles={AUTHENTICATED},
            url_name="onboarding:applications",
            label=_("My applications"),
            description=_("Where your clinic's application is, what to fix, your credentials."),
            icon="file",
            section=SECTION_WORK,
            order=6,
            condition=has_applications,
        ),
        NavItem(
            roles={Role.MINISTRY_REVIEWER},
            url_name="onboarding:review_queue",
            label=_("Review queue"),
            description=_("Clinic applications waiting for a decision, oldest first."),
            icon="clipboard",
            section=SECTION_WORK,
            order=10,
            in_header=True,
        ),
        NavItem(
            roles={Role.ORG_ADMIN},
            url_name="onboarding:staff",
            label=_("Staff"),
            description=_("Add doctors and commission chairs by their PIN; they log in through ESI."),
            icon="user",
            section=SECTION_ACCOUNT,
            order=70,
            url_kwargs=_medical_organization,
        ),
    )
