"""Every GS1 example document (tests/conformance, from GS1's repository) is captured, and every event in it
comes back from GET /epcis/events with the same content."""

from __future__ import annotations

import json

import pytest
from lxml import etree

from salamat.epcis import validation, xmlconv
from salamat.epcis.models import EpcisEvent
from salamat.epcis.services import context_prefixes, event_normalise
from salamat.epcis.tests.conftest import CONFORMANCE, capture, job_of, normalise

JSON_DOCS = sorted(p.name for p in (CONFORMANCE / "json").glob("*.jsonld")) if CONFORMANCE.is_dir() else []
XML_DOCS = sorted(p.name for p in (CONFORMANCE / "xml").glob("*.xml")) if CONFORMANCE.is_dir() else []


@pytest.fixture
def wclient(api, make_token, wholesaler):
    return api(make_token(wholesaler))


def _all_events(wclient) -> list[dict]:
    answer = wclient.get("/epcis/events?perPage=1000")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert validation.schema_errors(body) == []  # an EPCIS query document, valid against the schema
    return body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]


def _expected(document: dict) -> list[dict]:
    prefixes = context_prefixes(document)
    return [event_normalise(e, prefixes) for e in document["epcisBody"]["eventList"]]


def _round_trip(wclient, document: dict, body, content_type: str) -> int:
    job = job_of(wclient, capture(wclient, body, content_type=content_type))
    assert job["success"] is True and job["errors"] == [], job
    returned = {e["eventID"]: e for e in _all_events(wclient)}
    originals = document["epcisBody"]["eventList"]
    for original, stored in zip(originals, _expected(document), strict=True):
        # compared with the event as sent: only the eventID (the hash, when it had none) is added
        answer = dict(returned[stored["eventID"]])
        if "eventID" not in original:
            assert answer.pop("eventID").startswith("ni:///sha-256;")
        assert normalise(answer) == normalise(original)
    return len(originals)


@pytest.mark.parametrize("name", JSON_DOCS)
def test_json_example_round_trips(wclient, conformance, name):
    raw = (conformance / "json" / name).read_bytes()
    assert _round_trip(wclient, json.loads(raw), raw, "application/ld+json") >= 1


@pytest.mark.parametrize("name", XML_DOCS)
def test_xml_example_round_trips(wclient, conformance, name):
    raw = (conformance / "xml" / name).read_bytes()
    document = xmlconv.document_from_xml(etree.fromstring(raw, xmlconv.parser()))
    assert validation.schema_errors(document) == []  # the XML converts to a schema-valid JSON-LD document
    assert _round_trip(wclient, document, raw, "application/xml") >= 1


def test_whole_folder_in_one_run(wclient, conformance):
    total = 0
    for name in JSON_DOCS:
        raw = (conformance / "json" / name).read_bytes()
        job = job_of(wclient, capture(wclient, raw))
        assert job["success"], (name, job)
        total += job["eventCount"]
    for name in XML_DOCS:
        job = job_of(
            wclient,
            capture(wclient, (conformance / "xml" / name).read_bytes(), content_type="application/xml"),
        )
        assert job["success"], (name, job)
        total += job["eventCount"]
    assert len(JSON_DOCS) == 23 and len(XML_DOCS) == 3
    assert EpcisEvent.objects.count() <= total  # identical events (same eventID / hash) stored once
    assert EpcisEvent.objects.filter(applied=True).count() == 0  # no example names a registered product
