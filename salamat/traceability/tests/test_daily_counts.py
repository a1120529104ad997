"""The dashboard's daily counters (`traceability.daily`) give the series that counting the
packages gives: after operations and cancellations on past days, with or without a tracking
list, before the deltas are folded and after, and after an incremental run (a fold) as after a
full one (a recount); a fold reads no package and loses no delta committed while it runs."""

import json
import random
import re
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from salamat.registry.models import Product, TrackingList, TrackingListEntry
from salamat.traceability import daily, selectors, services
from salamat.traceability.models import DailyCount, DailyCountMark, DailyDelta, Package, PackageState
from salamat.traceability.services import fast as fastpath
from salamat.traceability.tests.conftest import actor_for, element_string


def reference(*, date_from: date, date_to: date, tracking_list: TrackingList | None = None) -> list[dict]:
    """The series as it was computed before the counters: from the packages alone (kept here
    verbatim as the reference the counters must equal)."""
    qs = Package.objects.all()
    if tracking_list is not None and not tracking_list.covers_all_products:
        qs = qs.filter(product__in=Product.objects.filter(tracking_entries__tracking_list=tracking_list))
    before = qs.filter(introduced_on__lt=date_from).exclude(withdrawn_on__lt=date_from).count()
    introduced = dict(
        qs.filter(introduced_on__range=(date_from, date_to))
        .values_list("introduced_on")
        .annotate(n=Count("id"))
        .values_list("introduced_on", "n")
    )
    withdrawn = dict(
        qs.filter(withdrawn_on__range=(date_from, date_to))
        .values_list("withdrawn_on")
        .annotate(n=Count("id"))
        .values_list("withdrawn_on", "n")
    )
    out, running, day = [], before, date_from
    while day <= date_to:
        i, w = introduced.get(day, 0), withdrawn.get(day, 0)
        running += i - w
        out.append({"day": day, "introduced": i, "withdrawn": w, "in_circulation": running})
        day += timedelta(days=1)
    return out


def ago(days: int):
    return timezone.now() - timedelta(days=days)


def assert_same_as_reference(tracking_list: TrackingList | None = None) -> None:
    today = timezone.localdate()
    periods = [(35, 0), (29, 0), (20, 12), (12, 12), (3, 0), (0, 0), (40, 30), (25, 2)]
    for start, end in periods:
        period = {"date_from": today - timedelta(days=start), "date_to": today - timedelta(days=end)}
        assert selectors.tracked_stats(**period, tracking_list=tracking_list) == reference(
            **period, tracking_list=tracking_list
        ), (start, end, tracking_list)


@pytest.fixture
def history(importer, codes, make_product):
    """Packages of two products introduced and withdrawn on several past days; answers the events."""
    me = actor_for(importer)
    other = make_product()
    other_gtin = other.gtins.first().gtin
    events = {}
    events["intro_20"] = services.packages_introduce(actor=me, codes=codes(6, start=1), event_time=ago(20))
    events["intro_12"] = services.packages_introduce(
        actor=me, codes=[element_string(other_gtin, f"O{i}") for i in range(4)], event_time=ago(12)
    )
    events["intro_5"] = services.packages_introduce(actor=me, codes=codes(5, start=20), event_time=ago(5))
    events["intro_0"] = services.packages_introduce(actor=me, codes=codes(2, start=40))
    events["off_15"] = services.packages_write_off(actor=me, codes=codes(2, start=1), event_time=ago(15))
    events["off_10"] = services.packages_write_off(
        actor=me, codes=[element_string(other_gtin, "O0")], event_time=ago(10)
    )
    events["export_3"] = services.packages_export(actor=me, codes=codes(3, start=20), event_time=ago(3))
    events["off_0"] = services.packages_write_off(actor=me, codes=codes(1, start=40))
    return {"events": events, "other": other}


def test_counters_equal_the_packages_after_operations_and_cancellations(history, importer, codes, product):
    # given: the history, summarised
    first = TrackingList.objects.create(code="first", name="First list", mandatory_from=date(2024, 1, 1))
    TrackingListEntry.objects.create(tracking_list=first, product=product)
    daily.summarise()
    assert DailyCount.objects.exists()
    assert_same_as_reference()
    assert_same_as_reference(first)

    # when: cancellations change past days (write-offs 10 and 15 days back and today, two
    # packages of an introduction 12 days back, one of an export 3 days back), a cancelled
    # code is introduced again, and the job runs
    me, events = actor_for(importer), history["events"]
    other_gtin = history["other"].gtins.first().gtin
    services.operation_cancel(actor=me, event_id=events["off_10"]["event_id"])
    services.operation_cancel_packages(
        actor=me,
        event_id=events["intro_12"]["event_id"],
        codes=[element_string(other_gtin, f"O{i}") for i in (1, 2)],
    )
    services.operation_cancel(actor=me, event_id=events["off_15"]["event_id"])
    services.operation_cancel_packages(
        actor=me, event_id=events["export_3"]["event_id"], codes=codes(1, start=21)
    )
    services.operation_cancel(actor=me, event_id=events["off_0"]["event_id"])
    services.packages_introduce(actor=me, codes=[element_string(other_gtin, "O1")], event_time=ago(1))
    daily.summarise()

    # then
    assert_same_as_reference()
    assert_same_as_reference(first)


def test_a_cancelled_introduction_leaves_its_day(importer, codes, product):
    me = actor_for(importer)
    answer = services.packages_introduce(actor=me, codes=codes(3), event_time=ago(25))
    daily.summarise()
    day = timezone.localdate() - timedelta(days=25)
    assert DailyCount.objects.get(day=day, product=product).introduced == 3

    services.operation_cancel(actor=me, event_id=answer["event_id"])
    services.packages_introduce(actor=me, codes=codes(1), event_time=ago(2))
    daily.summarise()

    assert not DailyCount.objects.filter(day=day).exists()
    assert DailyCount.objects.get(day=day + timedelta(days=23), product=product).introduced == 1
    assert_same_as_reference()


def test_days_after_the_summary_come_from_the_deltas_not_folded_yet(history):
    # given: the job last ran four days ago (it recounted the days up to then)
    daily.summarise(today=timezone.localdate() - timedelta(days=4))
    assert DailyCountMark.objects.get().through == timezone.localdate() - timedelta(days=4)
    assert DailyDelta.objects.filter(day__gt=timezone.localdate() - timedelta(days=4)).exists()

    # then: the days since come from their deltas, and the series is still exact
    assert_same_as_reference()


def test_an_incremental_run_equals_a_full_one(history, importer, codes):
    daily.summarise()
    services.operation_cancel(actor=actor_for(importer), event_id=history["events"]["off_10"]["event_id"])
    services.packages_write_off(actor=actor_for(importer), codes=codes(1, start=6), event_time=ago(8))
    incremental = daily.summarise()
    assert incremental["mode"] == "fold" and incremental["deltas"] > 0  # the deltas, not the packages
    assert not DailyDelta.objects.exists()
    rows = sorted(DailyCount.objects.values_list("day", "product_id", "introduced", "withdrawn", "closed"))
    full = daily.summarise(full=True)
    assert full["mode"] == "recount"
    assert (
        sorted(DailyCount.objects.values_list("day", "product_id", "introduced", "withdrawn", "closed"))
        == rows
    )
    assert_same_as_reference()


def test_a_fold_touches_only_the_days_its_deltas_name(history, importer, codes):
    # given: counters for an old day that no package says anything about
    daily.summarise()
    old = timezone.localdate() - timedelta(days=400)
    kept = DailyCount.objects.create(day=old, product=history["other"], introduced=7)

    # when: an operation records its deltas and the job runs again
    services.packages_write_off(actor=actor_for(importer), codes=codes(1, start=6), event_time=ago(8))
    daily.summarise()

    # then: the old day was not recounted (a full run would drop it: no package says so)
    assert DailyCount.objects.filter(pk=kept.pk).exists()
    daily.summarise(full=True)
    assert not DailyCount.objects.filter(day=old).exists()


def test_command_and_job(history):
    out = StringIO()
    call_command("daily_counts", stdout=out)
    assert json.loads(out.getvalue())["through"] == timezone.localdate().isoformat()
    out = StringIO()
    call_command("daily_counts", "--enqueue", stdout=out)  # the test runner runs it at once
    assert "queued" in json.loads(out.getvalue())
    assert DailyCountMark.objects.count() == 1
    assert_same_as_reference()


def test_no_summary_counts_live(history):
    assert not DailyCountMark.objects.exists()
    assert_same_as_reference()


# The files that write a package's `introduced_on` or `withdrawn_on`: each records what its
# change does to the counters (`daily.DatesChange`, or `daily.delta_cte` in the fast path's
# statement), in the same transaction, or the counters drift from the packages until a full
# recount. (The fast path's `services/fast.py` runs withdraw's statement; the days it writes and
# the SQL of their deltas come from withdraw.py and daily.py.)
WRITERS = {
    "salamat/traceability/services/introduce.py",
    "salamat/traceability/services/withdraw.py",
    "salamat/traceability/services/cancel.py",
}
READERS = {
    "salamat/traceability/models.py",
    "salamat/traceability/selectors.py",
    "salamat/traceability/daily.py",
}


def test_only_the_known_services_write_the_dates_the_counters_summarise():
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    found = {
        str(path.relative_to(root))
        for path in (root / "salamat").rglob("*.py")
        if "tests" not in path.parts and "migrations" not in path.parts
        and ("introduced_on" in (text := path.read_text()) or "withdrawn_on" in text)
    }  # fmt: skip
    assert found - READERS <= WRITERS, (
        "A new place writes introduced_on/withdrawn_on: make it record its deltas of the daily "
        "counters (traceability.daily.DatesChange) in the same transaction, then add it to WRITERS."
    )


def counters() -> dict:
    return {
        (day, product): (i, w, c)
        for day, product, i, w, c in DailyCount.objects.values_list(
            "day", "product_id", "introduced", "withdrawn", "closed"
        )
    }


def test_folding_a_random_mix_of_operations_equals_a_recount(
    importer, pharmacy, wholesaler, codes, gtin, make_product
):
    """Bulk requests (the fast path on PostgreSQL) and small ones (the general path), per-unit
    sales, cancellations whole and per package, a return, a re-introduction, on random past
    days: the series counts the deltas before they are folded, and folding them gives what
    counting the packages gives."""
    rnd = random.Random(20261207)
    other = make_product(units=10)
    other_gtin = other.gtins.first().gtin
    importer_, pharmacy_, wholesaler_ = actor_for(importer), actor_for(pharmacy), actor_for(wholesaler)
    daily.summarise()  # the first run: a recount of nothing; every run below folds deltas
    big = fastpath.FAST_FROM + 10

    def day_ago() -> object:
        return ago(rnd.randint(0, 25)) if rnd.random() < 0.8 else None

    def introduce(batch: list[str]) -> dict:
        return services.packages_introduce(actor=importer_, codes=batch, event_time=day_ago())

    def to_pharmacy(batch: list[str]) -> None:
        sent = services.shipment_send(actor=importer_, receiver_id=pharmacy.external_id, codes=batch)
        services.shipment_accept(actor=pharmacy_, shipment_id=sent["shipment_id"])

    with CaptureQueriesContext(connection) as queries:
        # bulk: introduced, shipped, accepted, sold (some on a day before their introduction)
        bulk_a, bulk_b = codes(big, start=1), [element_string(other_gtin, f"X{i:05d}") for i in range(big)]
        introduce(bulk_a)
        introduce(bulk_b)
        to_pharmacy(bulk_a)
        to_pharmacy(bulk_b)
        sale_a = services.packages_sell(actor=pharmacy_, codes=bulk_a[:big], event_time=day_ago())
        services.packages_sell(actor=pharmacy_, codes=bulk_b[: big - 5], event_time=day_ago())
        # small requests: introductions, write-offs, exports, dispensing, per-unit sales
        small = [introduce(codes(4, start=1000 + 10 * i)) for i in range(5)]
        services.packages_write_off(actor=importer_, codes=codes(2, start=1000), event_time=day_ago())
        services.packages_export(actor=importer_, codes=codes(2, start=1012), event_time=day_ago())
        to_pharmacy(codes(4, start=1020) + codes(4, start=1030))
        services.packages_dispense(actor=pharmacy_, codes=codes(2, start=1020), event_time=day_ago())
        services.packages_sell(actor=pharmacy_, codes=codes(3, start=1030), units=6, event_time=day_ago())
        last_units = services.packages_sell(
            actor=pharmacy_, codes=codes(2, start=1030), units=4, event_time=day_ago()
        )  # their last units: the two packages leave circulation
        services.packages_return(actor=pharmacy_, codes=codes(1, start=1033))
        services.packages_sell(actor=pharmacy_, codes=bulk_b[big - 5 :], event_time=day_ago())
        # cancellations: a bulk sale per package then whole, an introduction, a per-unit sale
        services.operation_cancel_packages(actor=pharmacy_, event_id=sale_a["event_id"], codes=bulk_a[:3])
        services.operation_cancel(actor=pharmacy_, event_id=sale_a["event_id"])
        services.operation_cancel(actor=importer_, event_id=small[4]["event_id"])
        services.operation_cancel(actor=pharmacy_, event_id=last_units["event_id"])
        introduce(codes(2, start=1040))  # cancelled codes introduced again
        # and the same goods again through a wholesaler
        sent = services.shipment_send(actor=pharmacy_, receiver_id=wholesaler.external_id, codes=bulk_a[:big])
        services.shipment_accept(actor=wholesaler_, shipment_id=sent["shipment_id"])
        services.packages_write_off(actor=wholesaler_, codes=bulk_a[: big // 2], event_time=day_ago())
    if connection.vendor == "postgresql":  # the fast path ran and recorded its deltas in its statement
        sql = [q["sql"] or "" for q in queries.captured_queries]
        assert any(s.startswith("WITH u AS (UPDATE") and "traceability_dailydelta" in s for s in sql)
        assert any(s.startswith("WITH ins AS (INSERT") and "traceability_dailydelta" in s for s in sql)

    # then: before folding, the series counts the pending deltas
    assert DailyDelta.objects.exists()
    assert_same_as_reference()
    # and folding them gives the counters a recount gives
    result = daily.summarise()
    assert result["mode"] == "fold" and not DailyDelta.objects.exists()
    today = timezone.localdate()
    assert counters() == daily.counts(Package.objects.all(), after=None, through=today)
    assert_same_as_reference()
    daily.summarise(full=True)
    assert counters() == daily.counts(Package.objects.all(), after=None, through=today)


def test_a_fold_reads_no_package(history, importer, codes):
    daily.summarise()
    services.operation_cancel(actor=actor_for(importer), event_id=history["events"]["off_10"]["event_id"])
    services.packages_write_off(actor=actor_for(importer), codes=codes(2, start=3), event_time=ago(4))

    sent = []  # every statement's text as sent (the query log may not spell out every cursor's)

    def record(execute, sql, params, many, context):
        sent.append(str(sql))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        result = daily.summarise()

    assert result["mode"] == "fold" and result["deltas"] > 0
    assert any("traceability_dailydelta" in sql for sql in sent)
    assert not [sql for sql in sent if re.search(r"traceability_package\b", sql)]
    assert_same_as_reference()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_delta_committed_while_a_fold_runs_is_folded_next_time(history, importer, codes, product):
    # given: a summary, then another transaction that records a delta (taking the lower id)
    # and has not committed when the next fold runs, while later deltas are committed
    daily.summarise()
    day = timezone.localdate() - timedelta(days=2)
    other = connection.copy()
    other.ensure_connection()
    raw = other.connection
    raw.autocommit = False
    raw.execute(
        "INSERT INTO traceability_dailydelta (day, product_id, introduced, withdrawn, closed) "
        "VALUES (%s, %s, 5, 0, 0)",
        [day, product.pk],
    )
    try:
        services.packages_write_off(actor=actor_for(importer), codes=codes(1, start=4), event_time=ago(1))

        # when: the fold runs, then the other transaction commits
        daily.summarise()
        raw.commit()
    finally:
        other.close()

    # then: its delta was neither folded nor lost: it is pending, counted, and folded next time
    before = (
        DailyCount.objects.filter(day=day, product=product).values_list("introduced", flat=True).first() or 0
    )
    assert DailyDelta.objects.filter(day=day, product=product, introduced=5).count() == 1
    assert daily.summarise()["deltas"] == 1
    assert DailyCount.objects.get(day=day, product=product).introduced == before + 5


@pytest.mark.django_db(transaction=True)
def test_an_upgrade_to_the_deltas_recounts_once(history):
    # A running system upgraded from the recounting counters: what happened between its last
    # recount and the first delta is in neither, so the next run recounts every day, then folds.
    from django.db.migrations.executor import MigrationExecutor

    daily.summarise()
    assert DailyCountMark.objects.exists()
    executor = MigrationExecutor(connection)
    executor.migrate([("traceability", "0013_daily_delta")])
    DailyCount.objects.update(introduced=0)  # what the counters missed, made visible
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert not DailyCountMark.objects.exists()
    assert daily.summarise()["mode"] == "recount"
    assert_same_as_reference()
    assert daily.summarise()["mode"] == "fold"


def test_a_cancelled_sticker_introduction_leaves_its_day_and_its_package_may_go(importer, product):
    # given: two packages registered for stickers, introduced by scanning them 6 days back
    from salamat.codes import sticker_serial_new

    me = actor_for(importer)
    keys = [f"sticker:{sticker_serial_new()}" for _ in range(2)]
    services.packages_register(actor=me, product=product, batch="S1", expiry=date(2031, 1, 1), keys=keys)
    answer = services.packages_introduce(actor=me, codes=keys, event_time=ago(6))
    daily.summarise()
    # when: the introduction is cancelled (back to registered, held by the introducer) and the
    # stickers are voided (their packages removed), then the job runs
    services.operation_cancel(actor=me, event_id=answer["event_id"])
    assert set(Package.objects.values_list("state", "introduced_on")) == {(PackageState.REGISTERED, None)}
    assert services.packages_unregister(actor=me, keys=keys) == 2
    assert_same_as_reference()  # pending deltas
    daily.summarise()
    # then: the counters count them nowhere, as a recount would not
    assert_same_as_reference()
    assert not DailyCount.objects.exclude(introduced=0, withdrawn=0, closed=0).exists()
