"""The events query: standard parameters, resource paths, pages, the EPC format header."""

from __future__ import annotations

import pytest

from salamat.epcis.tests.conftest import CONFORMANCE, capture, job_of


@pytest.fixture
def loaded(api, make_token, wholesaler):
    c = api(make_token(wholesaler))
    for name in (
        "Example_9.6.1-ObjectEvent.jsonld",
        "Example_9.6.3-AggregationEvent.jsonld",
        "object_event_all_possible_fields.jsonld",
        "transaction_event_all_possible_fields.jsonld",
    ):
        assert job_of(c, capture(c, (CONFORMANCE / "json" / name).read_bytes()))["success"]  # fmt: skip
    return c


def ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [e["eventID"] for e in response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]]


@pytest.mark.parametrize(
    "query,count",
    [
        ("eventType=ObjectEvent", 3),
        ("eventType=AggregationEvent|TransactionEvent", 2),
        ("EQ_bizStep=shipping", 2),
        ("EQ_bizStep=urn:epcglobal:cbv:bizstep:receiving", 3),
        ("EQ_action=ADD", 2),
        ("EQ_disposition=in_transit", 2),
        ("EQ_readPoint=urn:epc:id:sgln:0614141.07346.1234", 2),
        ("EQ_bizLocation=https://id.gs1.org/414/0012345111112", 2),
        ("MATCH_epc=urn:epc:id:sgtin:0614141.107346.2017", 3),
        ("MATCH_epc=https://id.gs1.org/01/10614141073464/21/2018", 5),
        ("MATCH_parentID=urn:epc:id:sscc:0614141.1234567890", 2),
        ("MATCH_anyEPC=urn:epc:id:sscc:0614141.1234567890", 2),
        ("MATCH_epcClass=urn:epc:class:lgtin:4012345.012345.998877", 2),
        ("EQ_bizTransaction_po=http://transaction.acme.com/po/12345678", 2),
        ("GE_eventTime=2005-04-04T00:00:00Z&LT_eventTime=2005-04-05T00:00:00Z", 2),
        ("LT_recordTime=2000-01-01T00:00:00Z", 0),
    ],
)
def test_parameters(loaded, query, count):
    assert len(ids(loaded.get(f"/epcis/events?{query}"))) == count


def test_pages_follow_the_signed_token(loaded):
    seen, url = [], "/epcis/events?perPage=2&orderBy=eventTime&orderDirection=ASC"
    while url:
        r = loaded.get(url)
        seen += ids(r)
        url = r.get("Link", "").split(">")[0].lstrip("<") or None
    assert len(seen) == len(set(seen)) == len(ids(loaded.get("/epcis/events?perPage=100")))
    assert loaded.get("/epcis/events?nextPageToken=forged").json()["code"] == "query_parameter_invalid"


def test_resource_paths_and_epc_format(loaded):
    assert "ObjectEvent" in loaded.get("/epcis/eventTypes").json()["@set"]
    assert len(ids(loaded.get("/epcis/eventTypes/AggregationEvent/events"))) == 1
    assert len(ids(loaded.get("/epcis/epcs/urn:epc:id:sgtin:0614141.107346.2017/events"))) == 3
    assert "shipping" in loaded.get("/epcis/bizSteps").json()["@set"]
    assert len(ids(loaded.get("/epcis/bizSteps/shipping/events"))) == 2
    assert len(ids(loaded.get("/epcis/dispositions/in_transit/events"))) == 2
    assert len(ids(loaded.get("/epcis/readPoints/urn:epc:id:sgln:0614141.07346.1234/events"))) == 2
    assert len(ids(loaded.get("/epcis/bizLocations/urn:epc:id:sgln:0012345.11111.0/events"))) == 2
    r = loaded.get("/epcis/events?EQ_bizStep=shipping", HTTP_GS1_EPC_FORMAT="Always_GS1_Digital_Link")
    event = r.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"][0]
    assert event["epcList"][0] == "https://id.gs1.org/01/10614141073464/21/2017"
    assert loaded.get("/epcis/events", HTTP_GS1_EPC_FORMAT="Sometimes").status_code == 422
    assert loaded.get("/epcis/events?EQ_colour=red").json()["code"] == "query_parameter_invalid"
