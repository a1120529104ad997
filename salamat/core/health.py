"""Readiness: may this process take traffic, and how are the things it depends on.

``/healthz`` (core/views.py) is the liveness probe: the primary answers. ``/readyz`` adds what an
operator wants on one screen: the replica (configured, reachable, lag) and the job queue (jobs
waiting). Only a primary that does not answer makes it 503: a dead replica is survived (reads
fall back to the primary) and a long queue is an alert, not a reason to stop serving.
"""

from __future__ import annotations

from django.apps import apps
from django.db import DatabaseError, connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from salamat.core.db_routing import PRIMARY, replica_state


def database_ok() -> bool:
    try:
        with connections[PRIMARY].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return False
    return True


def job_queue_depth() -> int | None:
    """Jobs waiting for the worker (django-tasks' database queue); None without one."""
    if not apps.is_installed("django_tasks_db"):
        return None
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.ready().count()


@never_cache
def readyz(request):
    """200 when the primary answers, with the replica's and the job queue's state; else 503."""
    if not database_ok():
        return JsonResponse({"status": "unavailable", "database": "unavailable"}, status=503)
    body: dict = {"status": "ok", "database": "ok", "replica": replica_state()}
    try:
        depth = job_queue_depth()
    except DatabaseError:
        depth = None
    body["jobs"] = {"configured": False} if depth is None else {"configured": True, "queue_depth": depth}
    return JsonResponse(body)
