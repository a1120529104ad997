"""`manage.py seed_demo`: build the fictional demo country (development only, idempotent)."""

import time

from django.conf import settings
from django.core.management import BaseCommand, CommandError

from salamat.accounts.demo import seed_demo


class Command(BaseCommand):
    help = (
        "Development only: create the demo country (participants of every type in all regions, "
        "about 200 products on the tracking lists, demo users of every role). Running it again "
        "creates only what is missing."
    )

    def handle(self, *args, **options):
        if not settings.DEV_MODE:
            raise CommandError("seed_demo is for development mode only; it refuses to run in production.")
        started = time.monotonic()
        created = seed_demo()
        elapsed = time.monotonic() - started
        if any(created.values()):
            parts = ", ".join(f"{count} {what.replace('_', ' ')}" for what, count in created.items() if count)
            self.stdout.write(f"Demo data: created {parts} in {elapsed:.1f} s.")
        else:
            self.stdout.write("Demo data already complete: nothing to do.")
