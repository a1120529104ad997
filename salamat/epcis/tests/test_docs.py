"""The worked examples in docs/epcis.md are valid: captured in order, each one is applied."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from salamat.epcis.tests.conftest import REPO_ROOT, capture, job_of
from salamat.traceability.models import Package, PackageState

EXAMPLE = re.compile(r"<!-- epcis-example: (\w+) as=(\w+) -->\n```json\n(.*?)\n```", re.S)


def examples() -> list[tuple[str, str, dict]]:
    text = (REPO_ROOT / "docs" / "epcis.md").read_text()
    return [(slug, who, json.loads(body)) for slug, who, body in EXAMPLE.findall(text)]


def test_the_doc_has_one_example_per_operation():
    assert [slug for slug, _w, _d in examples()] == [
        "commission", "pack", "ship", "receive", "sell", "dispense", "destroy", "decommission",
    ]  # fmt: skip


@pytest.mark.django_db
def test_the_doc_examples_capture_and_apply(api, make_token, importer, pharmacy, gtin):
    from salamat.registry.models import Site

    assert gtin == "04700000000012"  # the examples' GTIN is the first test product's
    Site.objects.filter(organization=importer).update(gln="4700000000012")
    Site.objects.filter(organization=pharmacy).update(gln="4700000000029")
    clients = {"importer": api(make_token(importer)), "pharmacy": api(make_token(pharmacy))}
    start = timezone.now() - timedelta(hours=2)
    for i, (slug, who, document) in enumerate(examples()):
        for event in document["epcisBody"]["eventList"]:  # recent times: the core's 30-day window
            event["eventTime"] = (start + timedelta(minutes=i)).isoformat(timespec="milliseconds")
        job = job_of(clients[who], capture(clients[who], document))
        assert job["success"] and job["appliedCount"] == 1, (slug, job)
    states = dict(Package.objects.values_list("key", "state"))
    assert (
        sum(s == PackageState.WITHDRAWN for s in states.values()) == 4
    )  # sold, dispensed, destroyed, written off
