"""The signature mechanism: each refusal has its own code."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.utils import timezone

from salamat.core.actors import SYSTEM
from salamat.signatures import crypto, services, standin_ca
from salamat.signatures.crypto import SignatureInvalid
from salamat.signatures.models import SignedRecord, TrustedCA

PIN = "21505199012345"
RECORD = {"type": "offer_acceptance", "application": "a1", "offer_sha256": "ab" * 32, "pin": PIN}

pytestmark = pytest.mark.django_db


@pytest.fixture
def person():
    return standin_ca.issue_personal_certificate(PIN, "Asanov Bakyt")


def _refused(code, *args, **kwargs):
    with pytest.raises(SignatureInvalid) as exc:
        services.verify(*args, **kwargs)
    assert exc.value.code == code


def test_canonical_bytes_follow_rfc8785():
    assert (
        crypto.canonical_bytes({"b": 1, "a": "é", "c": [1.0, True]}) == b'{"a":"\xc3\xa9","b":1,"c":[1,true]}'
    )


def test_valid_signature_verifies(person):
    # given
    signature = services.sign(RECORD, person.private_key)
    # when
    verified = services.verify(RECORD, signature, person.certificate_pem, expected_pin=PIN)
    # then
    assert verified.signer_pin == PIN
    assert verified.signer_name == "Asanov Bakyt"
    assert verified.payload_sha256 == crypto.sha256_hex(crypto.canonical_bytes(RECORD))


def test_key_order_does_not_matter(person):
    signature = services.sign(RECORD, person.private_key)
    reordered = dict(reversed(list(RECORD.items())))
    services.verify(reordered, signature, person.certificate_pem, expected_pin=PIN)


def test_tampered_record_is_bad_signature(person):
    signature = services.sign(RECORD, person.private_key)
    _refused(
        "bad_signature",
        {**RECORD, "pin": "10101199000001"},
        signature,
        person.certificate_pem,
        expected_pin=PIN,
    )


def test_garbage_signature_is_bad_signature(person):
    _refused("bad_signature", RECORD, "not base64!!", person.certificate_pem, expected_pin=PIN)


def test_signature_by_another_key_is_bad_signature(person):
    other = ec.generate_private_key(ec.SECP256R1())
    _refused("bad_signature", RECORD, services.sign(RECORD, other), person.certificate_pem, expected_pin=PIN)


def test_certificate_from_unknown_ca_is_untrusted(person):
    # given: a CA that looks the same but is not in TrustedCA
    rogue_key = ec.generate_private_key(ec.SECP256R1())
    _, real_root = standin_ca.root()
    forged = standin_ca.issue_personal_certificate(PIN, "Asanov Bakyt", issuer=(rogue_key, real_root))
    # when / then
    _refused(
        "untrusted_certificate",
        RECORD,
        services.sign(RECORD, forged.private_key),
        forged.certificate_pem,
        expected_pin=PIN,
    )


def test_distrusted_ca_makes_certificates_untrusted(person):
    TrustedCA.objects.update(is_active=False)
    _refused(
        "untrusted_certificate",
        RECORD,
        services.sign(RECORD, person.private_key),
        person.certificate_pem,
        expected_pin=PIN,
    )


def test_expired_certificate():
    now = timezone.now()
    old = standin_ca.issue_personal_certificate(
        PIN, "Asanov Bakyt", not_before=now - timedelta(days=400), not_after=now - timedelta(days=1)
    )
    _refused(
        "certificate_expired",
        RECORD,
        services.sign(RECORD, old.private_key),
        old.certificate_pem,
        expected_pin=PIN,
    )


def test_not_yet_valid_certificate():
    now = timezone.now()
    future = standin_ca.issue_personal_certificate(
        PIN, "Asanov Bakyt", not_before=now + timedelta(days=1), not_after=now + timedelta(days=400)
    )
    _refused(
        "certificate_not_yet_valid",
        RECORD,
        services.sign(RECORD, future.private_key),
        future.certificate_pem,
        expected_pin=PIN,
    )


def test_certificate_of_another_person_is_signer_mismatch():
    other = standin_ca.issue_personal_certificate("10101199000001", "Other Person")
    _refused(
        "signer_mismatch",
        RECORD,
        services.sign(RECORD, other.private_key),
        other.certificate_pem,
        expected_pin=PIN,
    )


def test_malformed_certificate(person):
    _refused(
        "malformed_certificate",
        RECORD,
        services.sign(RECORD, person.private_key),
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        expected_pin=PIN,
    )
    _refused("malformed_certificate", RECORD, services.sign(RECORD, person.private_key), "", expected_pin=PIN)


def test_certificate_without_signing_key_usage_is_refused():
    enc_only = standin_ca.issue_personal_certificate(PIN, "Asanov Bakyt", key_usage_signing=False)
    _refused(
        "certificate_key_usage",
        RECORD,
        services.sign(RECORD, enc_only.private_key),
        enc_only.certificate_pem,
        expected_pin=PIN,
    )


def test_signed_record_is_kept_and_verifies_again(person):
    # given
    signature = services.sign(RECORD, person.private_key)
    # when
    kept = services.signed_record_create(
        actor=SYSTEM,
        purpose="test",
        record=RECORD,
        signature=signature,
        certificate_pem=person.certificate_pem,
        expected_pin=PIN,
    )
    # then
    kept = SignedRecord.objects.get(pk=kept.pk)
    assert kept.signer_pin == PIN
    assert kept.verify_again().signer_pin == PIN


def test_signed_record_refused_keeps_nothing(person):
    with pytest.raises(SignatureInvalid):
        services.signed_record_create(
            actor=SYSTEM,
            purpose="test",
            record=RECORD,
            signature=services.sign({**RECORD, "x": 1}, person.private_key),
            certificate_pem=person.certificate_pem,
            expected_pin=PIN,
        )
    assert SignedRecord.objects.count() == 0


def test_tampered_stored_record_fails_verify_again(person):
    kept = services.signed_record_create(
        actor=SYSTEM,
        purpose="test",
        record=RECORD,
        signature=services.sign(RECORD, person.private_key),
        certificate_pem=person.certificate_pem,
        expected_pin=PIN,
    )
    SignedRecord.objects.filter(pk=kept.pk).update(canonical_json=kept.canonical_json.replace("a1", "a2"))
    with pytest.raises(SignatureInvalid) as exc:
        SignedRecord.objects.get(pk=kept.pk).verify_again()
    assert exc.value.code == "bad_signature"


def test_stand_in_root_is_created_once():
    first = standin_ca.root()[1]
    second = standin_ca.root()[1]
    assert first == second
    assert TrustedCA.objects.filter(is_stand_in=True).count() == 1


def test_pkcs12_bundle_loads(person):
    from cryptography.hazmat.primitives.serialization import pkcs12

    key, cert, _ = pkcs12.load_key_and_certificates(person.pkcs12, None)
    assert cert == person.certificate
