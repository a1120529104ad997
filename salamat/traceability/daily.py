"""Daily counts of packages introduced and withdrawn, per product: the summary the dashboard's
series reads instead of counting the whole package table (10 seconds at 10 million packages).

Each package contributes to three counters: `introduced` on its `introduced_on` day,
`withdrawn` on its `withdrawn_on` day, and `closed` on the later of the two when it has both.
Then, for any day D, the packages in circulation before D (the series' old definition:
introduced before D and not withdrawn before D) are Σ introduced − Σ closed over the days
before D, and the series is a running sum: exactly what counting the packages says.

Which days can still change. The services set those two dates to the local day of the
event's time, which may be up to `EVENT_TIME_MAX_AGE_DAYS` in the past; a cancellation
(allowed up to `CANCEL_WINDOW_DAYS` after the operation was recorded) clears the date its
operation set. Nothing else writes them. So a change made at time t touches only days from
`day(t) − MAX_AGE − WINDOW` on. `summarise()` therefore recounts, from the packages and in one
snapshot, every day from `day(previous summary) − that horizon − 1` (the 1: a transaction
still open at the previous summary) up to today, and keeps the older days as they are — by
induction they cannot have changed since. A first run, or `--full` after a bulk load or a
repair that wrote packages directly, recounts every day.

Reading: days up to the summary's `through` come from the counters, later days (when the
job is behind) are counted live from the packages. The figures are those of the packages at
the summary's time (`summarised_at`, run every few minutes by the timer or the job worker);
before any summary exists the series is counted live, as before.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Greatest
from django.utils import timezone

from salamat.core import jobs
from salamat.core.conf import setting
from salamat.traceability.models import DailyCount, DailyCountMark, Package

log = logging.getLogger(__name__)

# Fixed key of the PostgreSQL advisory lock that keeps two summaries from running at once.
_LOCK_KEY = 0x5A1A_DA11


def mutable_days() -> int:
    """How many days back from the day of a change a change can reach (see the module text)."""
    return int(setting("EVENT_TIME_MAX_AGE_DAYS")) + int(setting("CANCEL_WINDOW_DAYS")) + 1


def _by_day(qs: QuerySet, field: str) -> dict[tuple[date, int], int]:
    return {
        (day, product): n
        for day, product, n in qs.values_list(field, "product_id")
        .annotate(n=Count("id"))
        .values_list(field, "product_id", "n")
    }


def _closed(qs: QuerySet) -> QuerySet:
    """The packages introduced and withdrawn both, with `closed_on`: the later of the two days."""
    return qs.filter(introduced_on__isnull=False, withdrawn_on__isnull=False).annotate(
        closed_on=Greatest("introduced_on", "withdrawn_on")
    )


def counts(
    qs: QuerySet, *, after: date | None, through: date
) -> dict[tuple[date, int], tuple[int, int, int]]:
    """(day, product) -> (introduced, withdrawn, closed) of the packages `qs`, for the days
    after `after` (None: all) up to `through`."""
    if connection.vendor == "postgresql":
        return _counts_one_scan(qs, after=after, through=through)
    days = {"lte": through} if after is None else {"gt": after, "lte": through}
    introduced = _by_day(qs.filter(**{f"introduced_on__{k}": v for k, v in days.items()}), "introduced_on")
    withdrawn = _by_day(qs.filter(**{f"withdrawn_on__{k}": v for k, v in days.items()}), "withdrawn_on")
    closed = _by_day(_closed(qs).filter(**{f"closed_on__{k}": v for k, v in days.items()}), "closed_on")
    return {
        key: (introduced.get(key, 0), withdrawn.get(key, 0), closed.get(key, 0))
        for key in introduced.keys() | withdrawn.keys() | closed.keys()
    }


def _counts_one_scan(
    qs: QuerySet, *, after: date | None, through: date
) -> dict[tuple[date, int], tuple[int, int, int]]:
    """`counts` on PostgreSQL in one pass over the packages instead of three: one GROUPING SETS
    query groups the same rows by introduction day, by withdrawal day and by closing day."""
    rows = qs.values("product_id", "introduced_on", "withdrawn_on")
    if after is not None:  # a package counts only if one of its days is recent (closed_on is one of them)
        rows = rows.filter(Q(introduced_on__gt=after) | Q(withdrawn_on__gt=after))
    inner, params = rows.query.sql_with_params()
    sql = (
        "SELECT product_id, introduced_on, withdrawn_on, closed_on, count(*) FROM ("  # noqa: S608 - ORM-built
        "  SELECT product_id, introduced_on, withdrawn_on, CASE WHEN introduced_on IS NOT NULL AND "
        f"   withdrawn_on IS NOT NULL THEN GREATEST(introduced_on, withdrawn_on) END AS closed_on FROM ({inner}) p"
        ") r GROUP BY GROUPING SETS ((product_id, introduced_on), (product_id, withdrawn_on), (product_id, closed_on))"
    )
    with connection.cursor() as cur:
        cur.execute(sql, params)
        grouped = cur.fetchall()
    out: dict[tuple[date, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for product, introduced_on, withdrawn_on, closed_on, n in grouped:
        # Exactly one day column of a grouping set is kept; the others come back NULL.
        for slot, day in enumerate((introduced_on, withdrawn_on, closed_on)):
            if day is not None and day <= through and (after is None or day > after):
                out[(day, product)][slot] += n
    return {key: (i, w, c) for key, (i, w, c) in out.items()}


def summarise(*, today: date | None = None, full: bool = False) -> dict:
    """Recounts the days that may have changed since the last summary (every day on the first
    run or with `full`) into `DailyCount`. Idempotent; a run that finds another one going
    returns at once."""
    today = today or timezone.localdate()
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                if outermost:  # one snapshot for every count below (the transaction's first statement)
                    cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cur.execute("SELECT pg_try_advisory_xact_lock(%s)", [_LOCK_KEY])
                if not cur.fetchone()[0]:
                    return {"skipped": "another summary is running"}
        now = timezone.now()
        mark = DailyCountMark.objects.first()
        after = None
        if mark is not None and not full:
            after = min(timezone.localdate(mark.summarised_at), mark.through) - timedelta(
                days=mutable_days() + 2
            )
        fresh = counts(Package.objects.all(), after=after, through=today)
        stale = DailyCount.objects.all() if after is None else DailyCount.objects.filter(day__gt=after)
        removed = stale.delete()[0]
        DailyCount.objects.bulk_create(
            [
                DailyCount(day=day, product_id=product, introduced=i, withdrawn=w, closed=c)
                for (day, product), (i, w, c) in sorted(fresh.items())
            ],
            batch_size=5000,
        )
        DailyCountMark.objects.all().delete()
        DailyCountMark.objects.create(through=today, summarised_at=now)
    result = {"from": after.isoformat() if after else None, "through": today.isoformat(), "rows": len(fresh),
              "replaced": removed}  # fmt: skip
    log.info("daily counts: %s", result)
    return result


@jobs.task()
def daily_counts_job() -> dict:
    """`summarise()` on the job runner."""
    return summarise()


def counted_at() -> datetime | None:
    """When the counters were last written (None: the series is counted live)."""
    return DailyCountMark.objects.values_list("summarised_at", flat=True).first()


def series(*, date_from: date, date_to: date, products: QuerySet | None) -> list[dict]:
    """Per day from `date_from` to `date_to`: packages introduced, withdrawn, and in circulation
    at the end of the day, of `products` (None: all): from the counters where summarised, live
    for the days after."""
    mark = DailyCountMark.objects.first()
    if mark is None:
        return live_series(date_from=date_from, date_to=date_to, products=products)
    through = mark.through
    rows = DailyCount.objects.all()
    if products is not None:
        rows = rows.filter(product__in=products)
    introduced: dict[date, int] = defaultdict(int)
    withdrawn: dict[date, int] = defaultdict(int)
    before = (
        rows.filter(day__lt=min(date_from, through + timedelta(days=1))).aggregate(
            n=Sum(F("introduced") - F("closed"))
        )["n"]
        or 0
    )
    for day, i, w in (
        rows.filter(day__range=(date_from, min(date_to, through)))
        .values("day")
        .annotate(i=Sum("introduced"), w=Sum("withdrawn"))
        .values_list("day", "i", "w")
    ):
        introduced[day], withdrawn[day] = i, w
    if date_to > through:  # the job is behind: the days since its last run, from the packages
        packages = Package.objects.all() if products is None else Package.objects.filter(product__in=products)
        for (day, _product), (i, w, c) in counts(packages, after=through, through=date_to).items():
            if day < date_from:
                before += i - c
            else:
                introduced[day] += i
                withdrawn[day] += w
    return _running(date_from, date_to, before, introduced, withdrawn)


def live_series(*, date_from: date, date_to: date, products: QuerySet | None) -> list[dict]:
    """The series counted from the packages alone (before any summary exists)."""
    qs = Package.objects.all() if products is None else Package.objects.filter(product__in=products)
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
    return _running(date_from, date_to, before, introduced, withdrawn)


def _running(date_from: date, date_to: date, before: int, introduced: dict, withdrawn: dict) -> list[dict]:
    out, running, day = [], before, date_from
    while day <= date_to:
        i, w = introduced.get(day, 0), withdrawn.get(day, 0)
        running += i - w
        out.append({"day": day, "introduced": i, "withdrawn": w, "in_circulation": running})
        day += timedelta(days=1)
    return out
