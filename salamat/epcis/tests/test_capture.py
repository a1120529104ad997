"""Capture: refusals with a reason and nothing stored, limits, the event hash, duplicates,
error behaviours; meaning: EPCIS events drive the traceability core like the REST API."""

from __future__ import annotations

import copy
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from salamat.epcis.eventhash import event_hash
from salamat.epcis.models import CaptureJob, EpcisEvent
from salamat.epcis.selectors import epcis_not_applied_count
from salamat.epcis.tests.conftest import CONFORMANCE, capture, job_of
from salamat.traceability.models import Alert, Package, PackageState, WithdrawReason

CTX = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]


def doc(*events) -> dict:
    return {
        "@context": CTX, "type": "EPCISDocument", "schemaVersion": "2.0",
        "creationDate": "2026-01-01T00:00:00Z", "epcisBody": {"eventList": list(events)},
    }  # fmt: skip


def now_iso(minutes: int = 0) -> str:
    return (timezone.now() - timedelta(minutes=60 - minutes)).isoformat(timespec="milliseconds")


def object_event(epcs, biz_step, action="OBSERVE", minutes=0, **extra) -> dict:
    return {
        "type": "ObjectEvent", "eventTime": now_iso(minutes), "eventTimeZoneOffset": "+06:00",
        "epcList": epcs, "action": action, "bizStep": biz_step, **extra,
    }  # fmt: skip


def _trace_state() -> tuple:
    """Everything capture may change: the EPCIS rows, the packages and the core's events."""
    from salamat.traceability.models import Event, Shipment

    return (
        EpcisEvent.objects.count(),
        sorted(Package.objects.values_list("key", "state", "owner_id", "last_event_id")),
        Event.objects.count(),
        Shipment.objects.count(),
    )


def refused(response, code):
    assert response.status_code in (400, 413, 422), response.content
    body = response.json()
    assert body["code"] == code, body
    return body


@pytest.fixture
def wclient(api, make_token, wholesaler):
    return api(make_token(wholesaler))


# --- refusals ----------------------------------------------------------------------------

BASE = object_event(["urn:epc:id:sgtin:0614141.107346.2017"], "shipping")


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda d: d["epcisBody"]["eventList"][0].update(action="MOVE"), id="bad-action"),
        pytest.param(
            lambda d: d["epcisBody"]["eventList"][0].update(bizStep="teleporting"), id="unknown-bizstep"
        ),
        pytest.param(lambda d: d.pop("@context"), id="missing-context"),
        pytest.param(
            lambda d: d["epcisBody"]["eventList"][0].update(
                quantityList=[{"epcClass": "urn:epc:class:lgtin:4012345.012345.998877", "quantity": "200"}]
            ),
            id="quantity-as-text",
        ),
        pytest.param(
            lambda d: d["epcisBody"]["eventList"][0].update(epcList="urn:epc:id:sgtin:1.2.3"),
            id="epclist-not-array",
        ),
        pytest.param(lambda d: d["epcisBody"]["eventList"][0].update(eventTime=12), id="time-not-string"),
    ],
)
def test_invalid_json_is_refused_and_nothing_stored(wclient, mutate):
    document = doc(copy.deepcopy(BASE))
    mutate(document)
    body = refused(capture(wclient, document), "schema_invalid")
    assert body["details"]["errors"]
    assert EpcisEvent.objects.count() == 0


def test_a_uri_bizstep_outside_the_cbv_is_accepted(wclient):
    event = {**copy.deepcopy(BASE), "bizStep": "https://example.com/bizstep/sterilising"}
    assert job_of(wclient, capture(wclient, doc(event)))["success"]


def test_malformed_and_invalid_xml(wclient):
    refused(capture(wclient, b"<epcis:EPCISDocument", content_type="application/xml"), "malformed_xml")
    bad = (
        (CONFORMANCE / "xml" / "Example_9.6.1-ObjectEvent-2020_06_18a.xml")
        .read_text()
        .replace("<action>OBSERVE</action>", "<action>MOVE</action>")
    )
    refused(capture(wclient, bad, content_type="application/xml"), "schema_invalid")
    xxe = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    assert capture(wclient, xxe, content_type="application/xml").status_code == 422
    assert EpcisEvent.objects.count() == 0


def test_limits_announced_and_enforced(wclient, settings):
    options = wclient.options("/epcis/capture")
    assert options.status_code == 204
    assert int(options["GS1-EPCIS-Capture-Limit"]) == 10_000
    assert int(options["GS1-EPCIS-Capture-File-Size-Limit"]) > 0
    settings.SALAMAT = {**settings.SALAMAT, "EPCIS_CAPTURE_LIMIT": 1, "EPCIS_CAPTURE_FILE_SIZE_LIMIT": 5000}
    body = refused(capture(wclient, doc(BASE, {**BASE, "bizStep": "receiving"})), "capture_limit_exceeded")
    assert body["details"] == {"limit_events": 1, "received_events": 2}
    big = doc({**BASE, "example:pad": "x" * 6000})
    assert refused(capture(wclient, big), "capture_file_too_large")
    assert EpcisEvent.objects.count() == 0


def test_unauthenticated_and_bad_behaviour(api, wclient):
    assert api().post("/epcis/capture", data="{}", content_type="application/json").status_code == 401
    assert api().get("/epcis/events").json()["code"] == "not_authenticated"
    assert refused(
        capture(wclient, doc(BASE), HTTP_GS1_CAPTURE_ERROR_BEHAVIOUR="maybe"), "bad_capture_error_behaviour"
    )


# --- event hash --------------------------------------------------------------------------


def test_same_event_in_json_and_xml_gets_the_same_hash_and_is_stored_once(wclient):
    json_doc = json.loads((CONFORMANCE / "json" / "Example_9.6.1-ObjectEvent.jsonld").read_text())
    for e in json_doc["epcisBody"]["eventList"]:
        e.pop("eventID")  # the XML twin carries no eventID: both get the hash
    # GS1's JSON twin binds `example:` to ".../epcis/", the XML to ".../epcis": two different
    # namespaces (so two different extension fields). Bind the same one to compare like with like.
    json_doc["@context"][1]["example"] = "http://ns.example.com/epcis"
    first = job_of(wclient, capture(wclient, json_doc))
    assert first["capturedCount"] == 2
    xml = (CONFORMANCE / "xml" / "Example_9.6.1-ObjectEvent-2020_06_18a.xml").read_bytes()
    second = job_of(wclient, capture(wclient, xml, content_type="application/xml"))
    assert second["success"] and second["capturedCount"] == 0 and second["duplicateCount"] == 2
    assert EpcisEvent.objects.count() == 2
    assert all(
        e.startswith("ni:///sha-256;") and e.endswith("?ver=CBV2.0")
        for e in EpcisEvent.objects.values_list("event_id", flat=True)
    )


def test_hash_ignores_form_not_content():
    a = object_event(
        ["urn:epc:id:sgtin:0614141.107346.2017", "urn:epc:id:sgtin:0614141.107346.2018"], "shipping"
    )
    b = {**a, "epcList": ["https://id.gs1.org/01/10614141073464/21/2018", "https://example.org/01/10614141073464/21/2017"],
         "bizStep": "urn:epcglobal:cbv:bizstep:shipping", "recordTime": "2030-01-01T00:00:00Z"}  # fmt: skip
    assert event_hash(a) == event_hash(b)
    assert event_hash(a) != event_hash({**a, "action": "ADD"})


# --- meaning -----------------------------------------------------------------------------


@pytest.fixture
def world(api, make_token, importer, pharmacy, gtin):
    from salamat.registry.models import Site

    Site.objects.filter(organization=importer).update(gln="4700000000012")
    Site.objects.filter(organization=pharmacy).update(gln="4700000000029")
    return {
        "importer": api(make_token(importer)),
        "pharmacy": api(make_token(pharmacy)),
        "dl": lambda n: [f"https://id.gs1.org/01/{gtin}/21/S{i:06d}" for i in range(1, n + 1)],
    }


def _chain(world, epcs):
    imp, pha = world["importer"], world["pharmacy"]
    commission = object_event(
        epcs, "commissioning", "ADD", 0, disposition="active",
        ilmd={"cbvmda:lotNumber": "LOT7", "cbvmda:itemExpirationDate": "2030-12-31"},
    )  # fmt: skip
    ship = object_event(
        epcs, "shipping", "OBSERVE", 1, disposition="in_transit",
        bizTransactionList=[{"type": "inv", "bizTransaction": "urn:epcglobal:cbv:bt:4700000000014:INV-9"}],
        destinationList=[{"type": "owning_party", "destination": "urn:epc:id:pgln:4700000.00002"}],
    )  # fmt: skip
    assert job_of(imp, capture(imp, doc(commission, ship)))["appliedCount"] == 2
    receive = object_event(epcs, "receiving", "OBSERVE", 2, disposition="in_progress")
    sell = object_event(epcs[:1], "retail_selling", "OBSERVE", 3, disposition="retail_sold")
    assert job_of(pha, capture(pha, doc(receive, sell)))["appliedCount"] == 2


def test_chain_changes_states_like_the_rest_api(world, pharmacy):
    dl = world["dl"](2)
    _chain(world, dl)
    sold, kept = Package.objects.order_by("key")
    assert (sold.state, sold.withdraw_reason, sold.batch) == (
        PackageState.WITHDRAWN,
        WithdrawReason.SOLD,
        "LOT7",
    )
    assert (kept.state, kept.owner_id, str(kept.expiry)) == (
        PackageState.IN_CIRCULATION,
        pharmacy.pk,
        "2030-12-31",
    )
    assert EpcisEvent.objects.filter(applied=True, trace_event__isnull=False).count() == 4
    # the pharmacy sees the events about its packages, captured by the importer too
    seen = world["pharmacy"].get("/epcis/events?EQ_bizStep=commissioning").json()
    assert len(seen["epcisBody"]["queryResults"]["resultsBody"]["eventList"]) == 1


def test_selling_twice_fails_the_job_with_already_sold_and_alerts(world):
    dl = world["dl"](2)
    _chain(world, dl)
    pha = world["pharmacy"]
    before = _trace_state()
    again = object_event(dl[:1], "retail_selling", "OBSERVE", 4)
    # schema-valid, within the limits: accepted (202); the refusal is the capture job's
    response = capture(pha, doc(again))
    job = job_of(pha, response)
    assert (job["running"], job["success"], job["captureErrorBehaviour"]) == (False, False, "rollback")
    assert (job["capturedCount"], job["appliedCount"], job["duplicateCount"]) == (0, 0, 0)
    [error] = job["errors"]
    assert error["type"] == "epcisException:ValidationException" and error["title"]
    assert (error["event_index"], error["event_id"], error["code"]) == (
        0,
        event_hash(again),
        "operation_refused",
    )
    assert error["instance"] == event_hash(again)
    assert [e["reason"] for e in error["details"]["errors"]] == ["already_sold"]
    assert Alert.objects.filter(kind="already_sold").count() == 1
    assert CaptureJob.objects.get(external_id=job["captureID"]).status == "failed"
    assert EpcisEvent.objects.filter(event_id=event_hash(again)).count() == 0
    assert _trace_state() == before


def test_proceed_keeps_the_good_events(world):
    dl = world["dl"](2)
    _chain(world, dl)
    pha = world["pharmacy"]
    bad = object_event(dl[:1], "retail_selling", "OBSERVE", 4)
    good = object_event(dl[1:], "retail_selling", "OBSERVE", 5)
    sensor = object_event(["urn:epc:id:sgtin:0614141.107346.9"], "inspecting", "OBSERVE", 5)
    job = job_of(pha, capture(pha, doc(bad, good, sensor), HTTP_GS1_CAPTURE_ERROR_BEHAVIOUR="proceed"))
    assert job["success"] and job["capturedCount"] == 2 and job["appliedCount"] == 1
    assert [e["event_index"] for e in job["errors"]] == [0]
    assert Package.objects.filter(state=PackageState.WITHDRAWN).count() == 2
    assert epcis_not_applied_count() == 1


def test_scoping(world, api, make_token, other_pharmacy, regulator):
    dl = world["dl"](1)
    _chain(world, dl)
    stranger = api(make_token(other_pharmacy))
    assert stranger.get("/epcis/events").json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"] == []
    assert (
        len(
            world["importer"]
            .get("/epcis/events")
            .json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        )
        == 4
    )
