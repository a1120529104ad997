"""Writes the generated OpenAPI document to docs/openapi.json (a test fails when they differ)."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management import BaseCommand
from django.utils import translation

from salamat.api import api

OPENAPI_PATH = Path(settings.BASE_DIR) / "docs" / "openapi.json"


def generated_openapi() -> str:
    # The committed document is the English one, whatever the operator's locale.
    with translation.override("en"):
        schema = api.get_openapi_schema(path_prefix="/api/v1/")
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


class Command(BaseCommand):
    help = "Write the API's OpenAPI document to docs/openapi.json."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Exit 1 if the committed document is stale.")

    def handle(self, *args, check=False, **options):
        text = generated_openapi()
        if check:
            current = OPENAPI_PATH.read_text() if OPENAPI_PATH.exists() else ""
            if current != text:
                self.stderr.write("docs/openapi.json is stale: run manage.py export_openapi")
                raise SystemExit(1)
            self.stdout.write("docs/openapi.json is up to date")
            return
        OPENAPI_PATH.parent.mkdir(parents=True, exist_ok=True)
        OPENAPI_PATH.write_text(text)
        self.stdout.write(f"wrote {OPENAPI_PATH.relative_to(settings.BASE_DIR)}")
