"""Settings for the test suite: test mode, PostgreSQL when DATABASE_URL says so."""

import os

os.environ.setdefault("SALAMAT_MODE", "test")

from salamat.settings import *  # noqa: E402,F403

# The job runner runs each task at once, inside the call that queues it, so a test sees an
# asynchronous capture finished; the tests of the worker itself switch to the database backend.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# Labelling schemes: each test starts with the provider invalidated (root conftest), so its first
# parse reads the schemes once; no timed re-check in the middle of a test can add queries to a
# test that counts them. The test of the timed re-check sets its own interval.
SALAMAT = {**SALAMAT, "SCHEME_RELOAD_SECONDS": 3600}  # noqa: F405
