"""A server process killed in the middle of a bulk request leaves nothing half-written."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from salamat.traceability.models import Event, EventPackage, Package, StockBalance

ROOT = Path(__file__).resolve().parents[3]

# Runs in a separate process against the test database: introduces 20,000 codes, and
# right after the packages, their event rows and the stock balances were written (before
# commit) says so and waits to be killed.
SCRIPT = r"""
import os, sys, time
os.environ["DJANGO_SETTINGS_MODULE"] = "salamat.settings_test"
import django
django.setup()
from salamat.registry.models import Organization
from salamat.traceability import services, stock
from salamat.traceability.tests.conftest import actor_for, element_string

original = stock.StockChange.save
def write_then_hang(self):
    original(self)
    print("WRITTEN", flush=True)
    time.sleep(120)
stock.StockChange.save = write_then_hang
importer = Organization.objects.get(pk=int(sys.argv[1]))
codes = [element_string(sys.argv[2], f"K{i:07d}") for i in range(20000)]
services.packages_introduce(actor=actor_for(importer), codes=codes)
print("COMMITTED", flush=True)
"""


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_killed_process_mid_request_leaves_nothing(importer, gtin):
    db = connection.settings_dict
    env = {
        **os.environ,
        "SALAMAT_MODE": "test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(importer.pk), gtin],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line.strip() == "WRITTEN", line
        # the rows are in the database, uncommitted; now the server process dies
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and Package.objects.exists():
        time.sleep(0.2)
    assert Package.objects.count() == 0
    assert Event.objects.count() == 0
    assert EventPackage.objects.count() == 0
    assert StockBalance.objects.count() == 0
