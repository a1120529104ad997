"""EPCIS fixtures: the GS1 conformance folder, clients, and a normaliser for comparing events."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from salamat.epcis import vocab
from salamat.traceability.tests.conftest import (  # noqa: F401  (fixtures shared with traceability)
    codes,
    gtin,
    importer,
    ministry,
    other_pharmacy,
    pharmacy,
    product,
    regulator,
    wholesaler,
)

REPO_ROOT = Path(__file__).resolve().parents[3]
# The GS1 example documents, kept in the repository as test data (README.md there: source, licence).
CONFORMANCE = Path(__file__).resolve().parent / "conformance"


@pytest.fixture
def conformance() -> Path:
    if not CONFORMANCE.is_dir():
        pytest.fail(f"GS1 example documents not found at {CONFORMANCE}")
    return CONFORMANCE


def capture(client, body, *, content_type="application/ld+json", **headers):
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post("/epcis/capture", data=data, content_type=content_type, **headers)


def job_of(client, response) -> dict:
    assert response.status_code == 202, response.content
    job = client.get(response["Location"])
    assert job.status_code == 200, job.content
    return job.json()


def _time(value: str) -> str:
    return (
        datetime.fromisoformat(value.replace("Z", "+00:00"))
        .astimezone(UTC)
        .isoformat(timespec="milliseconds")
    )


def normalise(value, key: str = ""):
    """Comparable form: CBV values compact, identifiers canonical, times as UTC instants,
    numbers as floats, lists sorted, repository-added members dropped."""
    if isinstance(value, dict):
        value = vocab.compact_event(value) if "type" in value and "eventTime" in value else value
        return {k: normalise(v, k) for k, v in value.items() if k not in ("recordTime",)}
    if isinstance(value, list):
        items = [normalise(v, key) for v in value]
        return sorted(items, key=lambda x: json.dumps(x, sort_keys=True))
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        if (
            "time" in key.lower()
            and "offset" not in key.lower()
            or key in ("declarationTime", "creationDate")
        ):
            try:
                return _time(value)
            except ValueError:
                return value
        return vocab.canonical_id(value)
    return value
