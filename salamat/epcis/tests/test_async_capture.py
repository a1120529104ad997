"""Asynchronous capture (issue 17): a large document answers 202 at once with its job's location,
the platform's job runner applies it; a small one is applied before the answer; a job never stays
running after a failure; a killed worker leaves its job whole, to be resumed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from salamat.epcis.models import CaptureJob, CaptureStatus, EpcisEvent
from salamat.epcis.services import capture_job_run
from salamat.epcis.tests.conftest import capture
from salamat.epcis.tests.test_capture import doc, now_iso, object_event
from salamat.traceability.models import Package, PackageState

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def queued(settings):
    """The real job runner (its queue in the database) and every document asynchronous."""
    settings.TASKS = DB_TASKS
    settings.SALAMAT = {**settings.SALAMAT, "EPCIS_SYNC_CAPTURE_MAX_EVENTS": 0}


@pytest.fixture
def importer_client(api, make_token, importer):
    return api(make_token(importer))


def _commissioning(gtin: str, tag: str, n: int) -> dict:
    return doc(
        *(
            {
                **object_event([f"https://id.gs1.org/01/{gtin}/21/{tag}{i:06d}"], "commissioning", "ADD"),
                "eventTime": now_iso(i % 50),  # each its own time, as serialisation systems send them
                "ilmd": {"cbvmda:lotNumber": "L1", "cbvmda:itemExpirationDate": "2030-12-31"},
            }
            for i in range(n)
        )
    )


def _run_queued() -> None:
    """What the worker does with each queued task (in this process and this test's transaction;
    a real worker process is the last test's)."""
    from django_tasks_db.models import DBTaskResult

    queued = list(DBTaskResult.objects.ready())
    assert queued
    for result in queued:
        result.task.call(*result.task_result.args, **result.task_result.kwargs)


def _job(client, location: str) -> dict:
    answer = client.get(location)
    assert answer.status_code == 200, answer.content
    return answer.json()


def test_a_large_document_is_202_at_once_and_the_worker_applies_it(queued, importer_client, gtin):
    response = capture(importer_client, _commissioning(gtin, "A", 3))
    assert response.status_code == 202 and response["Location"].startswith("/epcis/capture/")
    job = _job(importer_client, response["Location"])
    assert (job["running"], job["success"], job["capturedCount"]) == (True, False, 0)
    assert EpcisEvent.objects.count() == 0 and Package.objects.count() == 0
    _run_queued()
    job = _job(importer_client, response["Location"])
    assert (job["running"], job["success"], job["capturedCount"], job["appliedCount"]) == (False, True, 3, 3)
    assert set(Package.objects.values_list("state", flat=True)) == {PackageState.IN_CIRCULATION}
    assert CaptureJob.objects.get().document is None  # the waiting document is dropped once applied


def test_a_small_document_is_applied_before_the_answer(settings, importer_client, gtin):
    settings.TASKS = DB_TASKS
    settings.SALAMAT = {**settings.SALAMAT, "EPCIS_SYNC_CAPTURE_MAX_EVENTS": 5}
    response = capture(importer_client, _commissioning(gtin, "B", 5))
    job = _job(importer_client, response["Location"])
    assert (job["running"], job["success"], job["appliedCount"]) == (False, True, 5)


def test_a_job_that_breaks_is_failed_with_a_reason_never_left_running(importer, make_token):
    from salamat.accounts.models import ApiClient

    make_token(importer)
    job = CaptureJob.objects.create(
        organization=importer, api_client=ApiClient.objects.get(organization=importer), event_count=1,
        document={"epcisBody": {"eventList": [{"type": "NoSuchEvent", "eventTime": "soon"}]}},
    )  # fmt: skip
    finished = capture_job_run(job_id=job.pk)
    assert finished.status == CaptureStatus.FAILED and finished.finished_at is not None
    assert [e["code"] for e in finished.errors] == ["capture_failed"]
    assert finished.document is None and EpcisEvent.objects.count() == 0


def _worker_env() -> dict[str, str]:
    db = connection.settings_dict
    url = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or ''}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "salamat.settings",
        "SALAMAT_MODE": "test",
    }


def _worker(*extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-startup-delay", "--no-reload", "--interval", "0.05", *extra],
        cwd=REPO, env=_worker_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_process_applies_the_job_and_a_killed_one_leaves_it_whole(
    queued, importer_client, gtin
):
    from django_tasks_db.models import DBTaskResult

    # a real worker process applies a job
    first = capture(importer_client, _commissioning(gtin, "C", 20))
    worker = _worker("--batch")
    assert worker.wait(timeout=120) == 0
    assert _job(importer_client, first["Location"])["capturedCount"] == 20

    # a worker killed while it applies a large job: the job is still running, nothing of it applied
    n = 1500  # each event its own operation (a minute apart): seconds of work, killed after 0.3 s
    second = capture(importer_client, _commissioning(gtin, "D", n))
    worker = _worker()
    try:
        deadline = time.monotonic() + 120
        while not DBTaskResult.objects.filter(status="RUNNING").exists():
            assert time.monotonic() < deadline, "the worker never took the job"
            time.sleep(0.02)
        time.sleep(0.3)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    job = _job(importer_client, second["Location"])
    stored = EpcisEvent.objects.filter(event_id__contains="").count() - 20
    # all or nothing: never half-applied (and the kill came before the end on any machine this slow)
    assert (job["running"], stored) == (True, 0) or (job["success"], stored) == (True, n), (job, stored)
    killed_mid_job = job["running"]

    # resumed: queued again, a new worker applies it once
    call_command("epcis_capture_resume", verbosity=0)
    worker = _worker("--batch")
    assert worker.wait(timeout=300) == 0
    job = _job(importer_client, second["Location"])
    assert (job["running"], job["success"], job["capturedCount"]) == (False, True, n), job
    assert EpcisEvent.objects.count() == 20 + n
    assert killed_mid_job, "the worker finished before it was killed: make the document larger"
