"""Loads the population registry stand-in from a CSV file (development only).

Columns: pin, family_name, given_name, middle_name, birth_date (YYYY-MM-DD), sex
(female|male), death_date (optional). Rows are upserted by PIN; every PIN's shape is
checked, and the file is loaded all or nothing."""

import csv
from datetime import date

from django.core.management import BaseCommand, CommandError
from django.db import transaction

from salamat.core.errors import ValidationFailed
from salamat.core.identifiers import parse_pin
from salamat.tunduk.models import RegistryPerson


class Command(BaseCommand):
    help = "Load people into the population registry stand-in from a CSV file."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV with a header row")

    @transaction.atomic
    def handle(self, *args, file: str, **options):
        count = 0
        with open(file, newline="", encoding="utf-8") as fh:
            for line, row in enumerate(csv.DictReader(fh), start=2):
                try:
                    info = parse_pin(row["pin"])
                    birth = date.fromisoformat(row["birth_date"])
                    death = date.fromisoformat(row["death_date"]) if row.get("death_date") else None
                except (KeyError, ValueError, ValidationFailed) as exc:
                    raise CommandError(f"line {line}: {exc}") from exc
                if birth != info.birth_date or row.get("sex", info.sex) != info.sex:
                    raise CommandError(f"line {line}: birth date or sex disagrees with the PIN")
                RegistryPerson.objects.update_or_create(
                    pin=info.pin,
                    defaults={
                        "family_name": row.get("family_name", ""),
                        "given_name": row.get("given_name", ""),
                        "middle_name": row.get("middle_name", ""),
                        "birth_date": birth,
                        "sex": info.sex,
                        "death_date": death,
                    },
                )
                count += 1
        self.stdout.write(f"loaded {count} people")
