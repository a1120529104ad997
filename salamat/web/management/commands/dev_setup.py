"""Prepares the development database: migrate, compile translations, seed demo data once."""

import shutil

from django.conf import settings
from django.core.management import BaseCommand, CommandError, call_command

from salamat.onboarding.demo import offer_sample_ensure
from salamat.registry.models import Organization


class Command(BaseCommand):
    help = "Development only: migrate, compile translations and load the demo data once."

    def handle(self, *args, **options):
        if not settings.DEV_MODE:
            raise CommandError("dev_setup is for development mode only (SALAMAT_MODE=development).")
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        if shutil.which("msgfmt"):
            call_command("compilemessages", verbosity=0, ignore_patterns=[".venv", "var", "node_modules"])
        if not Organization.objects.exists():
            self.stdout.write("Loading the demo data (once)…")
            call_command("seed_demo")
        # The stand-in ESI provider: the platform's OAuth client, the fictional people, and
        # the stand-in registries' rows for the clinics they represent.
        call_command("devidp_setup", verbosity=0)
        # Clinic onboarding: a public offer in force, so a clinic can apply at once.
        offer_sample_ensure()
        # Demo sick leaves (idempotent), once the demo doctor and commission chair exist.
        call_command("seed_sickleave")
        # Demo traceability (idempotent): packages through the chain, an inbox, alerts, a recall.
        call_command("seed_trace")
