"""The dashboard's daily counters (`traceability.daily`) give the series that counting the
packages gives: after operations and cancellations on past days, with or without a tracking
list, when the job is behind, and after an incremental run as after a full one."""

import json
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from salamat.registry.models import Product, TrackingList, TrackingListEntry
from salamat.traceability import daily, selectors, services
from salamat.traceability.models import DailyCount, DailyCountMark, Package
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


def test_days_after_the_summary_are_counted_from_the_packages(history):
    # given: the job last ran four days ago
    daily.summarise(today=timezone.localdate() - timedelta(days=4))
    assert DailyCountMark.objects.get().through == timezone.localdate() - timedelta(days=4)

    # then: the days since are counted live, and the series is still exact
    assert_same_as_reference()


def test_an_incremental_run_equals_a_full_one(history, importer, codes):
    daily.summarise()
    services.operation_cancel(actor=actor_for(importer), event_id=history["events"]["off_10"]["event_id"])
    services.packages_write_off(actor=actor_for(importer), codes=codes(1, start=6), event_time=ago(8))
    incremental = daily.summarise()
    assert incremental["from"] is not None  # only the days that may have changed were recounted
    rows = sorted(DailyCount.objects.values_list("day", "product_id", "introduced", "withdrawn", "closed"))
    full = daily.summarise(full=True)
    assert full["from"] is None
    assert (
        sorted(DailyCount.objects.values_list("day", "product_id", "introduced", "withdrawn", "closed"))
        == rows
    )
    assert_same_as_reference()


def test_days_older_than_the_horizon_are_kept(history):
    # given: counters for an old day that no operation can reach any more
    daily.summarise()
    old = timezone.localdate() - timedelta(days=daily.mutable_days() + 10)
    kept = DailyCount.objects.create(day=old, product=history["other"], introduced=7)

    # when: the job runs again
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


# The files that write a package's `introduced_on` or `withdrawn_on`, and the days each write
# can reach: the event's day (at most EVENT_TIME_MAX_AGE_DAYS back), or, for a cancellation
# within CANCEL_WINDOW_DAYS, the day its operation wrote. `daily.summarise` recounts exactly
# the days these can reach.
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
        "A new place writes introduced_on/withdrawn_on: check which past days it can change and "
        "that traceability.daily.mutable_days() covers them, then add it to WRITERS."
    )
