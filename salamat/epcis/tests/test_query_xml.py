"""Query answers in XML: content negotiation on `Accept`, an EPCISQueryDocument valid against the
local query XSD, the same events as the JSON-LD answer, the same pages."""

from __future__ import annotations

import json

import pytest
from lxml import etree

from salamat.epcis import validation, xmlconv
from salamat.epcis.services import context_prefixes, event_normalise
from salamat.epcis.tests.conftest import capture, job_of

XML = "application/xml"


@pytest.fixture
def wclient(api, make_token, wholesaler):
    return api(make_token(wholesaler))


def _conformance_documents(conformance) -> list[tuple[bytes, str]]:
    return [
        (p.read_bytes(), "application/ld+json") for p in sorted((conformance / "json").glob("*.jsonld"))
    ] + [(p.read_bytes(), XML) for p in sorted((conformance / "xml").glob("*.xml"))]


@pytest.fixture
def everything(wclient, conformance):
    """Every GS1 example document, JSON and XML, captured by one participant."""
    for raw, content_type in _conformance_documents(conformance):
        assert job_of(wclient, capture(wclient, raw, content_type=content_type))["success"]
    return wclient


def _event_ids(conformance) -> set[str]:
    """The eventID of every event of every example document (as given, else the event hash)."""
    ids = set()
    for raw, content_type in _conformance_documents(conformance):
        document = validation.read_xml(raw) if content_type == XML else validation.read_json(raw)
        prefixes = context_prefixes(document)
        ids |= {event_normalise(e, prefixes)["eventID"] for e in document["epcisBody"]["eventList"]}
    return ids


# The prefixes of the standard JSON-LD context that extension keys use.
STANDARD_PREFIXES = {
    "cbvmda": "urn:epcglobal:cbv:mda:",
    "gs1": "https://gs1.org/voc/",
    "cbv": "https://ref.gs1.org/cbv/",
}


def _prefixes(document: dict) -> dict[str, str]:
    out: dict[str, str] = dict(STANDARD_PREFIXES)
    for entry in document["@context"]:
        if isinstance(entry, dict):
            out.update(entry)
    return out


def _expanded(value, prefixes: dict[str, str]):
    """Keys as `{namespace}local` (so prefixes chosen by either side do not matter), numbers as
    floats (XML has one lexical form for both)."""
    if isinstance(value, dict):
        out = {}
        for key, v in value.items():
            prefix, sep, local = key.partition(":")
            out["{" + prefixes[prefix] + "}" + local if sep and prefix in prefixes else key] = _expanded(
                v, prefixes
            )
        return out
    if isinstance(value, list):
        return [_expanded(v, prefixes) for v in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value


def _json_answer(client, url: str) -> tuple[dict, list[dict]]:
    answer = client.get(url)
    assert answer.status_code == 200, answer.content
    assert answer["Content-Type"] == "application/ld+json"
    body = answer.json()
    assert validation.schema_errors(body) == []
    return body, body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]


def _xml_answer(client, url: str, accept: str = XML):
    answer = client.get(url, HTTP_ACCEPT=accept)
    assert answer.status_code == 200, answer.content
    assert answer["Content-Type"].startswith(accept.split(",")[0].split(";")[0])
    root = etree.fromstring(answer.content, xmlconv.parser())
    schema = validation.xml_query_schema()
    assert schema.validate(root), [f"line {e.line}: {e.message}" for e in schema.error_log][:5]
    assert etree.QName(root).localname == "EPCISQueryDocument"
    document = xmlconv.document_from_xml(root)
    return answer, document, document["epcisBody"]["queryResults"]["resultsBody"]["eventList"]


def _ids(events: list[dict]) -> list[str]:
    return [e["eventID"] for e in events]


def test_every_conformance_event_comes_back_in_xml_with_the_json_content(everything, conformance):
    body, json_events = _json_answer(everything, "/epcis/events?perPage=1000")
    _answer, document, xml_events = _xml_answer(everything, "/epcis/events?perPage=1000")
    assert document["epcisBody"]["queryResults"]["queryName"] == "SimpleEventQuery"
    assert set(_ids(xml_events)) == _event_ids(conformance)  # every event of every document
    assert _ids(xml_events) == _ids(json_events)  # in the same order
    json_prefixes, xml_prefixes = _prefixes(body), _prefixes(document)
    for from_json, from_xml in zip(json_events, xml_events, strict=True):
        assert _expanded(from_xml, xml_prefixes) == _expanded(from_json, json_prefixes), from_json["eventID"]


def test_xml_pages_follow_the_same_link(everything):
    _body, all_json = _json_answer(everything, "/epcis/events?perPage=1000&orderDirection=ASC")
    seen, url, pages = [], "/epcis/events?perPage=7&orderDirection=ASC", 0
    while url:
        answer, _document, events = _xml_answer(everything, url)
        seen += _ids(events)
        pages += 1
        link = answer.get("Link", "")
        assert not link or link.endswith('>; rel="next"')
        url = link.split(">")[0].lstrip("<") or None
    assert pages > 1 and seen == _ids(all_json)


@pytest.mark.parametrize(
    "path",
    [
        "/epcis/epcs/urn:epc:id:sgtin:0614141.107346.2018/events",
        "/epcis/eventTypes/AggregationEvent/events",
        "/epcis/bizSteps/receiving/events",
        "/epcis/dispositions/in_transit/events",
        "/epcis/readPoints/urn:epc:id:sgln:0614141.07346.1234/events",
    ],
)
def test_resource_paths_answer_xml_too(everything, path):
    _body, json_events = _json_answer(everything, path)
    _answer, _document, xml_events = _xml_answer(everything, path)
    assert json_events and _ids(xml_events) == _ids(json_events)


def test_epc_format_header_applies_to_xml(everything):
    _answer, _document, events = _xml_answer(
        everything, "/epcis/events?EQ_bizStep=shipping&perPage=1000", accept="text/xml"
    )
    everything_dl = everything.get(
        "/epcis/events?EQ_bizStep=shipping&perPage=1000",
        HTTP_ACCEPT=XML,
        HTTP_GS1_EPC_FORMAT="Always_GS1_Digital_Link",
    )
    assert everything_dl.status_code == 200 and everything_dl["GS1-EPC-Format"] == "Always_GS1_Digital_Link"
    root = etree.fromstring(everything_dl.content, xmlconv.parser())
    epcs = [e.text for e in root.iter("epc")]
    assert epcs and all(not e.startswith("urn:epc:id:sgtin:") for e in epcs)
    assert any(e.startswith("urn:epc:id:sgtin:") for ev in events for e in ev.get("epcList", []))


@pytest.mark.parametrize(
    "accept,expected",
    [
        (None, "application/ld+json"),
        ("*/*", "application/ld+json"),
        ("application/json", "application/json"),
        ("application/ld+json", "application/ld+json"),
        ("application/xml", "application/xml; charset=utf-8"),
        ("text/xml", "text/xml; charset=utf-8"),
        ("application/xml, application/json;q=0.9", "application/xml; charset=utf-8"),
        ("application/xml;q=0.5, application/ld+json", "application/ld+json"),
        ("text/html, application/*;q=0.8", "application/ld+json"),
        ("application/xml;q=0.5, */*;q=0.1", "application/xml; charset=utf-8"),
    ],
)
def test_content_negotiation(wclient, accept, expected):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    answer = wclient.get("/epcis/events", **headers)
    assert answer.status_code == 200, answer.content
    assert answer["Content-Type"] == expected
    assert "Accept" in [v.strip() for v in answer["Vary"].split(",")]
    assert answer["GS1-EPCIS-Version"] == "2.0.0"
    if expected.startswith("application/xml"):
        root = etree.fromstring(answer.content, xmlconv.parser())
        assert validation.xml_query_schema().validate(root)  # an empty EventList is valid too


@pytest.mark.parametrize("accept", ["text/html", "application/pdf", "application/xml;q=0"])
def test_nothing_acceptable_is_406(wclient, accept):
    answer = wclient.get("/epcis/events", HTTP_ACCEPT=accept)
    assert answer.status_code == 406
    body = answer.json()
    assert body["code"] == "not_acceptable"
    assert body["details"]["supported"] == [
        "application/ld+json",
        "application/json",
        "application/xml",
        "text/xml",
    ]


def test_errors_stay_json_for_xml_clients(wclient):
    answer = wclient.get("/epcis/events?EQ_colour=red", HTTP_ACCEPT=XML)
    assert answer.status_code == 422 and answer.json()["code"] == "query_parameter_invalid"


def test_one_prefix_bound_to_two_namespaces_is_renamed(wclient, conformance):
    """GS1's Example 9.6.1 binds `example:` to `…/epcis/` in JSON and to `…/epcis` in XML: two
    namespaces. One answer has one @context, so the second becomes `example2` and both events keep
    their own extension field, in JSON and in XML."""
    json_doc = json.loads((conformance / "json" / "Example_9.6.1-ObjectEvent.jsonld").read_text())
    for event in json_doc["epcisBody"]["eventList"]:
        event.pop("eventID")
    assert job_of(wclient, capture(wclient, json_doc))["capturedCount"] == 2
    xml = (conformance / "xml" / "Example_9.6.1-ObjectEvent-2020_06_18a.xml").read_bytes()
    # the first events are the same one (stored once); the second ones differ in their extension
    assert job_of(wclient, capture(wclient, xml, content_type=XML))["capturedCount"] == 1
    body, json_events = _json_answer(wclient, "/epcis/events?EQ_bizStep=receiving")
    prefixes = _prefixes(body)
    assert {prefixes["example"], prefixes["example2"]} == {
        "http://ns.example.com/epcis/",
        "http://ns.example.com/epcis",
    }
    fields = sorted(k for e in json_events for k in _expanded(e, prefixes) if k.startswith("{"))
    assert fields == ["{http://ns.example.com/epcis/}myField", "{http://ns.example.com/epcis}myField"]
    _answer, document, xml_events = _xml_answer(wclient, "/epcis/events?EQ_bizStep=receiving")
    assert [_expanded(e, _prefixes(document)) for e in xml_events] == [
        _expanded(e, prefixes) for e in json_events
    ]


def test_member_without_xml_name_is_406_in_xml_only(wclient):
    document = {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"ext": "https://ns.example.com/"}],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-01-01T00:00:00Z",
        "epcisBody": {"eventList": [{
            "type": "ObjectEvent", "eventTime": "2026-01-01T00:00:00Z", "eventTimeZoneOffset": "+06:00",
            "epcList": ["urn:epc:id:sgtin:0614141.107346.1"], "action": "OBSERVE", "ext:1st": "x",
        }]},
    }  # fmt: skip
    assert job_of(wclient, capture(wclient, document))["capturedCount"] == 1
    assert wclient.get("/epcis/events").status_code == 200
    answer = wclient.get("/epcis/events", HTTP_ACCEPT=XML)
    assert answer.status_code == 406
    assert answer.json()["code"] == "not_representable_in_xml"
    assert answer.json()["details"] == {"member": "ext:1st"}
