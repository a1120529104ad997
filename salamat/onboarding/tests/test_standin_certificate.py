"""The stand-in certificate command (the registry CSV imports live in `salamat.tunduk`)."""

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


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
