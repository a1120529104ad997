"""Development only: issue a test person's certificate from the stand-in CA, and sign a record.

    manage.py standin_certificate 21505199012345 "Asanov Bakyt" --out var/certs/asanov
    manage.py standin_certificate 21505199012345 "Asanov Bakyt" --key var/certs/asanov.key.pem \\
        --sign '{"purpose": "...", ...}'

The second form prints the base64 signature of the record's RFC 8785 canonical JSON, to paste
into the phase 2 offer page together with the certificate."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management import BaseCommand, CommandError

from salamat.signatures import crypto, standin_ca


class Command(BaseCommand):
    help = "Issue a stand-in certificate for a test person (development only), or sign a record with its key."

    def add_arguments(self, parser):
        parser.add_argument("pin")
        parser.add_argument("name")
        parser.add_argument("--out", type=Path, help="Write OUT.key.pem, OUT.cert.pem and OUT.p12 here.")
        parser.add_argument("--key", type=Path, help="Sign with this PEM private key instead of issuing.")
        parser.add_argument("--sign", help="A JSON record to sign (with --key).")

    def handle(self, *args, pin, name, out=None, key=None, sign=None, **options):
        if settings.MODE == "production":
            raise CommandError("The stand-in CA is for development and tests only.")
        if sign is not None:
            if key is None:
                raise CommandError("--sign needs --key")
            record = json.loads(sign)
            self.stdout.write(crypto.sign(record, crypto.load_private_key(key.read_bytes())))
            return
        issued = standin_ca.issue_personal_certificate(pin, name)
        if out is None:
            self.stdout.write(issued.private_key_pem + issued.certificate_pem)
            return
        out.parent.mkdir(parents=True, exist_ok=True)
        Path(f"{out}.key.pem").write_text(issued.private_key_pem)
        Path(f"{out}.cert.pem").write_text(issued.certificate_pem)
        Path(f"{out}.p12").write_bytes(issued.pkcs12)
        self.stdout.write(f"wrote {out}.key.pem, {out}.cert.pem, {out}.p12")
