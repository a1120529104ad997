"""Loads the stand-in legal-entities register from CSV (development): all rows or none."""

from pathlib import Path

from django.core.management import BaseCommand, CommandError

from salamat.tunduk.csv_import import ImportRefused, legal_entities_import


class Command(BaseCommand):
    help = legal_entities_import.__doc__

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV with a header row, UTF-8")

    def handle(self, *args, file: Path, **options):
        if not file.exists():
            raise CommandError(f"{file} does not exist")
        try:
            result = legal_entities_import(file)
        except ImportRefused as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"nothing imported: {len(exc.errors)} bad value(s); first: {exc.errors[0]}"
            ) from None
        self.stdout.write(f"{result.created} created, {result.updated} updated")
