"""`manage.py seed_sickleave`: demo sick leaves (development only, idempotent)."""

from django.conf import settings
from django.core.management import BaseCommand, CommandError

from salamat.sickleave.demo import seed_sick_leave


class Command(BaseCommand):
    help = "Development only: demo sick leaves (open, extended with the commission, closed, annulled)."

    def handle(self, *args, **options):
        if not settings.DEV_MODE:
            raise CommandError("seed_sickleave is for development mode only.")

        created = seed_sick_leave()
        self.stdout.write(
            f"Demo sick leaves: {created} created." if created else "Demo sick leaves: complete."
        )
