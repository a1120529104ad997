"""The fast path of the bulk operations (`services.fast`, PostgreSQL) leaves exactly what the
general path leaves, and any request it does not cover is answered by the general path."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from salamat.traceability import services
from salamat.traceability.models import Event, EventPackage, Package, StockBalance
from salamat.traceability.services import OperationRefused
from salamat.traceability.services import fast as fastpath
from salamat.traceability.tests.conftest import actor_for, element_string

pytestmark = pytest.mark.postgres_only

N = fastpath.FAST_FROM + 20

PACKAGE_FIELDS = (
    "state", "withdraw_reason", "owner_id", "site_id", "previous_owner_id", "container_id", "flags",
    "remaining_units", "batch", "expiry", "product_id", "introduced_on", "withdrawn_on",
)  # fmt: skip
EVENT_PACKAGE_FIELDS = ("prev_state", "prev_units", "prev_owner_id", "prev_site_id", "prev_container_id")


def _life(importer, pharmacy, batch: list[str]) -> list[dict]:
    """Introduce, ship, accept and sell `batch`; each answer with its ids left out."""
    answers = [services.packages_introduce(actor=actor_for(importer), codes=batch)]
    sent = services.shipment_send(actor=actor_for(importer), receiver_id=pharmacy.external_id, codes=batch)
    answers.append(sent)
    answers.append(services.shipment_accept(actor=actor_for(pharmacy), shipment_id=sent["shipment_id"]))
    answers.append(services.packages_sell(actor=actor_for(pharmacy), codes=batch))
    return [
        {k: v for k, v in a.items() if k not in ("event_id", "event_time", "shipment_id")} for a in answers
    ]


def _trace(keys: list[str]) -> tuple[list, list, list]:
    """What the database holds for these packages: their rows, their event rows (event by
    event), and the events' counts; ids, keys and times left out."""
    packages = {p.key: p for p in Package.objects.filter(key__in=keys)}
    rows = [tuple(getattr(packages[k], f) for f in PACKAGE_FIELDS) for k in keys]
    ids = [packages[k].id for k in keys]
    events = sorted(set(EventPackage.objects.filter(package_id__in=ids).values_list("event_id", flat=True)))
    history = [
        sorted(EventPackage.objects.filter(event_id=e).values_list(*EVENT_PACKAGE_FIELDS)) for e in events
    ]
    counts = list(
        Event.objects.filter(pk__in=events)
        .order_by("pk")
        .values_list("operation", "package_count", "withdrawn_count", "organization_id", "site_id")
    )
    return rows, history, counts


def _stock() -> list:
    return sorted(
        StockBalance.objects.values_list(
            "owner_id", "site_id", "product_id", "batch", "expiry", "packages", "flagged"
        )
    )


def test_fast_and_general_paths_leave_the_same_rows(importer, pharmacy, gtin, monkeypatch):
    fast_codes = [element_string(gtin, f"F{i:06d}") for i in range(N)]
    with CaptureQueriesContext(connection) as queries:
        fast_answers = _life(importer, pharmacy, fast_codes)
    sql = [q["sql"] for q in queries.captured_queries]
    assert (
        sum("WITH u AS (UPDATE" in s for s in sql) == 3 and sum("WITH ins AS (INSERT" in s for s in sql) == 1
    )
    assert not any("traceability_package WHERE" in s and "FOR UPDATE" in s for s in sql)  # no general path
    fast_stock = _stock()

    monkeypatch.setattr(fastpath, "FAST_FROM", 10**9)  # the general path only
    general_codes = [element_string(gtin, f"G{i:06d}") for i in range(N)]
    general_answers = _life(importer, pharmacy, general_codes)
    assert fast_answers == general_answers
    fast_trace = _trace([f"01/{gtin}/21/F{i:06d}" for i in range(N)])
    general_trace = _trace([f"01/{gtin}/21/G{i:06d}" for i in range(N)])
    assert fast_trace == general_trace
    assert fast_trace[0][0][0] == 4 and len(fast_trace[1]) == 4  # sold; four events each
    assert _stock() == fast_stock  # the same groups, emptied by the sales both times


def test_a_bulk_request_with_refusals_is_refused_as_before(
    importer, pharmacy, gtin, monkeypatch, at_pharmacy
):
    batch = [element_string(gtin, f"R{i:06d}") for i in range(N)]
    services.packages_introduce(actor=actor_for(importer), codes=batch[:-1])
    sold = at_pharmacy(1)
    services.packages_sell(actor=actor_for(pharmacy), codes=sold)
    odd = element_string(gtin, "R000001").replace("\x1d21", "\x1d91XX\x1d21")  # another layout
    request = [*batch, batch[0], odd, "garbage", *sold]

    def refusal():
        before = (Event.objects.count(), EventPackage.objects.count(), _stock())
        with pytest.raises(OperationRefused) as exc:
            services.shipment_send(actor=actor_for(importer), receiver_id=pharmacy.external_id, codes=request)
        assert (Event.objects.count(), EventPackage.objects.count(), _stock()) == before
        return exc.value.details

    fast = refusal()
    monkeypatch.setattr(fastpath, "FAST_FROM", 10**9)
    assert fast == refusal()
    reasons = {e["reason"] for e in fast["errors"]}
    assert {"never_introduced", "duplicate_code", "unknown_format", "already_sold"} <= reasons, reasons


def test_introducing_known_codes_in_bulk_is_refused_as_before(importer, gtin, monkeypatch):
    batch = [element_string(gtin, f"K{i:06d}") for i in range(N)]
    services.packages_introduce(actor=actor_for(importer), codes=batch[:1])
    details = []
    for limit in (fastpath.FAST_FROM, 10**9):
        monkeypatch.setattr(fastpath, "FAST_FROM", limit)
        count = Package.objects.count()
        with pytest.raises(OperationRefused) as exc:
            services.packages_introduce(actor=actor_for(importer), codes=batch)
        assert Package.objects.count() == count
        details.append(exc.value.details)
    assert details[0] == details[1]
    assert [e["reason"] for e in details[0]["errors"]] == ["already_introduced"]


def test_a_serial_holding_a_newline_is_refused_in_bulk_as_alone(importer, gtin, monkeypatch):
    # Regression: the bulk reader took "A<LF>B" for two good serials, and a bulk introduction by
    # the fast path stored a package whose serial held a newline.
    batch = [element_string(gtin, f"N{i:06d}") for i in range(N)]
    batch[7] = element_string(gtin, "N7\nX")
    details = []
    for limit in (fastpath.FAST_FROM, 10**9):
        monkeypatch.setattr(fastpath, "FAST_FROM", limit)
        before = (Package.objects.count(), Event.objects.count(), EventPackage.objects.count(), _stock())
        with pytest.raises(OperationRefused) as exc:
            services.packages_introduce(actor=actor_for(importer), codes=batch)
        assert (
            Package.objects.count(),
            Event.objects.count(),
            EventPackage.objects.count(),
            _stock(),
        ) == before
        details.append(exc.value.details)
    assert details[0] == details[1]
    [error] = details[0]["errors"]
    assert (error["code"], error["reason"]) == (batch[7], "bad_serial"), error


def test_a_shipment_from_several_sites_is_accepted_whole(importer, pharmacy, gtin):
    # The packages not at the site the shipment left from take the second statement, with their
    # own site recorded as the site before.
    from salamat.registry.models import Site

    other = Site.objects.create(
        organization=importer, name="Second store", address="Store st. 2", region="bishkek"
    )
    batch = [element_string(gtin, f"M{i:06d}") for i in range(N)]
    services.packages_introduce(actor=actor_for(importer), codes=batch[:50])
    services.packages_introduce(actor=actor_for(importer), codes=batch[50:], site_id=other.external_id)
    sent = services.shipment_send(actor=actor_for(importer), receiver_id=pharmacy.external_id, codes=batch)
    answer = services.shipment_accept(actor=actor_for(pharmacy), shipment_id=sent["shipment_id"])
    assert answer["package_count"] == N and answer["status"] == "accepted"
    accept = Event.objects.get(event_id=answer["event_id"])
    sites = sorted(EventPackage.objects.filter(event_id=accept.pk).values_list("prev_site_id", flat=True))
    assert sites.count(other.pk) == N - 50 and len(set(sites)) == 2
    assert set(Package.objects.filter(key__endswith="M000001").values_list("owner_id", flat=True)) == {
        pharmacy.pk
    }


def test_writing_off_recalled_packages_in_bulk_is_the_general_paths(
    importer, pharmacy, gtin, regulator, monkeypatch
):
    # Write-off is not stopped by a recall: the fast path takes the flagged packages too and
    # counts them out of the "recalled or blocked" stock as the general path does.
    def ready(prefix: str) -> list[str]:
        batch = [element_string(gtin, f"{prefix}{i:06d}", batch=f"W{prefix}") for i in range(N)]
        services.packages_introduce(actor=actor_for(importer), codes=batch)
        services.recall_create(
            actor=regulator, reason="lab", package_codes=batch[:7], kind="recall"
        )  # a few of them recalled
        return batch

    fast_codes, general_codes = ready("X"), ready("Y")
    with CaptureQueriesContext(connection) as queries:
        fast = services.packages_write_off(actor=actor_for(importer), codes=fast_codes)
    assert sum("WITH u AS (UPDATE" in q["sql"] for q in queries.captured_queries) == 1
    monkeypatch.setattr(fastpath, "FAST_FROM", 10**9)
    general = services.packages_write_off(actor=actor_for(importer), codes=general_codes)
    assert {**fast, "event_id": "", "event_time": ""} == {**general, "event_id": "", "event_time": ""}
    fast_trace = _trace([f"01/{gtin}/21/X{i:06d}" for i in range(N)])
    general_trace = _trace([f"01/{gtin}/21/Y{i:06d}" for i in range(N)])

    def without_batch(rows):  # the two batches differ by name only (index 8: batch)
        return [r[:8] + r[9:] for r in rows]

    assert without_batch(fast_trace[0]) == without_batch(general_trace[0])
    assert {r[8] for r in fast_trace[0]} == {"WX"} and fast_trace[0][0][6] == 1  # recalled, written off
    assert fast_trace[1][-1] == general_trace[1][-1]  # the write-off's event rows
    assert not StockBalance.objects.filter(batch__in=["WX", "WY"]).exclude(packages=0, flagged=0).exists()
