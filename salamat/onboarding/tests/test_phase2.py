"""Phase 2: automated checks on submit and a signed offer acceptance."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from salamat.core.errors import DomainError
from salamat.onboarding import services
from salamat.onboarding.models import ChecklistItem, OfferAcceptance
from salamat.onboarding.tests.conftest import APPLICANT_PIN, TAX_ID
from salamat.signatures import standin_ca
from salamat.signatures.crypto import sign
from salamat.signatures.models import SignedRecord
from salamat.tunduk.models import LegalEntity, MedicalLicence, RegistryPerson

pytestmark = pytest.mark.django_db


@pytest.fixture
def certificate():
    return standin_ca.issue_personal_certificate(APPLICANT_PIN, "Applicant Test")


@pytest.fixture
def signed_ready(ready_application, applicant, applicant_actor, phase, certificate):
    """A complete application whose offer acceptance was signed in phase 2."""

    def _make(**overrides):
        app = ready_application(accept=False, **overrides)
        phase(2)
        record = services.offer_acceptance_record(app, services.offer_current(), applicant.pin)
        services.offer_accept(
            actor=applicant_actor,
            application=app,
            ip="10.0.0.2",
            signature=sign(record, certificate.private_key),
            certificate_pem=certificate.certificate_pem,
        )
        return app

    return _make


def outcomes(app) -> dict[str, str]:
    return dict(ChecklistItem.objects.filter(application=app).values_list("name", "outcome"))


def test_all_checks_ok_approves_at_once(registries, signed_ready, applicant_actor, applicant):
    # given
    app = signed_ready()
    # when
    app = services.application_submit(actor=applicant_actor, application=app)
    # then
    assert app.status == "approved"
    assert set(outcomes(app).values()) == {"ok"}
    assert app.organization.status == "active"
    assert app.organization.memberships.get().user == applicant
    assert list(app.events.values_list("action", flat=True))[-2:] == ["submit", "auto_approve"]


@pytest.mark.parametrize(
    ("setup", "check", "outcome"),
    [
        (lambda: LegalEntity.objects.all().delete(), "legal_entity", "needs_review"),
        (lambda: LegalEntity.objects.update(liquidated_on=date.today()), "legal_entity", "invalid"),
        (lambda: MedicalLicence.objects.all().delete(), "licence", "needs_review"),
        (lambda: MedicalLicence.objects.update(tax_id="99999999999999"), "licence", "invalid"),
        (
            lambda: MedicalLicence.objects.update(valid_until=date.today() - timedelta(days=1)),
            "licence",
            "invalid",
        ),
        (lambda: MedicalLicence.objects.update(revoked_on=date.today()), "licence", "invalid"),
        (lambda: RegistryPerson.objects.all().delete(), "head_physician", "needs_review"),
    ],
)
def test_failed_check_routes_to_review(registries, signed_ready, applicant_actor, setup, check, outcome):
    # given
    app = signed_ready()
    setup()
    # when
    app = services.application_submit(actor=applicant_actor, application=app)
    # then
    assert app.status == "submitted"
    assert outcomes(app)[check] == outcome
    assert app.organization is None
    routed = app.events.get(action="routed_to_review")
    assert routed.comment
    item = ChecklistItem.objects.get(application=app, name=check)
    assert item.applicant_message and item.reviewer_message


def test_existing_organisation_routes_to_review(registries, signed_ready, applicant_actor, make_org):
    make_org("medical", tax_id=TAX_ID, status="pending")
    app = services.application_submit(actor=applicant_actor, application=signed_ready())
    assert (app.status, outcomes(app)["no_duplicate"]) == ("submitted", "needs_review")


def test_routed_application_can_be_approved_by_a_reviewer(
    registries, signed_ready, applicant_actor, reviewer_actor
):
    MedicalLicence.objects.all().delete()
    app = services.application_submit(actor=applicant_actor, application=signed_ready())
    services.review_take(actor=reviewer_actor, application=app)
    assert services.review_approve(actor=reviewer_actor, application=app).status == "approved"


def test_signed_acceptance_is_kept_and_verifies_again(registries, signed_ready):
    app = signed_ready()
    acceptance = OfferAcceptance.objects.get(application=app)
    assert acceptance.signed_record.signer_pin == APPLICANT_PIN
    assert acceptance.signed_record.verify_again().signer_pin == APPLICANT_PIN


def test_phase2_acceptance_without_signature_refused(ready_application, applicant_actor, phase):
    app = ready_application(accept=False)
    phase(2)
    with pytest.raises(DomainError) as exc:
        services.offer_accept(actor=applicant_actor, application=app)
    assert exc.value.code == "signature_required"
    assert OfferAcceptance.objects.count() == 0


def test_phase2_acceptance_signed_by_someone_else_refused(
    ready_application, applicant, applicant_actor, phase
):
    app = ready_application(accept=False)
    phase(2)
    other = standin_ca.issue_personal_certificate("10101199000001", "Someone Else")
    record = services.offer_acceptance_record(app, services.offer_current(), applicant.pin)
    with pytest.raises(DomainError) as exc:
        services.offer_accept(
            actor=applicant_actor,
            application=app,
            signature=sign(record, other.private_key),
            certificate_pem=other.certificate_pem,
        )
    assert exc.value.code == "signer_mismatch"
    assert (OfferAcceptance.objects.count(), SignedRecord.objects.count()) == (0, 0)


def test_phase2_tampered_record_refused(ready_application, applicant, applicant_actor, phase, certificate):
    app = ready_application(accept=False)
    phase(2)
    record = services.offer_acceptance_record(app, services.offer_current(), applicant.pin)
    with pytest.raises(DomainError) as exc:
        services.offer_accept(
            actor=applicant_actor,
            application=app,
            signature=sign({**record, "offer_version": 99}, certificate.private_key),
            certificate_pem=certificate.certificate_pem,
        )
    assert exc.value.code == "bad_signature"
    assert OfferAcceptance.objects.count() == 0


def test_phase1_acceptance_must_be_signed_again_after_switch_to_phase2(
    ready_application, applicant_actor, phase
):
    app = ready_application()  # accepted unsigned in phase 1
    phase(2)
    with pytest.raises(DomainError) as exc:
        services.application_submit(actor=applicant_actor, application=app)
    assert exc.value.code == "offer_not_signed"


def test_power_of_attorney_is_never_auto_approved(registries, signed_ready, applicant_actor):
    # given: the tax ID was typed (not in the ESI claim) and a power of attorney uploaded
    from salamat.onboarding.models import DocumentKind
    from salamat.onboarding.tests.conftest import pdf

    app = signed_ready(claim=False)
    services.document_upload(
        actor=applicant_actor, application=app, kind=DocumentKind.POWER_OF_ATTORNEY, upload=pdf("poa.pdf")
    )
    # when
    app = services.application_submit(actor=applicant_actor, application=app)
    # then
    assert (app.status, outcomes(app)["representation"]) == ("submitted", "needs_review")
