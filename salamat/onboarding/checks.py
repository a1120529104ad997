"""Phase 2: the instant automated checks run when an application is submitted.

Each check returns an outcome (ok, needs_review, invalid) with one message for the
applicant and one for the reviewer. Only when all are ok is the application approved
at once; otherwise it goes to a reviewer with the failed checks listed. The state
registries are read only through `salamat.tunduk.adapters` (stand-in tables in
development, Tunduk/X-Road in production)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from salamat.core.errors import ValidationFailed
from salamat.core.identifiers import validate_pin, validate_tax_id
from salamat.onboarding import states
from salamat.onboarding.models import Application, CheckOutcome
from salamat.onboarding.selectors import missing_document_kinds
from salamat.registry.models import Organization
from salamat.tunduk.adapters import legal_entity_registry, licence_registry, population_registry

OK = CheckOutcome.OK.value
NEEDS_REVIEW = CheckOutcome.NEEDS_REVIEW.value
INVALID = CheckOutcome.INVALID.value


@dataclass(frozen=True)
class CheckResult:
    name: str
    outcome: str
    applicant_message: str = ""
    reviewer_message: str = ""


def _ok(name: str) -> CheckResult:
    return CheckResult(name, OK)


def check_tax_id_shape(app: Application, today: date) -> CheckResult:
    try:
        validate_tax_id(app.tax_id)
    except ValidationFailed:
        return CheckResult(
            "tax_id_shape", INVALID, _("The tax ID must be exactly 14 digits."), "Tax ID is not 14 digits."
        )
    return _ok("tax_id_shape")


def check_legal_entity(app: Application, today: date) -> CheckResult:
    entity = legal_entity_registry().lookup(app.tax_id)
    if entity is None:
        return CheckResult(
            "legal_entity",
            NEEDS_REVIEW,
            _("We could not find the organisation in the legal-entity registry; a reviewer will check."),
            f"Tax ID {app.tax_id} not found in the legal-entity registry.",
        )
    if not entity.is_operating:
        return CheckResult(
            "legal_entity",
            INVALID,
            _("The legal-entity registry says this organisation is liquidated."),
            f"{entity.name} ({entity.tax_id}) is liquidated in the legal-entity registry.",
        )
    if entity.name.strip().casefold() != app.legal_name.strip().casefold():
        return CheckResult(
            "legal_entity",
            NEEDS_REVIEW,
            _("The legal name differs from the legal-entity registry; a reviewer will check."),
            f"Registry name {entity.name!r} differs from the application's {app.legal_name!r}.",
        )
    return _ok("legal_entity")


def check_licence(app: Application, today: date) -> CheckResult:
    licence = licence_registry().by_number(app.licence_number)
    if licence is None:
        return CheckResult(
            "licence",
            NEEDS_REVIEW,
            _("We could not find the licence in the licence registry; a reviewer will check."),
            f"Licence {app.licence_number!r} not found in the licence registry.",
        )
    if licence.tax_id != app.tax_id:
        return CheckResult(
            "licence",
            INVALID,
            _("The licence belongs to another organisation."),
            f"Licence {licence.number} is held by tax ID {licence.tax_id}, not {app.tax_id}.",
        )
    if not licence.is_valid_on(today):
        return CheckResult(
            "licence",
            INVALID,
            _("The licence is not valid today (expired, revoked or not yet in force)."),
            f"Licence {licence.number} is not valid on {today.isoformat()}.",
        )
    return _ok("licence")


def check_head_physician(app: Application, today: date) -> CheckResult:
    try:
        pin = validate_pin(app.head_physician_pin, field="head_physician_pin")
    except ValidationFailed:
        return CheckResult(
            "head_physician",
            INVALID,
            _("The head physician's PIN is not a valid PIN."),
            "Head physician PIN has a wrong shape.",
        )
    person = population_registry().lookup(pin)
    if person is None or not person.is_alive:
        return CheckResult(
            "head_physician",
            NEEDS_REVIEW,
            _("We could not confirm the head physician in the population registry; a reviewer will check."),
            "Head physician PIN not found (or deceased) in the population registry.",
        )
    return _ok("head_physician")


def check_no_duplicate(app: Application, today: date) -> CheckResult:
    if Organization.objects.filter(tax_id=app.tax_id).exists():
        return CheckResult(
            "no_duplicate",
            NEEDS_REVIEW,
            _("An organisation with this tax ID is already in the registry; a reviewer will check."),
            f"An organisation with tax ID {app.tax_id} already exists in the registry.",
        )
    others = (
        Application.objects.filter(tax_id=app.tax_id, status__in=states.OPEN)
        .exclude(pk=app.pk)
        .exclude(status=states.DRAFT)
    )
    if others.exists():
        return CheckResult(
            "no_duplicate",
            NEEDS_REVIEW,
            _("Another application for this organisation is open; a reviewer will check."),
            f"Another open application for tax ID {app.tax_id} exists.",
        )
    return _ok("no_duplicate")


def check_documents(app: Application, today: date) -> CheckResult:
    missing = missing_document_kinds(app)
    if missing:
        return CheckResult(
            "documents",
            INVALID,
            _("Some required documents are missing."),
            "Missing documents: " + ", ".join(missing),
        )
    return _ok("documents")


def check_representation(app: Application, today: date) -> CheckResult:
    # A power of attorney is a document a person must read: without the ESI claim the
    # application is never approved automatically.
    if app.represents_by_claim:
        return _ok("representation")
    return CheckResult(
        "representation",
        NEEDS_REVIEW,
        _("A reviewer will check your power of attorney."),
        "The applicant is not in the ESI organisations claim: check the power of attorney.",
    )


CHECKS: tuple[Callable[[Application, date], CheckResult], ...] = (
    check_tax_id_shape,
    check_legal_entity,
    check_licence,
    check_head_physician,
    check_no_duplicate,
    check_documents,
    check_representation,
)


def run_checks(app: Application, today: date | None = None) -> list[CheckResult]:
    """Runs every automated check on `app` (read-only)."""
    today = today or timezone.localdate()
    return [check(app, today) for check in CHECKS]
