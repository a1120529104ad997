"""Settings for the test suite: test mode, PostgreSQL when DATABASE_URL says so."""

import os

os.environ.setdefault("SALAMAT_MODE", "test")

from salamat.settings import *  # noqa: E402,F403
