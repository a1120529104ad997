"""Settings for the test suite: test mode, PostgreSQL when DATABASE_URL says so."""

import os

os.environ.setdefault("SALAMAT_MODE", "test")

from salamat.settings import *  # noqa: E402,F403

# The job runner runs each task at once, inside the call that queues it, so a test sees an
# asynchronous capture finished; the tests of the worker itself switch to the database backend.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
