"""The platform's background jobs: one job runner for every module.

The runner is Django's Tasks framework (the `django-tasks` backport until Django 6) with the
`django-tasks-db` backend: the queue is a table in the project's own database, reached through
Django's ORM, so the quick start on SQLite and production on PostgreSQL need no other server.
`manage.py db_worker` is the worker (`make run` starts one beside the web server; in
production run it as a service of its own, as many as needed).

Conventions for modules:

- A job is a plain function decorated with `@jobs.task()` in the module's services; its
  arguments are JSON (ids, never model instances); it is idempotent, because a job whose worker
  was killed may run again.
- Queue it with `jobs.enqueue(task, **kwargs)` inside the transaction that writes what it works
  on: the worker sees the task only once that transaction commits (a rolled-back request leaves
  no task behind).
- The module keeps its own record of the work (its status, its errors, what it applied), written
  in the same transaction as the work, so that a killed worker leaves it unfinished rather than
  half-done, and a command that queues the unfinished ones again (the runner keeps no heartbeat:
  a task whose worker was killed stays "running" in its table).
"""

from __future__ import annotations

from typing import Any

from django_tasks import task

__all__ = ["enqueue", "task"]


def enqueue(job: Any, /, **kwargs: Any) -> str:
    """Queues `job` (a `@task()` function) with keyword arguments; answers the task's id."""
    return str(job.enqueue(**kwargs).id)
