"""`manage.py daily_counts [--full] [--enqueue]`: folds into the dashboard's daily counters of
packages introduced and withdrawn (`traceability.daily`) the deltas the operations recorded;
`--full` recounts every day from the packages (after a bulk load or a repair that wrote
packages directly).
Prints what it did as JSON. Run every few minutes by deploy/systemd/salamat-daily-counts.timer;
`--enqueue` hands it to the job worker instead."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Fold the recorded deltas into the dashboard's daily counters (--full: recount them)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--full", action="store_true", help="recount every day from the packages")
        parser.add_argument("--enqueue", action="store_true", help="queue it on the job runner instead")

    def handle(self, *args, full: bool = False, enqueue: bool = False, **options) -> None:
        from salamat.core import jobs
        from salamat.traceability import daily

        if enqueue:
            self.stdout.write(json.dumps({"queued": jobs.enqueue(daily.daily_counts_job)}))
            return
        self.stdout.write(json.dumps(daily.summarise(full=full)))
