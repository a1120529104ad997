"""manage.py import_scheme_products SCHEME FILE.csv — maps a labelling scheme's product codes to
registry products (`code,registration_number` or `code,gtin`, header first; all or nothing)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from salamat.core.actors import SYSTEM
from salamat.core.errors import DomainError
from salamat.registry.labelling import services


class Command(BaseCommand):
    help = "Map a labelling scheme's product codes to registry products from CSV."

    def add_arguments(self, parser):
        parser.add_argument("scheme")
        parser.add_argument("file")

    def handle(self, *args, scheme: str, file: str, **options):
        try:
            text = Path(file).read_text(encoding="utf-8-sig")
            result = services.scheme_products_import(
                actor=SYSTEM,
                scheme=services.scheme_get(code=scheme),
                text=text,
            )
        except OSError as exc:
            raise CommandError(str(exc)) from None
        except DomainError as exc:
            raise CommandError(f"{exc.code}: {exc.message} {exc.details or ''}") from None
        self.stdout.write(f"{result.added} added, {result.updated} changed")
