"""The pure parser's tests run without the registry: no scheme provider (no database)."""

from __future__ import annotations

import pytest

from salamat.codes import schemes


@pytest.fixture(autouse=True)
def no_registry_provider():
    saved = schemes._provider
    schemes.set_provider(None)
    yield
    schemes.set_provider(saved)
