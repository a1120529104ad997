"""Issue 17's conformance gaps, each through HTTP: the EPC format header, XML answers of extensions
with bare child elements, nil values, attributes on extension and ILMD elements, malformed input,
who sees unapplied events, and an eventID claimed by another organisation."""

from __future__ import annotations

import json

import pytest
from lxml import etree

from salamat.epcis import validation, xmlconv
from salamat.epcis.models import CaptureJob, EpcisEvent
from salamat.epcis.tests.conftest import capture, job_of
from salamat.epcis.tests.test_capture import _trace_state, doc, now_iso, object_event

XML = "application/xml"


@pytest.fixture
def wclient(api, make_token, wholesaler):
    return api(make_token(wholesaler))


def _events(client, query: str = "", **headers) -> list[dict]:
    answer = client.get(f"/epcis/events{query}", **headers)
    assert answer.status_code == 200, answer.content
    return answer.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]


def _xml_events(client, query: str = "") -> tuple[etree._Element, list[dict]]:
    answer = client.get(f"/epcis/events{query}", HTTP_ACCEPT=XML)
    assert answer.status_code == 200, answer.content
    root = etree.fromstring(answer.content, xmlconv.parser())
    schema = validation.xml_query_schema()
    assert schema.validate(root), [f"line {e.line}: {e.message}" for e in schema.error_log][:5]
    document = xmlconv.document_from_xml(root)
    return root, document["epcisBody"]["queryResults"]["resultsBody"]["eventList"]


def _xml_doc(event_body: str, namespaces: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0"
    creationDate="2026-01-01T00:00:00Z" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:example="http://ns.example.com/epcis/"
    xmlns:cbvmda="urn:epcglobal:cbv:mda" {namespaces}>
  <EPCISBody><EventList><ObjectEvent>
    <eventTime>{now_iso()}</eventTime><eventTimeZoneOffset>+06:00</eventTimeZoneOffset>
    {event_body}
  </ObjectEvent></EventList></EPCISBody>
</epcis:EPCISDocument>""".encode()


# 1. GS1-EPC-Format: Never_Translates ------------------------------------------------------


def test_never_translates_is_a_known_epc_format(wclient):
    urn = "urn:epc:id:sgtin:0614141.107346.2017"
    assert job_of(wclient, capture(wclient, doc(object_event([urn], "inspecting"))))["capturedCount"] == 1
    answer = wclient.get("/epcis/events", HTTP_GS1_EPC_FORMAT="Never_Translates")
    assert answer.status_code == 200, answer.content
    assert answer["GS1-EPC-Format"] == "Never_Translates"
    [event] = answer.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert event["epcList"] == [urn]  # as captured


# 3. XML answers of extensions whose child elements have no namespace ------------------------


def test_extension_with_bare_child_elements_answers_in_xml(wclient):
    body = _xml_doc("""
    <epcList><epc>urn:epc:id:sgtin:0614141.107346.2017</epc></epcList><action>OBSERVE</action>
    <example:myField><inner>x</inner><nested><deep>1</deep></nested></example:myField>""")
    assert job_of(wclient, capture(wclient, body, content_type=XML))["capturedCount"] == 1
    # and one well-behaved event beside it, which must not be lost with it
    assert job_of(
        wclient, capture(wclient, doc(object_event(["urn:epc:id:sgtin:0614141.107346.1"], "inspecting")))
    )
    [json_event] = [e for e in _events(wclient) if "example:myField" in e]
    assert json_event["example:myField"] == {"inner": "x", "nested": {"deep": "1"}}
    root, events = _xml_events(wclient)
    assert len(events) == 2
    inner = root.find(".//{http://ns.example.com/epcis/}myField/inner")
    assert inner is not None and inner.text == "x"


# 4. xsi:nil -------------------------------------------------------------------------------


def test_nil_quantity_and_nil_extension(wclient):
    body = _xml_doc("""
    <epcList/><action>OBSERVE</action><bizStep>urn:epcglobal:cbv:bizstep:inspecting</bizStep>
    <quantityList><quantityElement><epcClass>urn:epc:class:lgtin:4012345.012345.998877</epcClass>
      <quantity xsi:nil="true"/></quantityElement></quantityList>
    <example:missing xsi:nil="true"/>""")
    assert job_of(wclient, capture(wclient, body, content_type=XML))["capturedCount"] == 1
    answer = wclient.get("/epcis/events")
    assert validation.schema_errors(answer.json()) == []
    [event] = answer.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert event["quantityList"] == [{"epcClass": "urn:epc:class:lgtin:4012345.012345.998877"}]
    assert event["example:missing"] is None
    root, [xml_event] = _xml_events(wclient)
    assert root.find(".//quantityElement/quantity") is None
    missing = root.find(".//{http://ns.example.com/epcis/}missing")
    assert missing.get("{http://www.w3.org/2001/XMLSchema-instance}nil") == "true"
    assert xml_event["quantityList"] == event["quantityList"] and xml_event["example:missing"] is None


# 5. attributes on extension and ILMD elements -----------------------------------------------


def test_attributes_on_extension_and_ilmd_elements_are_kept(wclient):
    body = _xml_doc("""
    <epcList><epc>urn:epc:id:sgtin:0614141.107346.2017</epc></epcList><action>ADD</action>
    <bizStep>urn:epcglobal:cbv:bizstep:commissioning</bizStep>
    <ilmd><cbvmda:lotNumber xsi:type="xsd:string">LOT9</cbvmda:lotNumber>
      <example:grade unit="kg" example:source="lab">A</example:grade></ilmd>
    <example:count xsi:type="xsd:integer">10</example:count>""")
    assert job_of(wclient, capture(wclient, body, content_type=XML))["capturedCount"] == 1
    [event] = _events(wclient)
    assert event["ilmd"]["cbvmda:lotNumber"] == {"@xsi:type": "xsd:string", "@value": "LOT9"}
    assert event["ilmd"]["example:grade"] == {"@unit": "kg", "@example:source": "lab", "@value": "A"}
    assert event["example:count"] == {"@xsi:type": "xsd:integer", "@value": "10"}
    root, [xml_event] = _xml_events(wclient)
    xsi_type = "{http://www.w3.org/2001/XMLSchema-instance}type"
    count = root.find(".//{http://ns.example.com/epcis/}count")
    assert (count.text, count.get(xsi_type)) == ("10", "xsd:integer")
    assert count.nsmap[count.get(xsi_type).split(":")[0]] == "http://www.w3.org/2001/XMLSchema"
    grade = root.find(".//ilmd/{http://ns.example.com/epcis/}grade")
    assert (grade.text, grade.get("unit"), grade.get("{http://ns.example.com/epcis/}source")) == (
        "A",
        "kg",
        "lab",
    )
    assert xml_event["ilmd"] == event["ilmd"]


def test_attributes_do_not_change_the_event_hash(wclient):
    plain = _xml_doc("""<epcList><epc>urn:epc:id:sgtin:0614141.107346.2017</epc></epcList>
    <action>OBSERVE</action><example:count>10</example:count>""")
    typed = plain.replace(b"<example:count>", b'<example:count xsi:type="xsd:integer">')
    assert job_of(wclient, capture(wclient, plain, content_type=XML))["capturedCount"] == 1
    assert job_of(wclient, capture(wclient, typed, content_type=XML))["duplicateCount"] == 1


# 6. malformed input: a 4xx with a reason, nothing stored, no job left running ----------------


def _nested_extension(depth: int) -> str:
    """A document whose event carries an extension nested `depth` objects deep (as text: the
    standard library cannot even write it)."""
    text = json.dumps(
        doc(object_event(["urn:epc:id:sgtin:0614141.107346.1"], "inspecting", **{"example:n": "X"}))
    )
    return text.replace('"X"', '{"example:n": ' * depth + '"x"' + "}" * depth)


@pytest.mark.parametrize(
    "body,content_type,code",
    [
        pytest.param(
            b'<?xml version="1.0"?><!DOCTYPE epcis:EPCISDocument [<!ENTITY lot "LOT1">]>'
            + _xml_doc("<epcList/><action>OBSERVE</action><example:lot>&lot;</example:lot>").split(b"?>", 1)[1],
            XML, "xml_dtd_refused", id="internal-entity",
        ),
        pytest.param("[" * 1000 + "]" * 1000, "application/json", "json_too_deep", id="json-1000-deep-body"),
        pytest.param(
            _nested_extension(1000),
            "application/ld+json", "json_too_deep", id="json-1000-deep-extension",
        ),
        pytest.param(
            json.dumps(doc(object_event(["urn:epc:id:sgtin:0614141.107346.1"], "inspecting", **{"example:x": "a\u0000b"}))),
            "application/ld+json", "null_character", id="nul-in-json-value",
        ),
    ],
)  # fmt: skip
def test_malformed_input_is_a_4xx_with_a_reason(wclient, body, content_type, code):
    response = capture(wclient, body, content_type=content_type)
    assert response.status_code in (400, 413, 422), response.content
    answer = response.json()
    assert answer["code"] == code and answer["message"]
    assert EpcisEvent.objects.count() == 0
    assert not CaptureJob.objects.filter(status="running").exists()


# 7. unapplied events about packages: only the capturer and the regulator see them -------------


def test_unapplied_events_about_packages_are_seen_by_the_capturer_and_the_regulator_only(
    api, make_token, importer, pharmacy, other_pharmacy, ministry, gtin
):
    from salamat.registry.models import Site

    Site.objects.filter(organization=importer).update(gln="4700000000012")
    Site.objects.filter(organization=pharmacy).update(gln="4700000000029")
    imp, pha = api(make_token(importer)), api(make_token(pharmacy))
    stranger, regulator = api(make_token(other_pharmacy)), api(make_token(ministry))
    epcs = [f"https://id.gs1.org/01/{gtin}/21/V000001"]
    commission = object_event(
        epcs,
        "commissioning",
        "ADD",
        0,
        ilmd={"cbvmda:lotNumber": "L1", "cbvmda:itemExpirationDate": "2030-12-31"},
    )
    ship = object_event(
        epcs, "shipping", minutes=1,
        destinationList=[{"type": "owning_party", "destination": "urn:epc:id:pgln:4700000.00002"}],
    )  # fmt: skip
    assert job_of(imp, capture(imp, doc(commission, ship)))["appliedCount"] == 2
    assert job_of(pha, capture(pha, doc(object_event(epcs, "receiving", minutes=2))))["appliedCount"] == 1
    # an organisation that never handled the package says something about it: stored, not applied
    rumour = object_event(epcs, "inspecting", minutes=3, disposition="damaged")
    job = job_of(stranger, capture(stranger, doc(rumour)))
    assert (job["capturedCount"], job["appliedCount"]) == (1, 0)
    inspecting = "?EQ_bizStep=inspecting"
    assert _events(imp, inspecting) == [] and _events(pha, inspecting) == []
    assert len(_events(pha, "?MATCH_anyEPC=" + epcs[0])) == 3  # its own and the applied ones
    assert len(_events(stranger, inspecting)) == 1
    assert len(_events(regulator, inspecting)) == 1
    assert "inspecting" not in pha.get("/epcis/bizSteps").json()["@set"]


# 8. an eventID claimed by another organisation ----------------------------------------------


def test_an_event_id_of_another_organisation_is_a_conflict(api, make_token, wclient, pharmacy):
    other = api(make_token(pharmacy))
    first = object_event(
        ["urn:epc:id:sgtin:0614141.107346.1"],
        "inspecting",
        eventID="urn:uuid:6a1e1c8e-0000-4000-8000-000000000001",
    )
    assert job_of(wclient, capture(wclient, doc(first)))["capturedCount"] == 1
    before = _trace_state()
    theirs = {**first, "epcList": ["urn:epc:id:sgtin:0614141.107346.2"]}
    job = job_of(other, capture(other, doc(theirs)))
    assert (job["success"], job["capturedCount"], job["duplicateCount"]) == (False, 0, 0)
    [error] = job["errors"]
    assert (error["code"], error["status"], error["event_id"]) == ("event_id_conflict", 409, first["eventID"])
    assert _trace_state() == before
    # with proceed, the other events of the document are kept
    mine = object_event(["urn:epc:id:sgtin:0614141.107346.3"], "inspecting", minutes=1)
    job = job_of(other, capture(other, doc(theirs, mine), HTTP_GS1_CAPTURE_ERROR_BEHAVIOUR="proceed"))
    assert (job["success"], job["capturedCount"], [e["code"] for e in job["errors"]]) == (
        True,
        1,
        ["event_id_conflict"],
    )
    # the same organisation sending its own event again: a duplicate, as before
    assert job_of(wclient, capture(wclient, doc(first)))["duplicateCount"] == 1
    assert EpcisEvent.objects.get(event_id=first["eventID"]).document["epcList"] == first["epcList"]
