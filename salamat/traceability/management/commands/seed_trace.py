"""`manage.py seed_trace`: demo traceability data (development only, idempotent)."""

import time

from django.conf import settings
from django.core.management import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Development only: demo packages through their whole chain (introduced, shipped, accepted, "
        "sold, dispensed), a shipment waiting in the demo pharmacy's inbox, alerts and a recall."
    )

    def handle(self, *args, **options):
        if not settings.DEV_MODE:
            raise CommandError("seed_trace is for development mode only.")
        from salamat.traceability.demo import seed_trace

        started = time.monotonic()
        created = seed_trace()
        elapsed = time.monotonic() - started
        if any(created.values()):
            parts = ", ".join(f"{count} {what}" for what, count in created.items() if count)
            self.stdout.write(f"Demo traceability: created {parts} in {elapsed:.1f} s.")
        else:
            self.stdout.write("Demo traceability: complete.")
