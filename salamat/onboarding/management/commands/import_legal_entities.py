"""Loads the stand-in legal-entity registry from CSV (columns: tax_id,name,legal_form,address,status)."""

from __future__ import annotations

import csv
from pathlib import Path

from django.core.management import BaseCommand, CommandError
from django.db import transaction

from salamat.core.errors import ValidationFailed
from salamat.core.identifiers import validate_tax_id
from salamat.onboarding.models import LegalEntityStatus, StandInLegalEntity


class Command(BaseCommand):
    help = "Import (insert or update) stand-in legal entities from a CSV file with a header row."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    @transaction.atomic
    def handle(self, *args, file: Path, **options):
        if not file.exists():
            raise CommandError(f"{file} does not exist")
        created = updated = 0
        with file.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = {"tax_id", "name"} - set(reader.fieldnames or ())
            if missing:
                raise CommandError(f"missing columns: {', '.join(sorted(missing))}")
            for line, row in enumerate(reader, start=2):
                try:
                    tax_id = validate_tax_id(row["tax_id"])
                except ValidationFailed:
                    raise CommandError(f"line {line}: tax ID {row['tax_id']!r} is not 14 digits") from None
                status = (row.get("status") or LegalEntityStatus.ACTIVE).strip().lower()
                if status not in LegalEntityStatus.values:
                    raise CommandError(f"line {line}: unknown status {status!r}")
                _, was_created = StandInLegalEntity.objects.update_or_create(
                    tax_id=tax_id,
                    defaults={
                        "name": row["name"].strip(),
                        "legal_form": (row.get("legal_form") or "").strip(),
                        "address": (row.get("address") or "").strip(),
                        "status": status,
                    },
                )
                created += was_created
                updated += not was_created
        self.stdout.write(f"{created} created, {updated} updated")
