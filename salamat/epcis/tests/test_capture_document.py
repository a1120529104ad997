"""Capture handles a document as a whole: a constant number of queries, events identical but
for their EPCs merged into one traceability operation, and the same outcome as event by event
(rollback and proceed, reasons and alerts per event, which packages an event names)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from salamat.epcis.eventhash import event_hash
from salamat.epcis.models import EpcisEvent, EpcisEventEpc
from salamat.epcis.tests.conftest import capture, job_of
from salamat.epcis.tests.test_capture import _trace_state, doc, object_event
from salamat.traceability.models import Alert, Event, Package, PackageState

START = timezone.now() - timedelta(hours=1)
LOT = {"cbvmda:lotNumber": "LOT7", "cbvmda:itemExpirationDate": "2030-12-31"}


@pytest.fixture
def importer_client(api, make_token, importer):
    from salamat.registry.models import Site

    Site.objects.filter(organization=importer).update(gln="4700000000012")
    return api(make_token(importer))


@pytest.fixture
def dl(gtin):
    return lambda prefix, n: [f"https://id.gs1.org/01/{gtin}/21/{prefix}{i:05d}" for i in range(n)]


def at(minutes: int) -> str:
    """A fixed time per minute (events built a millisecond apart must still be identical)."""
    return (START + timedelta(minutes=minutes)).isoformat(timespec="milliseconds")


def commissioning(epcs, minutes=0, **extra) -> dict:
    event = object_event(epcs, "commissioning", "ADD", minutes, disposition="active", ilmd=LOT, **extra)
    return {**event, "eventTime": at(minutes)}


def test_identical_events_become_one_operation_each_event_stored(importer_client, dl):
    # given: three events identical but for their EPC, then one at another time
    same = [commissioning([e]) for e in dl("A", 3)]
    later = commissioning(dl("B", 1), minutes=1)
    # when
    job = job_of(importer_client, capture(importer_client, doc(*same, later)))
    # then: four EPCIS events, two traceability operations (the later event is its own)
    assert (job["capturedCount"], job["appliedCount"]) == (4, 4)
    assert Event.objects.count() == 2
    trace_of = dict(EpcisEvent.objects.values_list("event_id", "trace_event_id"))
    assert len({trace_of[event_hash(e)] for e in same}) == 1
    assert trace_of[event_hash(later)] not in {trace_of[event_hash(e)] for e in same}
    assert Package.objects.filter(state=PackageState.IN_CIRCULATION, batch="LOT7").count() == 4
    assert EpcisEventEpc.objects.filter(package_id__isnull=False).count() == 4


@pytest.mark.parametrize(
    "differs",
    [
        pytest.param({"readPoint": {"id": "urn:epc:id:sgln:4700000.00001.7"}}, id="read-point"),
        pytest.param(
            {
                "bizTransactionList": [
                    {"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:4700000000014:1"}
                ]
            },
            id="biz-transaction",
        ),
        pytest.param({"ilmd": {**LOT, "cbvmda:lotNumber": "LOT8"}}, id="ilmd"),
        pytest.param({"eventTimeZoneOffset": "+05:00"}, id="time-zone"),
    ],
)
def test_events_that_differ_in_more_than_epcs_stay_separate_operations(importer_client, dl, differs):
    first, second = (commissioning([e]) for e in dl("C", 2))
    second.update(differs)
    job = job_of(importer_client, capture(importer_client, doc(first, second)))
    assert job["appliedCount"] == 2
    assert Event.objects.count() == 2


def test_rollback_a_refused_event_among_merged_ones_stores_nothing(importer_client, dl):
    # given: one package already introduced
    taken = dl("D", 1)
    job_of(importer_client, capture(importer_client, doc(commissioning(taken, minutes=-5))))
    before = _trace_state()
    alerts = Alert.objects.count()
    events = [commissioning([e]) for e in dl("E", 2)] + [commissioning(taken)] + [commissioning(dl("F", 1))]
    # when: the same event again would be a duplicate: this one differs by its eventID
    events[2]["eventID"] = "urn:uuid:6e1f5b0b-1d9f-4a51-9d53-6a2f3a0b2c11"
    job = job_of(importer_client, capture(importer_client, doc(*events)))
    # then: the job failed with the reason of event 2 only; nothing stored, nothing changed
    assert (job["success"], job["capturedCount"], job["appliedCount"]) == (False, 0, 0)
    [error] = job["errors"]
    assert (error["event_index"], error["event_id"], error["code"]) == (
        2,
        "urn:uuid:6e1f5b0b-1d9f-4a51-9d53-6a2f3a0b2c11",
        "operation_refused",
    )
    assert [e["reason"] for e in error["details"]["errors"]] == ["already_introduced"]
    assert _trace_state() == before
    # the alert of the refused event, as if it had been sent on its own
    assert Alert.objects.count() == alerts + 1


def test_proceed_stores_the_others_and_reports_each_refused_event(importer_client, dl):
    taken = dl("G", 2)
    job_of(importer_client, capture(importer_client, doc(commissioning(taken, minutes=-5))))
    alerts = Alert.objects.count()
    fresh = dl("H", 3)
    events = [
        commissioning([fresh[0]]),
        commissioning([taken[0]]),
        commissioning([fresh[1]]),
        commissioning([taken[1]]),
        commissioning([fresh[2]]),
    ]
    events[1]["eventID"], events[3]["eventID"] = "urn:uuid:1", "urn:uuid:3"
    job = job_of(
        importer_client, capture(importer_client, doc(*events), HTTP_GS1_CAPTURE_ERROR_BEHAVIOUR="proceed")
    )
    assert (job["success"], job["capturedCount"], job["appliedCount"]) == (True, 3, 3)
    assert [(e["event_index"], e["event_id"]) for e in job["errors"]] == [
        (1, "urn:uuid:1"),
        (3, "urn:uuid:3"),
    ]
    assert all(e["details"]["errors"][0]["reason"] == "already_introduced" for e in job["errors"])
    assert Package.objects.filter(key__endswith=("H00000")).exists()
    assert Package.objects.filter(state=PackageState.IN_CIRCULATION).count() == 5
    # the three good events are one operation; each refused event raised its own alert
    assert len(set(EpcisEvent.objects.filter(applied=True).values_list("trace_event_id", flat=True))) == 2
    assert Alert.objects.count() == alerts + 2
    assert not EpcisEvent.objects.filter(event_id__in=["urn:uuid:1", "urn:uuid:3"]).exists()


def test_an_event_names_a_package_from_its_introduction_on(importer_client, dl):
    [epc] = dl("J", 1)
    seen_first = {**object_event([epc], "inspecting"), "eventTime": at(0)}
    commission = commissioning([epc], minutes=1)
    job = job_of(importer_client, capture(importer_client, doc(seen_first, commission)))
    assert (job["capturedCount"], job["appliedCount"]) == (2, 1)
    package = Package.objects.get()
    linked = dict(EpcisEventEpc.objects.values_list("event__event_id", "package_id"))
    # the inspection came before the package existed (as when captured event by event)
    assert linked == {event_hash(seen_first): None, event_hash(commission): package.pk}
    # a later document names it from the start
    again = {**object_event([epc], "inspecting"), "eventTime": at(2)}
    job_of(importer_client, capture(importer_client, doc(again)))
    assert EpcisEventEpc.objects.get(event__event_id=event_hash(again)).package_id == package.pk


def test_duplicates_in_the_document_and_already_stored(importer_client, dl):
    a, b = (commissioning([e]) for e in dl("K", 2))
    job_of(importer_client, capture(importer_client, doc(a)))
    job = job_of(importer_client, capture(importer_client, doc(a, b, b)))
    assert (job["capturedCount"], job["duplicateCount"], job["appliedCount"]) == (1, 2, 1)
    assert EpcisEvent.objects.count() == 2 and Package.objects.count() == 2


def _queries(client, document) -> int:
    with CaptureQueriesContext(connection) as ctx:
        job = job_of(client, capture(client, document))
    assert job["success"] and job["appliedCount"] == len(document["epcisBody"]["eventList"]), job
    return len(ctx.captured_queries)


def test_queries_do_not_grow_with_the_number_of_events(importer_client, dl):
    _queries(importer_client, doc(commissioning(dl("W", 1))))  # the token's first use is recorded once
    small = doc(*(commissioning([e]) for e in dl("L", 5)))
    large = doc(*(commissioning([e]) for e in dl("M", 300)))
    assert _queries(importer_client, large) == _queries(importer_client, small)


def test_a_merged_run_is_applied_before_what_follows_it(importer_client, dl):
    """Document order is kept around merged runs: the destruction sees both introductions."""
    epcs = dl("N", 2)
    events = [
        commissioning([epcs[0]]),
        commissioning([epcs[1]]),
        {**object_event(epcs, "destroying"), "eventTime": at(1)},
    ]
    job = job_of(importer_client, capture(importer_client, doc(*events)))
    assert (job["success"], job["appliedCount"]) == (True, 3)
    assert set(Package.objects.values_list("state", flat=True)) == {PackageState.WITHDRAWN}
    assert Event.objects.count() == 2


def test_rollback_an_event_that_cannot_be_applied_fails_the_job_after_merged_ones(importer_client, dl):
    # given: two commissioning events that are merged, then a shipment to nobody known
    epcs = dl("S", 2)
    events = [commissioning([e]) for e in epcs]
    events.append(
        {**object_event(epcs, "shipping"), "eventTime": at(1),
         "destinationList": [{"type": "owning_party", "destination": "urn:epc:id:pgln:4700000.09999"}]}
    )  # fmt: skip
    before = _trace_state()
    # when
    response = capture(importer_client, doc(*events))
    # then: received (202), the job failed on event 2, and the introductions were undone
    job = job_of(importer_client, response)
    assert (job["success"], job["capturedCount"]) == (False, 0)
    assert [(e["event_index"], e["code"]) for e in job["errors"]] == [(2, "destination_unknown")]
    assert _trace_state() == before


def test_events_with_their_own_times_merge_within_the_window(importer_client, dl, settings):
    """Issue 17: a serialisation line's events each carry their own time; consecutive ones within
    EPCIS_MERGE_WINDOW_SECONDS are one operation of the core, each event keeping its own time."""
    settings.SALAMAT = {**settings.SALAMAT, "EPCIS_MERGE_WINDOW_SECONDS": 30}
    epcs = dl("T", 5)

    def second(s: int) -> str:
        return (START + timedelta(seconds=s)).isoformat(timespec="milliseconds")

    events = [
        {**commissioning([e]), "eventTime": second(s)} for e, s in zip(epcs, (0, 1, 2, 29, 45), strict=True)
    ]
    job = job_of(importer_client, capture(importer_client, doc(*events)))
    assert (job["capturedCount"], job["appliedCount"]) == (5, 5)
    operations = list(Event.objects.order_by("event_time").values_list("event_time", flat=True))
    # the first four within 30 s of the first: one operation at the latest of their times; the fifth alone
    assert operations == [timezone.datetime.fromisoformat(second(s)) for s in (29, 45)]
    stored = dict(EpcisEvent.objects.values_list("event_id", "event_time"))
    assert sorted(stored.values()) == [timezone.datetime.fromisoformat(second(s)) for s in (0, 1, 2, 29, 45)]
    settings.SALAMAT = {**settings.SALAMAT, "EPCIS_MERGE_WINDOW_SECONDS": 0}
    later = [{**commissioning([e]), "eventTime": second(60 + i)} for i, e in enumerate(dl("U", 2))]
    assert job_of(importer_client, capture(importer_client, doc(*later)))["appliedCount"] == 2
    assert Event.objects.count() == 4  # no window: each time its own operation


def test_the_garbage_collector_is_off_during_a_capture_and_on_again_after(importer_client, dl, monkeypatch):
    import gc

    from salamat.epcis import apply

    # given: the collector's state seen while the document's events are applied
    seen = []
    run = apply.Capture.run

    def spying(self):
        seen.append(gc.isenabled())
        return run(self)

    monkeypatch.setattr(apply.Capture, "run", spying)
    assert gc.isenabled()
    # when
    job = job_of(importer_client, capture(importer_client, doc(commissioning(dl("G", 2)))))
    # then: off while capturing, on again after, the capture done
    assert seen == [False]
    assert gc.isenabled()
    assert job["appliedCount"] == 1


def test_the_garbage_collector_stays_off_after_a_capture_when_it_was_off():
    import gc

    from salamat.epcis.services import collector_paused

    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
    with collector_paused(), collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
