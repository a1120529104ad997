"""What `import_products` and `import_organizations` share: arguments, reading, reporting."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import BaseCommand, CommandError
from django.utils import translation

from salamat.core.actors import SYSTEM, Actor, actor_for_user
from salamat.core.errors import DomainError
from salamat.registry.importers import ImportRejected, run_import


class ImportCommand(BaseCommand):
    importer_class: type

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV file (UTF-8, with or without BOM).")
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="Write the good rows and skip the bad ones (default: nothing is written if any row is bad).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check everything and report the counts; write nothing."
        )
        parser.add_argument(
            "--language",
            default=settings.LANGUAGE_CODE,
            choices=[code for code, _name in settings.LANGUAGES],
            help="Language of the report (default: %(default)s).",
        )
        parser.add_argument(
            "--user",
            default="",
            help="User name of the ministry staff member doing the import (recorded in the audit log).",
        )

    def handle(self, *args, language: str, **options):
        with translation.override(language):
            self._import(**options)

    def _import(self, *, file: str, skip_invalid: bool, dry_run: bool, user: str, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        actor = self._actor(user)
        try:
            report = run_import(
                self.importer_class(),
                path.read_bytes(),
                actor=actor,
                source=path.name,
                skip_invalid=skip_invalid,
                dry_run=dry_run,
            )
        except ImportRejected as exc:
            for error in exc.report.errors:
                self.stderr.write(f"{path.name}: {error}")
            raise CommandError(exc.message) from None
        except DomainError as exc:
            raise CommandError(f"{path.name}: {exc.message}") from None
        for error in report.errors:
            self.stderr.write(f"{path.name}: {error} (skipped)")
        self.stdout.write(report.summary())

    @staticmethod
    def _actor(username: str) -> Actor:
        if not username:
            return SYSTEM
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"--user {username}: no such active user")
        return actor_for_user(user)
