"""Signatures of sick leave: who signed what, and tampering shows up on verification."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client

from salamat.sickleave import services, signing
from salamat.sickleave.models import SickLeavePeriod
from salamat.signatures.models import SignedRecord

pytestmark = pytest.mark.django_db
D = timedelta(days=1)


def _closed_case(open_leave, doctor_actor, chair, chair_actor, today):
    leave = open_leave()
    services.sick_leave_extend(actor=doctor_actor, certificate=leave, end=today + 9 * D)
    services.sick_leave_extend(actor=doctor_actor, certificate=leave, end=today + 14 * D)
    waiting = services.sick_leave_extend(
        actor=doctor_actor, certificate=leave, end=today + 19 * D, commission_chair=chair
    )
    services.sick_leave_period_approve(actor=chair_actor, period=waiting, decision_number="VKK-5")
    return services.sick_leave_close(
        actor=doctor_actor, certificate=leave, outcome="return_to_work", outcome_date=today + 20 * D
    )


def _raw_update(sql: str, params) -> None:
    """Alters stored data behind the services' back (on PostgreSQL past the trigger, as a
    database administrator could): the signatures must notice."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # (deferred foreign-key checks must run before the table may be altered)
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE sickleave_sickleaveperiod DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE sickleave_sickleaveperiod ENABLE TRIGGER USER")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def test_each_part_is_signed_by_the_right_person(
    open_leave, doctor, doctor_actor, chair, chair_actor, clinic, today
):
    leave = _closed_case(open_leave, doctor_actor, chair, chair_actor, today)
    checks = signing.signatures_of(leave)
    assert [(c.role, c.ordinal, c.valid) for c in checks] == [
        ("doctor", 1, True),
        ("doctor", 2, True),
        ("doctor", 3, True),
        ("doctor", 4, True),
        ("commission_chair", 4, True),
        ("organization", None, True),
    ]
    assert checks[0].signer_name == doctor.full_name
    assert checks[4].signer_name == chair.full_name
    assert checks[5].signer_name == clinic.name
    # each over the RFC 8785 canonical bytes of the record, kept verbatim
    period = leave.periods.get(ordinal=4)
    kept = period.doctor_signature
    assert kept.canonical_json.encode() == signing.crypto.canonical_bytes(signing.period_record(period))
    assert signing.commission_record(period)["period_signature_sha256"] == kept.payload_sha256


def test_altering_a_signed_period_makes_verification_fail(
    open_leave, doctor, doctor_actor, chair, chair_actor, patient, today
):
    # given a closed, fully signed certificate
    leave = _closed_case(open_leave, doctor_actor, chair, chair_actor, today)
    # when someone shortens the second period in the database
    period = leave.periods.get(ordinal=2)
    _raw_update('UPDATE sickleave_sickleaveperiod SET "end" = %s WHERE id = %s', [today + 8 * D, period.pk])
    # then the doctor's signature over that period and the clinic's seal no longer verify
    failing = {(c.role, c.ordinal): c.code for c in signing.signatures_of(leave) if not c.valid}
    assert failing == {("doctor", 2): "data_changed", ("organization", None): "data_changed"}
    client = Client()
    client.force_login(doctor)
    body = client.get(f"/api/v1/sick-leaves/{leave.external_id}/signatures").json()
    assert body["all_valid"] is False
    employer = Client().post(
        "/api/v1/sick-leaves/verify",
        {"number": leave.number, "pin": patient.pin},
        content_type="application/json",
    )
    assert employer.json()["signatures_valid"] is False


def test_altering_the_kept_signed_bytes_is_caught(open_leave, doctor_actor, today):
    leave = open_leave()
    record = leave.periods.get().doctor_signature
    SignedRecord.objects.filter(pk=record.pk).update(
        canonical_json=record.canonical_json.replace(today.isoformat(), (today - D).isoformat())
    )
    (check,) = signing.signatures_of(leave)
    assert (check.valid, check.code) == (False, "bad_signature")


def test_the_service_refuses_to_change_a_signed_period(open_leave):
    leave = open_leave()
    period = SickLeavePeriod.objects.get(certificate=leave)
    with pytest.raises(services.Conflict) as info:
        services.assert_period_mutable(period)
    assert info.value.code == "period_signed"


def test_a_duplicate_is_attested_by_the_doctor_issuing_it(open_leave, doctor_actor, today):
    leave = open_leave()
    services.sick_leave_close(
        actor=doctor_actor, certificate=leave, outcome="return_to_work", outcome_date=today + 5 * D
    )
    duplicate = services.sick_leave_duplicate(actor=doctor_actor, certificate=leave)
    checks = signing.signatures_of(duplicate)
    assert [(c.role, c.valid) for c in checks] == [("copy", True), ("organization", True)]
    copy_record = signing.period_record(duplicate.periods.get())
    assert copy_record["copy_of"]["certificate"] == leave.number


def test_signing_needs_a_pin(open_leave, make_user, clinic):
    from salamat.accounts.selectors import actor_for_user

    nameless = make_user("doctor", clinic)
    with pytest.raises(services.PermissionDenied) as info:
        open_leave(actor=actor_for_user(nameless, clinic))
    assert info.value.code == "signer_pin_required"
