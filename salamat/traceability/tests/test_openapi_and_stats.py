"""The API documents every traceability endpoint; stats and coverage add up."""

from datetime import date, timedelta

from django.utils import timezone

from salamat.registry.models import TrackingList, TrackingListEntry
from salamat.traceability import selectors, services
from salamat.traceability.tests.conftest import actor_for

TRACE_PATHS = {
    "/api/v1/packages/introduce", "/api/v1/containers/aggregate", "/api/v1/containers/disaggregate",
    "/api/v1/shipments", "/api/v1/shipments/{shipment_id}/accept", "/api/v1/shipments/{shipment_id}/reject",
    "/api/v1/packages/sell", "/api/v1/packages/dispense", "/api/v1/packages/return", "/api/v1/packages/write-off",
    "/api/v1/packages/destroy", "/api/v1/packages/export", "/api/v1/operations/{event_id}/cancel",
    "/api/v1/packages/{code}", "/api/v1/stock", "/api/v1/availability", "/api/v1/recalls",
    "/api/v1/recalls/{recall_id}/lift", "/api/v1/alerts", "/api/v1/alerts/{alert_id}/resolve",
    "/api/v1/stats/tracked", "/api/v1/stats/coverage",
}  # fmt: skip


def test_every_endpoint_has_a_summary_and_typed_answers():
    from salamat.api import api

    paths = api.get_openapi_schema()["paths"]
    assert set(paths) >= TRACE_PATHS
    for path in TRACE_PATHS:
        for method, op in paths[path].items():
            assert op.get("summary"), (method, path)
            codes = {str(c): r for c, r in op["responses"].items()}
            ok = [c for c in codes if c.startswith("2")]
            assert ok and "content" in codes[ok[0]], (method, path)
            assert {"400", "403"} <= set(codes), (method, path)


def test_tracked_per_day_and_by_list(importer, pharmacy, at_pharmacy, make_product, codes, product):
    batch = at_pharmacy(3)
    services.packages_sell(actor=actor_for(pharmacy), codes=batch[:1])
    other = make_product()
    from salamat.traceability.tests.conftest import element_string

    services.packages_introduce(
        actor=actor_for(importer), codes=[element_string(other.gtins.first().gtin, "O1")]
    )
    today = timezone.localdate()
    days = selectors.tracked_stats(date_from=today - timedelta(days=1), date_to=today)
    assert days[-1] == {"day": today, "introduced": 4, "withdrawn": 1, "in_circulation": 3}
    assert days[0]["in_circulation"] == 0
    first = TrackingList.objects.create(code="first", name="First list", mandatory_from=date(2024, 1, 1))
    TrackingListEntry.objects.create(tracking_list=first, product=product)
    listed = selectors.tracked_stats(date_from=today, date_to=today, tracking_list=first)
    assert listed == [{"day": today, "introduced": 3, "withdrawn": 1, "in_circulation": 2}]


def test_coverage_share(importer, introduced, product, make_product):
    introduced(1)
    first = TrackingList.objects.create(code="first", name="First list", mandatory_from=date(2024, 1, 1))
    TrackingListEntry.objects.create(tracking_list=first, product=product)
    TrackingListEntry.objects.create(tracking_list=first, product=make_product())
    TrackingList.objects.create(
        code="later", name="Later", mandatory_from=date(2099, 1, 1), covers_all_products=True
    )
    out = selectors.coverage()
    assert (out["products"], out["introduced"], out["share"]) == (2, 1, 0.5)
    assert [(lst["list"], lst["share"]) for lst in out["lists"]] == [("first", 0.5)]
