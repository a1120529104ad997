"""Runs of packing, shipping and receiving events go to the core in batches
(`EPCIS_BATCH_MAX_EVENTS`); the outcome is exactly the one of applying them one by one: the
same packages, boxes, shipments, histories, alerts and per-event verdicts, refused events
inside a batch included, and events that depend on each other (pack, then ship the box; a
package shipped inside a box, then on its own) in document order."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from salamat.codes.checkdigit import gs1_check_digit
from salamat.epcis.tests.conftest import capture, job_of
from salamat.epcis.tests.test_capture import doc
from salamat.registry.models import Site
from salamat.traceability.models import Alert, Container, Event, EventPackage, Package, Shipment

START = timezone.now() - timedelta(hours=2)


def _gln(n: int) -> str:
    body = f"47000000{n:04d}"
    return body + str(gs1_check_digit(body))


@pytest.fixture
def parties(api, make_token, importer, pharmacy):
    glns = {importer.pk: _gln(1), pharmacy.pk: _gln(2)}
    for org in (importer, pharmacy):
        Site.objects.filter(organization=org).update(gln=glns[org.pk])
    return {
        "maker": api(make_token(importer)),
        "shop": api(make_token(pharmacy)),
        "maker_gln": glns[importer.pk],
        "shop_gln": glns[pharmacy.pk],
        "names": {importer.pk: "maker", pharmacy.pk: "shop", None: None},
    }


class Scenario:
    """A manufacturer's document and then a pharmacy's, every event with its own time, with
    serials and boxes of their own (`prefix`), so two runs can be compared in one database."""

    def __init__(self, gtin: str, prefix: str, box_base: int, parties: dict):
        self.gtin, self.prefix, self.box_base, self.parties = gtin, prefix, box_base, parties
        self.clock = 0

    def when(self) -> str:
        self.clock += 1
        return (START + timedelta(seconds=self.clock)).isoformat(timespec="milliseconds")

    def p(self, i: int) -> str:
        return f"https://id.gs1.org/01/{self.gtin}/21/{self.prefix}{i:03d}"

    def box(self, name: str) -> str:
        body = f"0470000{self.box_base + 'ABCDEFGHP'.index(name):010d}"
        return f"https://id.gs1.org/00/{body}{gs1_check_digit(body)}"

    def _event(self, kind: str, step: str, site_gln: str, **extra) -> dict:
        return {
            "type": kind, "eventTime": self.when(), "eventTimeZoneOffset": "+06:00", "bizStep": step,
            "bizLocation": {"id": f"https://id.gs1.org/414/{site_gln}"}, **extra,
        }  # fmt: skip

    def pack(self, box: str, children: list[str]) -> dict:
        return self._event(
            "AggregationEvent", "packing", self.parties["maker_gln"], action="ADD", parentID=self.box(box),
            childEPCs=children, disposition="in_progress",
        )  # fmt: skip

    def ship(self, epcs: list[str], to: str | None = None) -> dict:
        return self._event(
            "ObjectEvent", "shipping", self.parties["maker_gln"], action="OBSERVE", epcList=epcs,
            disposition="in_transit",
            destinationList=[{"type": "owning_party", "destination": f"https://id.gs1.org/414/{to or self.parties['shop_gln']}"}],
        )  # fmt: skip

    def receive(self, epcs: list[str]) -> dict:
        return self._event(
            "ObjectEvent", "receiving", self.parties["shop_gln"], action="OBSERVE", epcList=epcs,
            disposition="in_progress",
        )  # fmt: skip

    def sell(self, epc: str) -> dict:
        return self._event(
            "ObjectEvent", "retail_selling", self.parties["shop_gln"], action="OBSERVE", epcList=[epc],
            disposition="retail_sold",
        )  # fmt: skip

    def documents(self) -> tuple[dict, dict]:
        p, box = self.p, self.box
        made = [
            self._event(
                "ObjectEvent",
                "commissioning",
                self.parties["maker_gln"],
                action="ADD",
                epcList=[p(i)],
                disposition="active",
                ilmd={"cbvmda:lotNumber": "LOT1", "cbvmda:itemExpirationDate": "2030-12-31"},
            )  # fmt: skip
            for i in range(24)
        ]
        made += [
            self.pack("A", [p(0), p(1), p(2), p(3)]),
            self.pack("B", [p(4), p(5), p(6), p(7)]),
            self.pack("C", [p(90), p(8)]),  # refused inside the batch: 90 was never introduced
            self.pack("D", [p(8), p(9), p(10), p(11)]),
            self.pack("E", [p(12), p(13)]),
            self.pack("F", [p(1)]),  # names a package of A: after A, and refused (in a box)
            self.pack("P", [box("A"), box("B")]),  # names A and B: after them
            self.pack("G", [p(15), p(16)]),
            self.ship([box("P")]),  # names P: after P was packed
            self.ship([box("D")]),
            self.ship([p(5)]),  # in B, in P, shipped by the event before last: refused (in transit)
            self.ship([box("E")], to=_gln(9)),  # no participant at that GLN: refused
            self.ship([p(14)]),
            self.ship([box("G")]),
            self.ship([box("H")]),  # an unknown box: not applied
        ]
        shop = [
            self.receive([p(i) for i in range(8)]),  # shipment P (A and B)
            self.receive([p(8), p(9), p(10)]),  # shipment D, one package missing
            self.receive([p(14), p(17)]),  # p(17) was not in the shipment: an extra code
            self.receive([p(20)]),  # never shipped: refused
            self.receive([p(15)]),  # shipment G, one of two packages
            self.receive([p(16)]),  # shipment G again: already accepted, refused
            self.sell(p(0)),
            self.sell(p(11)),  # missing from shipment D: still the maker's, refused
            self.sell(p(14)),
        ]
        return doc(*made), doc(*shop)

    def capture(self, behaviour: str = "proceed") -> tuple[dict, dict, int]:
        made, shop = self.documents()
        with CaptureQueriesContext(connection) as queries:
            jobs = (
                job_of(self.parties["maker"], capture(self.parties["maker"], made, HTTP_GS1_CAPTURE_ERROR_BEHAVIOUR=behaviour)),
                job_of(self.parties["shop"], capture(self.parties["shop"], shop, HTTP_GS1_CAPTURE_ERROR_BEHAVIOUR=behaviour)),
            )  # fmt: skip
        return jobs[0], jobs[1], len(queries)

    def label(self, key: str | None) -> str | None:
        """A package or box key without the run's own serial prefix or box numbers."""
        if key is None:
            return None
        if key.startswith("00/"):
            for name in "ABCDEFGHP":
                if self.box(name).endswith(key[3:]):
                    return "box " + name
        return key.rsplit(self.prefix, 1)[-1]

    def state(self) -> dict:
        """Everything the two documents changed, named without this run's serials and ids."""
        names = self.parties["names"]
        packages = Package.objects.filter(key__contains=f"/21/{self.prefix}").order_by("key")
        boxes = {c.pk: c for c in Container.objects.all()}
        ours = {pk: c for pk, c in boxes.items() if self.label(c.key).startswith("box ")}
        history = {}
        for pkg in packages:
            rows = EventPackage.objects.filter(package=pkg).order_by("event_id")
            events = Event.objects.in_bulk([r.event_id for r in rows])
            history[self.label(pkg.key)] = [
                (
                    events[r.event_id].operation,
                    events[r.event_id].package_count,
                    r.prev_state,
                    names.get(r.prev_owner_id),
                )
                for r in rows
            ]
        shipments = []
        sent = EventPackage.objects.filter(package__in=packages).values("event_id")
        for s in Shipment.objects.filter(send_event_id__in=sent).order_by("id"):
            keys = Package.objects.filter(
                id__in=EventPackage.objects.filter(event_id=s.send_event_id).values("package_id")
            ).values_list("key", flat=True)
            shipments.append((s.status, s.package_count, sorted(self.label(k) for k in keys)))
        return {
            "packages": [
                (
                    self.label(p.key),
                    p.state,
                    p.withdraw_reason,
                    names.get(p.owner_id),
                    names.get(p.previous_owner_id),
                    self.label(boxes[p.container_id].key) if p.container_id else None,
                )
                for p in packages
            ],  # fmt: skip
            "boxes": sorted(
                (
                    self.label(c.key),
                    c.state,
                    names.get(c.owner_id),
                    self.label(boxes[c.parent_id].key) if c.parent_id else None,
                )
                for c in ours.values()
            ),  # fmt: skip
            "history": history,
            "shipments": shipments,
        }


def _verdicts(scenario: Scenario, job: dict) -> list:
    """Each refused event: its place, its code, and each refused code's reason and label."""
    out = []
    for e in job["errors"]:
        reasons = []
        for x in (e.get("details") or {}).get("errors") or []:
            code = x["code"]
            label = scenario.label(code.split("/00/")[-1].join(["00/", ""]) if "/00/" in code else code)
            reasons.append((x["reason"], label))
        out.append((e["event_index"], e["code"], sorted(reasons)))
    return out


def _alerts(scenario: Scenario, since: int) -> list:
    return sorted(
        (a.kind, a.operation, sorted(scenario.label(c) or "" for c in a.codes))
        for a in Alert.objects.filter(pk__gt=since)
    )


def _run(gtin, parties, settings, prefix: str, box_base: int, batch: int):
    settings.SALAMAT = {
        **settings.SALAMAT,
        "EPCIS_BATCH_MAX_EVENTS": batch,
        "EPCIS_SYNC_CAPTURE_MAX_EVENTS": 1000,
    }
    scenario = Scenario(gtin, prefix, box_base, parties)
    since = Alert.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    made, shop, queries = scenario.capture()
    return scenario, made, shop, queries, _alerts(scenario, since)


def test_batched_capture_is_the_same_as_event_by_event(gtin, parties, settings):
    one, one_made, one_shop, one_queries, one_alerts = _run(gtin, parties, settings, "O", 100, batch=1)
    many, made, shop, queries, alerts = _run(gtin, parties, settings, "M", 200, batch=1000)

    assert _verdicts(many, made) == _verdicts(one, one_made)
    assert _verdicts(many, shop) == _verdicts(one, one_shop)
    for job, alone in ((made, one_made), (shop, one_shop)):
        assert (job["capturedCount"], job["appliedCount"]) == (alone["capturedCount"], alone["appliedCount"])
    assert many.state() == one.state()
    assert alerts == one_alerts
    assert queries < one_queries, (queries, one_queries)  # the batches were used

    # What the scenario means, so that "the same" is not "the same and wrong".
    refused = {(e[0], e[1]) for e in _verdicts(many, made)}
    assert {(26, "operation_refused"), (29, "operation_refused"), (34, "operation_refused"),
            (35, "destination_unknown")} == refused  # fmt: skip
    assert {(3, "shipment_not_found"), (5, "shipment_not_found"), (7, "operation_refused")} == {
        (e[0], e[1]) for e in _verdicts(many, shop)
    }
    state = many.state()
    by_label = {p[0]: p for p in state["packages"]}
    assert by_label["000"][1:4] == (4, 1, "shop")  # sold at the pharmacy (state, reason: sold)
    assert by_label["005"][3] == "shop" and by_label["005"][5] == "box B"  # travelled in B, in P
    assert by_label["011"][3] == "maker"  # missing from shipment D: back with the maker
    assert ("box B", 1, "shop", "box P") in state["boxes"]
    assert [s[0] for s in state["shipments"]] == [
        "accepted", "accepted_with_discrepancies", "accepted_with_discrepancies", "accepted_with_discrepancies",
    ]  # fmt: skip


def test_batched_rollback_reports_the_first_refused_event_and_stores_nothing(gtin, parties, settings):
    settings.SALAMAT = {**settings.SALAMAT, "EPCIS_SYNC_CAPTURE_MAX_EVENTS": 1000}
    outcomes = []
    for prefix, box_base, batch in (("O", 100, 1), ("M", 200, 1000)):
        settings.SALAMAT = {**settings.SALAMAT, "EPCIS_BATCH_MAX_EVENTS": batch}
        scenario = Scenario(gtin, prefix, box_base, parties)
        before = (Event.objects.count(), Container.objects.count(), Shipment.objects.count())
        made, shop, _queries = scenario.capture("rollback")
        assert (Event.objects.count(), Container.objects.count(), Shipment.objects.count()) == before
        assert not Package.objects.filter(key__contains=f"/21/{prefix}").exists()
        outcomes.append((_verdicts(scenario, made), _verdicts(scenario, shop), made["capturedCount"]))
    assert outcomes[0] == outcomes[1]
    assert outcomes[1][0] == [(26, "operation_refused", [("never_introduced", "090")])]
