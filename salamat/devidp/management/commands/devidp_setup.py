"""Registers the platform at the stand-in ESI provider and loads its fictional people."""

from django.conf import settings
from django.core.management import BaseCommand, CommandError

from salamat.devidp.models import DevPerson
from salamat.devidp.services import devidp_setup


class Command(BaseCommand):
    help = "Development only: create the platform's OAuth application and the stand-in ESI people."

    def add_arguments(self, parser):
        parser.add_argument(
            "--public-base-url",
            default=None,
            help="Where the platform answers (default: PUBLIC_BASE_URL); loopback hosts work on any port.",
        )

    def handle(self, *args, public_base_url=None, verbosity=1, **options):
        if not settings.DEV_MODE:
            raise CommandError("devidp_setup is for development mode only (SALAMAT_MODE=development).")

        application = devidp_setup(public_base_url=public_base_url)
        if verbosity:
            self.stdout.write(
                f"Stand-in ESI: client {application.client_id!r}, {DevPerson.objects.count()} people, "
                f"callbacks: {application.redirect_uris}"
            )
