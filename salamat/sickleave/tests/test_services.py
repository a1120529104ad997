"""Services against the real database: permissions, rules, lifecycle, audit, immutability."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction

from salamat.accounts.selectors import actor_for_user
from salamat.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from salamat.core.models import AuditLog
from salamat.sickleave import services
from salamat.sickleave.models import SickLeave, SickLeavePeriod, Status
from salamat.sickleave.numbering import is_valid_number
from salamat.sickleave.rules import RuleRefused

pytestmark = pytest.mark.django_db
D = timedelta(days=1)


def test_open_snapshots_the_patient_and_the_diagnosis(open_leave, patient, doctor, today):
    # when
    leave = open_leave()
    # then
    assert is_valid_number(leave.number)
    assert leave.status == Status.OPEN
    assert (leave.patient_family_name, leave.patient_birth_date, leave.patient_sex) == (
        "Testova",
        patient.birth_date,
        "female",
    )
    assert leave.diagnosis_title == "Acute upper respiratory infection, unspecified"
    period = leave.periods.get()
    assert (period.start, period.end, period.doctor, period.doctor_position) == (
        today,
        today + 4 * D,
        doctor,
        "General practitioner",
    )


def test_open_is_audited_without_pin_or_diagnosis(open_leave, patient):
    leave = open_leave()
    row = AuditLog.objects.get(action="sick_leave.open")
    assert row.object_id == str(leave.external_id)
    text = str(row.changes)
    assert patient.pin not in text and "J06" not in text and "respiratory" not in text


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"patient_pin": "123"}, "pin_malformed"),
        ({"patient_pin": "10101200099999"}, "person_not_found"),
        ({"diagnosis_code": "XYZ"}, "diagnosis_unknown"),
        ({"diagnosis_code": "J00-J06"}, "diagnosis_unknown"),
        ({"employer_tax_id": "12"}, "tax_id_malformed"),
        ({"reason": "holiday"}, "reason_unknown"),
        ({"regime": "inpatient"}, "hospital_dates_required"),
        ({"reason": "family_care"}, "relation_required"),
    ],
)
def test_open_refuses_bad_input(open_leave, overrides, code):
    with pytest.raises(ValidationFailed) as info:
        open_leave(**overrides)
    assert info.value.code == code
    assert not SickLeave.objects.exists()


@pytest.mark.parametrize(
    ("start", "end", "ambulance", "code"),
    [
        (0, 5, "", "period_too_long"),
        (-1, 3, "", "backdating_not_allowed"),
        (-2, 2, "AMB-1", "backdating_too_far"),
        (1, 2, "", "period_in_future"),
    ],
)
def test_open_applies_the_rules(open_leave, today, start, end, ambulance, code):
    with pytest.raises(RuleRefused) as info:
        open_leave(start=today + start * D, end=today + end * D, ambulance_record_ref=ambulance)
    assert info.value.code == code


def test_backdating_by_one_day_with_an_ambulance_record(open_leave, today):
    leave = open_leave(start=today - D, end=today + 3 * D, ambulance_record_ref="AMB-2026-000123")
    assert leave.periods.get().ambulance_record_ref == "AMB-2026-000123"


def test_no_two_open_certificates_for_the_same_patient_employer_and_reason(open_leave):
    open_leave()
    with pytest.raises(RuleRefused) as info:
        open_leave()
    assert info.value.code == "duplicate_open_certificate"
    # another employer (a part-time job) or another reason is fine
    open_leave(employer_tax_id="02101201910002", is_main_job=False)
    open_leave(reason="quarantine", diagnosis_code="Z20.8")


def test_family_care_for_a_child_and_for_an_adult(open_leave, people, today):
    child = people["Elnura"]  # born 2015
    leave = open_leave(reason="family_care", cared_for_pin=child.pin, cared_for_relation="child")
    assert (leave.cared_for_name, leave.cared_for_birth_date) == ("Fiktivova Elnura", child.birth_date)
    elderly = people["Farhat"]  # born 1949
    with pytest.raises(RuleRefused) as info:
        open_leave(
            reason="family_care",
            cared_for_pin=elderly.pin,
            cared_for_relation="parent",
            employer_tax_id="02101201910002",
        )
    assert info.value.code == "care_limit_exceeded"


def test_pregnancy_leave_is_one_fixed_period(open_leave, today):
    leave = open_leave(reason="pregnancy", diagnosis_code="Z34.9", end=today + 125 * D)
    assert leave.periods.get().days == 126


def test_only_doctors_of_an_active_medical_organisation_open(
    open_leave, make_user, make_org, clinic, patient
):
    pharmacist = make_user("pharmacist", clinic)
    with pytest.raises(PermissionDenied) as info:
        open_leave(actor=actor_for_user(pharmacist, clinic))
    assert info.value.code == "role_required"
    pharmacy = make_org("pharmacy")
    other = make_user("doctor", pharmacy)  # not a real combination, but the guard must hold
    with pytest.raises(PermissionDenied) as info:
        open_leave(actor=actor_for_user(other, pharmacy))
    assert info.value.code == "not_active_medical_organization"
    suspended = make_org("medical", status="suspended")
    doc = make_user("doctor", suspended)
    with pytest.raises(PermissionDenied) as info:
        open_leave(actor=actor_for_user(doc, suspended))
    assert info.value.code == "not_active_medical_organization"


def test_private_clinics_issue_too(open_leave, make_user, private_clinic):
    doc = make_user("doctor", private_clinic, pin="20505198500033")
    leave = open_leave(actor=actor_for_user(doc, private_clinic))
    assert leave.organization == private_clinic


def test_extend_until_the_commission_then_with_the_chair(open_leave, doctor_actor, chair, chair_actor, today):
    leave = open_leave()
    services.sick_leave_extend(actor=doctor_actor, certificate=leave, end=today + 9 * D)
    services.sick_leave_extend(actor=doctor_actor, certificate=leave, end=today + 14 * D)
    with pytest.raises(RuleRefused) as info:
        services.sick_leave_extend(actor=doctor_actor, certificate=leave, end=today + 19 * D)
    assert info.value.code == "commission_required"
    period = services.sick_leave_extend(
        actor=doctor_actor, certificate=leave, end=today + 19 * D, commission_chair=chair
    )
    # the doctor has signed; the period waits for the chair and blocks closing
    assert (period.ordinal, period.commission_chair, period.awaiting_commission) == (4, chair, True)
    assert period.doctor_signature is not None and not period.signed
    with pytest.raises(RuleRefused) as info:
        services.sick_leave_close(
            actor=doctor_actor, certificate=leave, outcome="return_to_work", outcome_date=today + 20 * D
        )
    assert info.value.code == "commission_approval_pending"
    with pytest.raises(ValidationFailed) as info:
        services.sick_leave_period_approve(actor=chair_actor, period=period)
    assert info.value.code == "commission_decision_required"
    with pytest.raises(PermissionDenied):
        services.sick_leave_period_approve(actor=doctor_actor, period=period, decision_number="VKK-17")
    period = services.sick_leave_period_approve(actor=chair_actor, period=period, decision_number="VKK-17")
    assert (period.commission_decision_number, period.signed) == ("VKK-17", True)
    assert period.chair_signature.signer_user == chair


def test_the_commission_may_refuse_an_extension(open_leave, doctor_actor, chair, chair_actor, today):
    leave = open_leave()
    services.sick_leave_extend(actor=doctor_actor, certificate=leave, end=today + 9 * D)
    services.sick_leave_extend(actor=doctor_actor, certificate=leave, end=today + 14 * D)
    period = services.sick_leave_extend(
        actor=doctor_actor, certificate=leave, end=today + 19 * D, commission_chair=chair
    )
    services.sick_leave_period_reject(actor=chair_actor, period=period, comment="refer instead")
    assert [p.ordinal for p in leave.periods.all()] == [1, 2, 3]
    services.sick_leave_close(
        actor=doctor_actor, certificate=leave, outcome="return_to_work", outcome_date=today + 15 * D
    )


def test_extend_refuses_gaps_and_overlaps(open_leave, doctor_actor, today):
    leave = open_leave()
    with pytest.raises(RuleRefused) as info:
        services.sick_leave_extend(
            actor=doctor_actor, certificate=leave, start=today + 6 * D, end=today + 7 * D
        )
    assert info.value.code == "gap_between_periods"
    with pytest.raises(RuleRefused) as info:
        services.sick_leave_extend(
            actor=doctor_actor, certificate=leave, start=today + 4 * D, end=today + 7 * D
        )
    assert info.value.code == "overlapping_periods"


def test_a_non_chair_cannot_approve(open_leave, doctor_actor, make_user, clinic, today):
    leave = open_leave()
    other_doctor = make_user("doctor", clinic)
    with pytest.raises(PermissionDenied) as info:
        services.sick_leave_extend(
            actor=doctor_actor,
            certificate=leave,
            end=today + 9 * D,
            commission_chair=other_doctor,
            commission_decision_number="1",
        )
    assert info.value.code == "not_commission_chair"


def test_past_the_maximum_the_disability_board(open_leave, doctor_actor, chair, today, settings):
    settings.SALAMAT = {**settings.SALAMAT, "SICK_LEAVE_RULES": {"max_total_days": 8}}
    leave = open_leave()
    with pytest.raises(RuleRefused) as info:
        services.sick_leave_extend(actor=doctor_actor, certificate=leave, end=today + 9 * D)
    assert info.value.code == "disability_board_required"
    closed = services.sick_leave_close(
        actor=doctor_actor, certificate=leave, outcome="disability_board", outcome_date=today + 4 * D
    )
    assert (closed.status, closed.outcome) == ("closed", "disability_board")


def test_another_organisation_cannot_touch_the_certificate(open_leave, make_org, make_user, today):
    leave = open_leave()
    other = make_org("medical")
    doc = make_user("doctor", other)
    actor = actor_for_user(doc, other)
    for call in (
        lambda: services.sick_leave_extend(actor=actor, certificate=leave, end=today + 9 * D),
        lambda: services.sick_leave_close(
            actor=actor, certificate=leave, outcome="return_to_work", outcome_date=today + 5 * D
        ),
        lambda: services.sick_leave_annul(actor=actor, certificate=leave, reason="wrong patient"),
        lambda: services.sick_leave_duplicate(actor=actor, certificate=leave),
    ):
        with pytest.raises(PermissionDenied) as info:
            call()
        assert info.value.code == "not_issuing_organization"


def test_close_with_return_to_work(open_leave, doctor_actor, today):
    leave = open_leave()
    with pytest.raises(RuleRefused) as info:
        services.sick_leave_close(
            actor=doctor_actor, certificate=leave, outcome="return_to_work", outcome_date=today + 3 * D
        )
    assert info.value.code == "return_date_mismatch"
    with pytest.raises(Conflict):
        services.sick_leave_close(
            actor=doctor_actor, certificate=leave, outcome="still_ill", outcome_date=today + 5 * D
        )
    closed = services.sick_leave_close(
        actor=doctor_actor, certificate=leave, outcome="return_to_work", outcome_date=today + 5 * D
    )
    assert (closed.status, closed.outcome_date) == ("closed", today + 5 * D)
    assert closed.closed_at is not None
    with pytest.raises(RuleRefused) as info:
        services.sick_leave_extend(actor=doctor_actor, certificate=leave, end=today + 9 * D)
    assert info.value.code == "invalid_status"


def test_continue_links_and_counts_the_whole_case(open_leave, doctor_actor, chair, today):
    leave = open_leave()
    services.sick_leave_extend(actor=doctor_actor, certificate=leave, end=today + 9 * D)
    services.sick_leave_extend(actor=doctor_actor, certificate=leave, end=today + 14 * D)
    # day 16 of the case: the continuation needs the commission too
    with pytest.raises(RuleRefused) as info:
        services.sick_leave_continue(actor=doctor_actor, certificate=leave, end=today + 19 * D)
    assert info.value.code == "commission_required"
    leave.refresh_from_db()
    assert leave.status == "open"  # the refusal rolled the closing back
    follow = services.sick_leave_continue(
        actor=doctor_actor,
        certificate=leave,
        end=today + 19 * D,
        diagnosis_code="J18.9",
        commission_chair=chair,
        commission_decision_number="VKK-2",
    )
    leave.refresh_from_db()
    assert (leave.status, leave.outcome, leave.outcome_date) == ("closed", "still_ill", today + 15 * D)
    assert follow.continuation_of == leave
    assert follow.periods.get().start == today + 15 * D
    assert follow.diagnosis_code == "J18.9"


def test_annul_by_the_issuing_organisation(open_leave, doctor_actor, make_user, clinic):
    leave = open_leave()
    with pytest.raises(ValidationFailed):
        services.sick_leave_annul(actor=doctor_actor, certificate=leave, reason="")
    admin = make_user("org_admin", clinic)
    annulled = services.sick_leave_annul(
        actor=actor_for_user(admin, clinic), certificate=leave, reason="Issued to the wrong patient"
    )
    assert annulled.status == "annulled" and annulled.annulment_reason == "Issued to the wrong patient"
    row = AuditLog.objects.get(action="sick_leave.annul")
    assert "wrong patient" not in str(row.changes)
    with pytest.raises(RuleRefused) as info:
        services.sick_leave_annul(actor=doctor_actor, certificate=leave, reason="again, twice")
    assert info.value.code == "invalid_status"


def test_duplicate_replaces_the_original(open_leave, doctor_actor, today):
    leave = open_leave()
    services.sick_leave_extend(actor=doctor_actor, certificate=leave, end=today + 9 * D)
    duplicate = services.sick_leave_duplicate(actor=doctor_actor, certificate=leave)
    leave.refresh_from_db()
    assert leave.status == "replaced"
    assert duplicate.status == "open" and duplicate.duplicate_of == leave
    assert duplicate.number != leave.number
    assert [(p.start, p.end) for p in duplicate.periods.all()] == [
        (p.start, p.end) for p in leave.periods.all()
    ]
    # the duplicate carries on the case
    services.sick_leave_extend(actor=doctor_actor, certificate=duplicate, end=today + 14 * D)
    with pytest.raises(RuleRefused):
        services.sick_leave_duplicate(actor=doctor_actor, certificate=leave)


def test_signed_period_is_frozen_by_the_service(open_leave, doctor_actor, chair, chair_actor, today):
    leave = open_leave()
    period = leave.periods.get()
    # the doctor signed on issuing: the period is final and refuses any change
    assert period.signed and period.doctor_signature.purpose == "sick_leave.period"
    services.sick_leave_extend(actor=doctor_actor, certificate=leave, end=today + 9 * D)
    services.sick_leave_extend(actor=doctor_actor, certificate=leave, end=today + 14 * D)
    waiting = services.sick_leave_extend(
        actor=doctor_actor, certificate=leave, end=today + 19 * D, commission_chair=chair
    )
    services.sick_leave_period_approve(actor=chair_actor, period=waiting, decision_number="VKK-1")
    for change in (services.sick_leave_period_approve, services.sick_leave_period_reject):
        with pytest.raises(DomainError) as info:
            change(actor=chair_actor, period=waiting)
        assert info.value.code == "period_signed"
    with pytest.raises(DomainError) as info:
        services.assert_period_mutable(period)
    assert info.value.code == "period_signed"


@pytest.mark.postgres_only
def test_signed_period_cannot_be_altered_in_the_database(open_leave, doctor_actor, chair, today):
    leave = open_leave()
    period = leave.periods.get()
    with pytest.raises(DatabaseError, match="signed"), transaction.atomic():
        SickLeavePeriod.objects.filter(pk=period.pk).update(end=today + 2 * D)
    with pytest.raises(DatabaseError, match="signed"), transaction.atomic():
        SickLeavePeriod.objects.filter(pk=period.pk).delete()
    period.refresh_from_db()
    assert period.end == today + 4 * D
    # a period waiting for the commission is not final yet: the chair may still approve it
    services.sick_leave_extend(actor=doctor_actor, certificate=leave, end=today + 9 * D)
    services.sick_leave_extend(actor=doctor_actor, certificate=leave, end=today + 14 * D)
    other = services.sick_leave_extend(
        actor=doctor_actor, certificate=leave, end=today + 19 * D, commission_chair=chair
    )
    assert SickLeavePeriod.objects.filter(pk=other.pk).update(commission_decision_number="X") == 1


@pytest.mark.postgres_only
def test_a_sealed_certificate_cannot_be_rewritten_in_the_database(open_leave, doctor_actor, today):
    leave = open_leave()
    services.sick_leave_close(
        actor=doctor_actor, certificate=leave, outcome="return_to_work", outcome_date=today + 5 * D
    )
    with pytest.raises(DatabaseError, match="signed"), transaction.atomic():
        SickLeave.objects.filter(pk=leave.pk).update(diagnosis_code="Z00.0")
    with pytest.raises(DatabaseError, match="signed"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM sickleave_sickleave WHERE id = %s", [leave.pk])
    # annulling it stays possible
    services.sick_leave_annul(actor=doctor_actor, certificate=leave, reason="issued to the wrong person")


def test_a_race_between_two_doctors_ends_in_the_rule_refusal(open_leave, monkeypatch):
    # given a first certificate, and a second doctor whose check ran before it was committed
    open_leave()
    monkeypatch.setattr(services, "_has_open_certificate", _stale_then_fresh())
    # when the second insert hits the partial unique index, then the doctor gets the rule's code
    with pytest.raises(RuleRefused) as info:
        open_leave()
    assert info.value.code == "duplicate_open_certificate"
    assert SickLeave.objects.count() == 1


def _stale_then_fresh():
    calls = {"n": 0}

    def check(pin, employer_tax_id, reason):
        calls["n"] += 1
        if calls["n"] == 1:
            return False  # the stale answer the second doctor saw
        return SickLeave.objects.filter(
            patient_pin=pin, employer_tax_id=employer_tax_id, reason=reason, status="open"
        ).exists()

    return check
