"""`manage.py partitions_maintain [--enqueue] [--today YYYY-MM-DD]`: the event tables' monthly
partitions — this month's and the next ones created, months past keeping detached to the archive
schema (`traceability.partitions`). Prints what it did as JSON. Run daily by
deploy/systemd/salamat-partitions.timer; `--enqueue` hands it to the job worker instead."""

from __future__ import annotations

import json
from datetime import date

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the event tables' partitions ahead and detach old ones to the archive schema."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--enqueue", action="store_true", help="queue it on the job runner instead")
        parser.add_argument("--today", type=date.fromisoformat, default=None, help="act as on this day (UTC)")

    def handle(self, *args, enqueue: bool = False, today: date | None = None, **options) -> None:
        from salamat.core import jobs
        from salamat.traceability import partitions

        if enqueue:
            self.stdout.write(json.dumps({"queued": jobs.enqueue(partitions.partitions_maintain_job)}))
            return
        self.stdout.write(json.dumps(partitions.maintain(today=today)))
