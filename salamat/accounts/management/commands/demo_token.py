"""`manage.py demo_token TYPE`: a fresh API token of a demo organisation (development only).

Prints the token alone on standard output, so that scripts can do
``TOKEN=$(.venv/bin/python manage.py demo_token pharmacy)``.
"""

from django.conf import settings
from django.core.management import BaseCommand, CommandError
from django.utils import timezone

from salamat.accounts.services import api_client_issue
from salamat.core.actors import SYSTEM
from salamat.registry.demo import primary_organization

# The TYPE argument and the demo organisation kind it stands for.
TYPES = {
    "manufacturer": "manufacturer",
    "importer": "importer",
    "wholesaler": "wholesaler",
    "pharmacy": "pharmacy",
    "clinic": "clinic",
    "regulator": "ministry",
    "social_fund": "social_fund",
}


class Command(BaseCommand):
    help = (
        "Development only: print a fresh API token of the demo organisation of TYPE ("
        + ", ".join(TYPES)
        + ")."
    )

    def add_arguments(self, parser):
        parser.add_argument("type", help="One of: " + ", ".join(TYPES))

    def handle(self, *args, type: str, **options):
        if not settings.DEV_MODE:
            raise CommandError("demo_token is for development mode only.")
        kind = TYPES.get(type.strip().lower())
        if kind is None:
            raise CommandError(f"Unknown type {type!r}; valid types: {', '.join(TYPES)}.")

        organization = primary_organization(kind)
        if organization is None:
            raise CommandError("The demo data is not loaded: run `manage.py seed_demo` first.")
        _client, token = api_client_issue(
            actor=SYSTEM,
            organization=organization,
            name=f"demo_token {type} {timezone.now():%Y-%m-%d %H:%M}",
        )
        self.stderr.write(f"API token of {organization.name} ({organization.org_type}):")
        self.stdout.write(token)
