"""Queues again the EPCIS capture jobs whose worker was killed (see services.capture_jobs_resume)."""

from django.core.management.base import BaseCommand

from salamat.epcis.services import capture_jobs_resume


class Command(BaseCommand):
    help = "Queue again the EPCIS capture jobs left running by a killed worker (nothing of them was applied)."

    def handle(self, *args, **options) -> None:
        resumed = capture_jobs_resume()
        self.stdout.write(f"EPCIS capture jobs queued again: {len(resumed)}")
