"""`manage.py seed_records`: demo patients with histories over the demo clinics (development only, idempotent)."""

import time

from django.conf import settings
from django.core.management import BaseCommand, CommandError

from salamat.records.demo import DEMO_PATIENTS, seed_records


class Command(BaseCommand):
    help = "Development only: a few thousand fictional patients with visits in several demo clinics."

    def add_arguments(self, parser):
        parser.add_argument(
            "--patients", type=int, default=None, help="how many generated patients (default 3000)"
        )

    def handle(self, *args, patients=None, **options):
        if not settings.DEV_MODE:
            raise CommandError("seed_records is for development mode only.")
        started = time.monotonic()
        created = seed_records(patients or DEMO_PATIENTS)
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"Demo records: {created} patients in {elapsed:.1f} s." if created else "Demo records: complete."
        )
