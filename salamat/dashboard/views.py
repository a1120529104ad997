"""The regulator's dashboard: tracked packages over time, coverage, availability, alert kinds,
and the EPCIS events that were stored but drove no traceability operation.

Every figure is shown as a table too (readable without the chart, and testable); the chart
reads the same numbers from a JSON script element.
"""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from salamat.accounts.selectors import actor_for_request
from salamat.core.db_routing import replica_reads
from salamat.core.errors import DomainError, PermissionDenied
from salamat.core.pages import error_page, login_required
from salamat.epcis.selectors import epcis_not_applied_count
from salamat.registry.models import Region
from salamat.registry.selectors import product_choices, tracking_list_choices
from salamat.traceability import selectors
from salamat.traceability.labels import alert_label

DEFAULT_DAYS = 30


class DashboardFilter(forms.Form):
    tracking_list = forms.ModelChoiceField(
        label=_("Tracking list"), queryset=tracking_list_choices(), required=False,
        to_field_name="code", empty_label=_("All tracked products"),
    )  # fmt: skip
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    product = forms.ModelChoiceField(
        label=_("Availability of"), queryset=product_choices(), required=False,
        to_field_name="external_id", empty_label=_("Choose a product"),
    )  # fmt: skip


@never_cache
@login_required
@replica_reads
def index(request):
    """The dashboard, for the regulator only."""
    actor = actor_for_request(request)
    if not selectors.is_regulator(actor):
        return error_page(request, PermissionDenied("role_required", _("This page is for the regulator.")))
    form = DashboardFilter(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    today = timezone.localdate()
    date_to: date = data.get("date_to") or today
    date_from: date = data.get("date_from") or date_to - timedelta(days=DEFAULT_DAYS - 1)
    tracking_list = data.get("tracking_list")
    product = data.get("product")
    error = None
    try:
        series = selectors.tracked_stats(date_from=date_from, date_to=date_to, tracking_list=tracking_list)
    except DomainError as exc:
        series, error = [], exc.message
    regions = dict(Region.choices)
    availability = []
    if product is not None:
        availability = [
            {**r, "region_label": regions.get(r["region"], r["region"])}
            for r in selectors.availability_by_region(product=product)
        ]
    chart = {
        "labels": [row["day"].isoformat() for row in series],
        "introduced": [row["introduced"] for row in series],
        "withdrawn": [row["withdrawn"] for row in series],
        "in_circulation": [row["in_circulation"] for row in series],
        "names": {
            "introduced": str(_("Introduced")),
            "withdrawn": str(_("Withdrawn")),
            "in_circulation": str(_("In circulation")),
        },
    }
    totals = {
        "introduced": sum(chart["introduced"]),
        "withdrawn": sum(chart["withdrawn"]),
        "in_circulation": chart["in_circulation"][-1] if series else 0,
    }
    top_kinds = [
        {**k, "label": alert_label(k["kind"])}
        for k in selectors.alert_kinds_top(date_from=date_from, date_to=date_to)
    ]
    return render(
        request,
        "dashboard/index.html",
        {
            "form": form,
            "date_from": date_from,
            "date_to": date_to,
            "tracking_list": tracking_list,
            "series": series,
            "chart": chart,
            "totals": totals,
            "coverage": selectors.coverage(on=today),
            "product": product,
            "availability": availability,
            "top_kinds": top_kinds,
            "epcis_not_applied": epcis_not_applied_count(),
            "error": error,
        },
        status=422 if error else 200,
    )
