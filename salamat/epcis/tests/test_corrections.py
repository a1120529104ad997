"""Error declarations (issue 17, item 2): an event sent again with its eventID and an
`errorDeclaration` is a correction — stored beside the original, queryable, linked to its
corrective events, and undoing in the core what the original did, by the core's cancellation."""

from __future__ import annotations

import pytest

from salamat.epcis.models import EpcisEvent
from salamat.epcis.tests.conftest import capture, job_of
from salamat.epcis.tests.test_capture import _trace_state, doc, now_iso, object_event
from salamat.traceability.models import Event, Package, PackageState

COMMISSION_ID = "urn:uuid:3f1e7a2c-0000-4000-8000-00000000c001"
CORRECTIVE_ID = "urn:uuid:3f1e7a2c-0000-4000-8000-00000000c002"


@pytest.fixture
def world(api, make_token, importer, pharmacy, gtin):
    from salamat.registry.models import Site

    Site.objects.filter(organization=importer).update(gln="4700000000012")
    Site.objects.filter(organization=pharmacy).update(gln="4700000000029")
    return {
        "importer": api(make_token(importer)),
        "pharmacy": api(make_token(pharmacy)),
        "epcs": [f"https://id.gs1.org/01/{gtin}/21/C{i:06d}" for i in range(1, 3)],
    }


def _commission(epcs: list[str]) -> dict:
    return object_event(
        epcs, "commissioning", "ADD", 0, eventID=COMMISSION_ID, disposition="active",
        ilmd={"cbvmda:lotNumber": "LOTX", "cbvmda:itemExpirationDate": "2030-12-31"},
    )  # fmt: skip


def _declared(event: dict, reason: str = "incorrect_data") -> dict:
    return {
        **event,
        "errorDeclaration": {
            "declarationTime": now_iso(30), "reason": reason, "correctiveEventIDs": [CORRECTIVE_ID],
        },
    }  # fmt: skip


def _events(client, query: str) -> list[dict]:
    answer = client.get(f"/epcis/events{query}")
    assert answer.status_code == 200, answer.content
    return answer.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]


def test_a_declared_error_undoes_the_commissioning_and_is_queryable(world):
    imp, epcs = world["importer"], world["epcs"]
    commission = _commission(epcs)
    assert job_of(imp, capture(imp, doc(commission)))["appliedCount"] == 1
    assert set(Package.objects.values_list("state", flat=True)) == {PackageState.IN_CIRCULATION}
    # when: the same event again, declared wrong
    job = job_of(imp, capture(imp, doc(_declared(commission))))
    # then: stored (not a duplicate), and the introduction is cancelled as by the core's cancel
    assert (job["success"], job["capturedCount"], job["duplicateCount"], job["appliedCount"]) == (
        True,
        1,
        0,
        1,
    )
    assert set(Package.objects.values_list("state", flat=True)) == {PackageState.NOT_INTRODUCED}
    original = Event.objects.get(
        pk=EpcisEvent.objects.get(event_id=COMMISSION_ID, corrects=None).trace_event_id
    )
    assert original.cancelled_by_id is not None
    declaration = EpcisEvent.objects.get(event_id=COMMISSION_ID, corrects__isnull=False)
    assert declaration.trace_event_id == original.cancelled_by_id
    # queryable
    [found] = _events(imp, "?EXISTS_errorDeclaration")
    assert found["eventID"] == COMMISSION_ID and found["errorDeclaration"]["reason"] == "incorrect_data"
    assert found["errorDeclaration"]["correctiveEventIDs"] == [CORRECTIVE_ID]
    assert _events(imp, "?EQ_errorReason=incorrect_data") == [found]
    assert _events(imp, "?EQ_errorReason=urn:epcglobal:cbv:er:incorrect_data") == [found]
    assert _events(imp, "?EQ_errorReason=did_not_occur") == []
    assert _events(imp, f"?EQ_correctiveEventID={CORRECTIVE_ID}") == [found]
    assert len(_events(imp, f"?EQ_eventID={COMMISSION_ID}")) == 2  # the original and its declaration
    # the same declaration again is a duplicate, and changes nothing
    again = job_of(imp, capture(imp, doc(_declared(commission))))
    assert (again["capturedCount"], again["duplicateCount"]) == (0, 1)
    # the codes may be introduced again, as after any cancelled introduction
    corrected = {**_commission(epcs), "eventID": CORRECTIVE_ID, "eventTime": now_iso(31)}
    assert job_of(imp, capture(imp, doc(corrected)))["appliedCount"] == 1
    assert set(Package.objects.values_list("state", flat=True)) == {PackageState.IN_CIRCULATION}


def test_a_declaration_is_refused_when_the_packages_moved_on(world):
    imp, pha, epcs = world["importer"], world["pharmacy"], world["epcs"]
    commission = _commission(epcs)
    ship = object_event(
        epcs, "shipping", minutes=1,
        destinationList=[{"type": "owning_party", "destination": "urn:epc:id:pgln:4700000.00002"}],
    )  # fmt: skip
    assert job_of(imp, capture(imp, doc(commission, ship)))["appliedCount"] == 2
    before = _trace_state()
    job = job_of(imp, capture(imp, doc(_declared(commission))))
    assert (job["success"], job["capturedCount"]) == (False, 0)
    [error] = job["errors"]
    assert error["code"] == "operation_refused"
    assert {e["reason"] for e in error["details"]["errors"]} == {"changed_since"}
    assert _trace_state() == before
    assert _events(imp, "?EXISTS_errorDeclaration") == []
    # another organisation cannot declare the importer's event wrong
    job = job_of(pha, capture(pha, doc(_declared(commission))))
    assert [e["code"] for e in job["errors"]] == ["event_id_conflict"]
    assert _trace_state() == before


def test_a_declaration_of_an_unapplied_or_unknown_event_is_only_stored(world):
    imp = world["importer"]
    inspecting = object_event(
        ["urn:epc:id:sgtin:0614141.107346.7"],
        "inspecting",
        eventID="urn:uuid:3f1e7a2c-0000-4000-8000-00000000c003",
    )
    assert job_of(imp, capture(imp, doc(inspecting)))["appliedCount"] == 0
    job = job_of(imp, capture(imp, doc(_declared(inspecting, "did_not_occur"))))
    assert (job["success"], job["capturedCount"], job["appliedCount"]) == (True, 1, 0)
    unknown = _declared(
        object_event(
            ["urn:epc:id:sgtin:0614141.107346.8"],
            "inspecting",
            eventID="urn:uuid:3f1e7a2c-0000-4000-8000-00000000c004",
        ),
        "did_not_occur",
    )
    job = job_of(imp, capture(imp, doc(unknown)))
    assert (job["success"], job["capturedCount"], job["appliedCount"]) == (True, 1, 0)
    assert len(_events(imp, "?EXISTS_errorDeclaration")) == 2
    assert len(_events(imp, "?EQ_errorReason=did_not_occur")) == 2


def test_a_declaration_of_an_event_applied_with_others_is_refused(world):
    imp, epcs = world["importer"], world["epcs"]
    # two events identical but for their codes are one operation of the core (see docs, Throughput)
    first = {**_commission(epcs[:1]), "eventTime": now_iso(5)}
    second = {**first, "eventID": "urn:uuid:3f1e7a2c-0000-4000-8000-00000000c005", "epcList": epcs[1:]}
    assert job_of(imp, capture(imp, doc(first, second)))["appliedCount"] == 2
    before = _trace_state()
    job = job_of(imp, capture(imp, doc(_declared(first))))
    assert [(e["code"], e["status"]) for e in job["errors"]] == [("correction_shares_operation", 409)]
    assert _trace_state() == before


def test_a_declaration_of_an_operation_cancelled_through_the_rest_api_is_stored(world):
    imp, epcs = world["importer"], world["epcs"]
    commission = _commission(epcs)
    assert job_of(imp, capture(imp, doc(commission)))["appliedCount"] == 1
    trace_event = Event.objects.get(pk=EpcisEvent.objects.get(event_id=COMMISSION_ID).trace_event_id)
    assert imp.post(f"/api/v1/operations/{trace_event.event_id}/cancel").status_code == 200
    job = job_of(imp, capture(imp, doc(_declared(commission))))
    assert (job["success"], job["capturedCount"], job["appliedCount"]) == (True, 1, 0)
    assert len(_events(imp, "?EXISTS_errorDeclaration")) == 1
