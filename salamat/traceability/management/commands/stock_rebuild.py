"""Recomputes the stock balances from the packages, or (--check) reports where they differ."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from salamat.traceability import stock


class Command(BaseCommand):
    help = "Recompute stock balances from the packages (repair), or --check them."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="only report differences; exit 1 if any")

    def handle(self, *args, check: bool = False, **options):
        if check:
            diffs = stock.differences()
            for group, kept, actual in diffs[:50]:
                self.stdout.write(f"{group}: balance {kept}, packages {actual}")
            if diffs:
                raise CommandError(f"{len(diffs)} stock groups differ from the packages")
            self.stdout.write("stock balances agree with the packages")
            return
        with transaction.atomic():
            stock.rebuild()
        self.stdout.write("stock balances recomputed")
