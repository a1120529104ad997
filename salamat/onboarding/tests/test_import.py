import pytest
from django.core.management import CommandError, call_command

from salamat.onboarding import registries

pytestmark = pytest.mark.django_db


def test_import_legal_entities(tmp_path):
    # given
    path = tmp_path / "entities.csv"
    path.write_text(
        "tax_id,name,legal_form,address,status\n"
        "01234567890123,Clinic Shifa LLC,LLC,Bishkek,active\n"
        "01234567890124,Old Clinic,LLC,Osh,liquidated\n",
        encoding="utf-8",
    )
    # when
    call_command("import_legal_entities", str(path))
    call_command("import_legal_entities", str(path))  # idempotent
    # then
    assert registries.legal_entity_lookup("01234567890123").name == "Clinic Shifa LLC"
    assert registries.legal_entity_lookup("01234567890124").liquidated is True
    assert registries.legal_entity_lookup("00000000000000") is None


def test_import_refuses_bad_rows_and_keeps_nothing(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("tax_id,name\n01234567890123,Fine\n123,Bad\n", encoding="utf-8")
    with pytest.raises(CommandError, match="line 3"):
        call_command("import_legal_entities", str(path))
    assert registries.legal_entity_lookup("01234567890123") is None


def test_standin_certificate_command_issues_and_signs(tmp_path):
    import json

    from salamat.signatures import services as signatures

    # given
    call_command("standin_certificate", "21505199012345", "Asanov Bakyt", out=tmp_path / "asanov")
    record = {"purpose": "test", "n": 1}
    # when
    from io import StringIO

    out = StringIO()
    call_command(
        "standin_certificate",
        "21505199012345",
        "Asanov Bakyt",
        key=tmp_path / "asanov.key.pem",
        sign=json.dumps(record),
        stdout=out,
    )
    # then
    cert = (tmp_path / "asanov.cert.pem").read_text()
    verified = signatures.verify(record, out.getvalue().strip(), cert, expected_pin="21505199012345")
    assert verified.signer_name == "Asanov Bakyt"
