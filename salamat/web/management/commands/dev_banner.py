"""Prints where the development server answers and the demo logins."""

from django.conf import settings
from django.core.management import BaseCommand, CommandError

from salamat.accounts.demo import demo_logins
from salamat.core.demo import DEMO_PASSWORD


class Command(BaseCommand):
    help = "Development only: print the URLs and demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args, host, port, **options):
        if not settings.DEV_MODE:
            raise CommandError("dev_banner is for development mode only.")
        base = f"http://{host}:{port}"
        out = self.stdout.write
        out("")
        out("=" * 72)
        out("Salamat — DEVELOPMENT MODE (SQLite, demo data, not for real patients)")
        out("=" * 72)
        out(f"  Web:           {base}/")
        out(f"  API docs:      {base}/api/docs")
        out(f"  Admin:         {base}/admin/")
        out(f"  Health:        {base}/healthz")
        out("")
        out(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, description in demo_logins():
            out(f"  {username:<22} {description}")
        out("")
        out("API token for scripts:  .venv/bin/python manage.py demo_token pharmacy")
        out("=" * 72)
