"""The compiled schema check (jsonschema-rs) and `jsonschema` agree: on every GS1 example
and on documents broken in the ways the schema forbids."""

from __future__ import annotations

import copy
import json

import pytest

from salamat.epcis import validation
from salamat.epcis.tests.conftest import CONFORMANCE

JSON_DOCS = sorted(p.name for p in (CONFORMANCE / "json").glob("*.jsonld")) if CONFORMANCE.is_dir() else []
BASE = {
    "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
    "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-01-01T00:00:00Z",
    "epcisBody": {"eventList": [{
        "type": "ObjectEvent", "eventTime": "2026-01-01T00:00:00.000+06:00", "eventTimeZoneOffset": "+06:00",
        "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"], "action": "OBSERVE", "bizStep": "shipping",
        "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"},
    }]},
}  # fmt: skip


def _event(**changes):
    document = copy.deepcopy(BASE)
    document["epcisBody"]["eventList"][0].update(changes)
    return document


BROKEN = {
    "action": _event(action="MOVE"),
    "bizstep-unknown-bare-name": _event(bizStep="teleporting"),
    "bizstep-old-urn-outside-cbv": _event(bizStep="urn:epcglobal:cbv:bizstep:teleporting"),
    "time-zone-offset": _event(eventTimeZoneOffset="+15:00"),
    "event-time-no-zone": _event(eventTime="2026-01-01T00:00:00"),
    "event-time-not-a-time": _event(eventTime="yesterday"),
    "epc-not-a-uri": _event(epcList=["not a uri"]),
    "epclist-not-array": _event(epcList="urn:epc:id:sgtin:1.2.3"),
    "quantity-as-text": _event(quantityList=[{"epcClass": "urn:epc:class:lgtin:4012345.012345.998877", "quantity": "2"}]),
    "read-point-without-id": _event(readPoint={}),
    "no-event-type": {**copy.deepcopy(BASE), "epcisBody": {"eventList": [{"eventTime": "2026-01-01T00:00:00Z"}]}},
}  # fmt: skip


def _both(document) -> tuple[bool, bool]:
    return validation._fast_valid(document), not list(validation.json_validator().iter_errors(document))


@pytest.mark.parametrize("name", JSON_DOCS)
def test_every_example_is_valid_for_both(conformance, name):
    document = json.loads((conformance / "json" / name).read_text())
    assert _both(document) == (True, True)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_documents_are_invalid_for_both(name):
    fast, full = _both(BROKEN[name])
    assert not full, "the case should break the schema"
    assert not fast, "the compiled check accepted what jsonschema refuses"
    assert validation.schema_errors(BROKEN[name])  # and the errors are reported


def test_the_base_document_is_valid():
    assert _both(BASE) == (True, True) and validation.schema_errors(BASE) == []


def test_what_the_compiled_check_cannot_take_is_judged_by_jsonschema():
    # NaN is a number for jsonschema; the compiled check refuses it, so jsonschema decides
    document = _event(
        quantityList=[{"epcClass": "urn:epc:class:lgtin:4012345.012345.998877", "quantity": float("nan")}]
    )
    assert _both(document) == (False, True)
    assert validation.schema_errors(document) == []


@pytest.mark.parametrize("epc", ["urn:example:a|b", "https://example.org/{x}", "urn:example:100%"])
def test_a_uri_only_our_uri_check_accepts_is_judged_by_jsonschema(epc):
    # The compiled check uses RFC 3986's stricter rule; jsonschema (scheme, colon, no white space) decides
    document = _event(epcList=[epc])
    assert _both(document) == (False, True)
    assert validation.schema_errors(document) == []
