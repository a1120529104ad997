"""The regulator's dashboard: tracked packages over time, coverage, availability, alert kinds,
and the EPCIS events that were stored but drove no traceability operation.

Every figure is shown as a table too (readable without the chart, and testable); the chart
reads the same numbers from a JSON script element.
"""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.http import QueryDict
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from salamat.accounts.selectors import actor_for_request
from salamat.core.db_routing import replica_reads
from salamat.core.errors import DomainError, PermissionDenied
from salamat.core.pages import error_page, login_required
from salamat.dashboard.regions import LAKE, legend, region_cells
from salamat.epcis.selectors import epcis_not_applied_count
from salamat.registry.models import Product, Region
from salamat.registry.names import product_title
from salamat.registry.selectors import product_choices, product_search, tracking_list_choices
from salamat.traceability import selectors
from salamat.traceability.labels import alert_label

DEFAULT_DAYS = 30


ISO_DATE = "%Y-%m-%d"  # what <input type="date"> takes; the browser shows it in the person's format
PICKER_LIMIT = 20  # products suggested at a time by the searchable picker


class DashboardFilter(forms.Form):
    tracking_list = forms.ModelChoiceField(
        label=_("Tracking list"), queryset=tracking_list_choices(), required=False,
        to_field_name="code", empty_label=_("All tracked products"),
    )  # fmt: skip
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE)
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format=ISO_DATE)
    )
    # The product is picked by typing (the picker fills the hidden id); without scripts the
    # typed text is searched when the form is sent.
    product_q = forms.CharField(label=_("Availability of"), required=False, max_length=200)
    product = forms.ModelChoiceField(
        queryset=product_choices(), required=False, to_field_name="external_id", widget=forms.HiddenInput
    )
    region = forms.ChoiceField(choices=[("", ""), *Region.choices], required=False, widget=forms.HiddenInput)


def _forbidden(request):
    actor = actor_for_request(request)
    if not selectors.is_regulator(actor):
        return error_page(request, PermissionDenied("role_required", _("This page is for the regulator.")))
    return None


@never_cache
@login_required
@replica_reads
def index(request):
    """The dashboard, for the regulator only."""
    if (refused := _forbidden(request)) is not None:
        return refused
    form = DashboardFilter(request.GET)  # bound even when empty: every field is optional
    data = form.cleaned_data if form.is_valid() else {}
    today = timezone.localdate()
    date_to: date = data.get("date_to") or today
    date_from: date = data.get("date_from") or date_to - timedelta(days=DEFAULT_DAYS - 1)
    tracking_list = data.get("tracking_list")
    product, product_matches = _product_of(data)
    region = data.get("region", "") if product is not None else ""
    error = None
    try:
        series = selectors.tracked_stats(date_from=date_from, date_to=date_to, tracking_list=tracking_list)
    except DomainError as exc:
        series, error = [], exc.message
    # The form shows the period it stands for, and the product picked, even when left empty.
    shown = (request.GET or QueryDict()).copy()
    if not error:
        shown["date_from"], shown["date_to"] = date_from.isoformat(), date_to.isoformat()
    if product is not None:
        shown["product"], shown["product_q"] = str(product.external_id), product_title(product)
    form.data = shown
    regions = dict(Region.choices)
    availability, sites = [], []
    if product is not None:
        availability = [
            {**r, "region_label": regions.get(r["region"], r["region"])}
            for r in selectors.availability_by_region(product=product)
        ]
        if region:
            sites = selectors.availability(product=product, region=region)
    chart = {
        "labels": [row["day"].isoformat() for row in series],
        # the axis in the site's date format (the same as the table's)
        "display_labels": [formats.date_format(row["day"], "SHORT_DATE_FORMAT") for row in series],
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
            "product_matches": product_matches,
            "product_q": data.get("product_q", ""),
            "availability": availability,
            "region_cells": region_cells(availability, selected=region) if product is not None else [],
            "region_legend": legend(availability),
            "region": region,
            "region_label": regions.get(region, ""),
            "region_sites": sites,
            "map_lake": LAKE,
            "region_link": _link_without(shown, "region"),
            "pick_link": _link_without(shown, "product", "product_q", "region"),
            "top_kinds": top_kinds,
            "epcis_not_applied": epcis_not_applied_count(),
            "error": error,
        },
        status=422 if error else 200,
    )


def _product_of(data: dict) -> tuple[Product | None, list[Product]]:
    """The product asked about: the one picked, or the only one the typed text finds; else the
    products it finds, to choose from."""
    query = (data.get("product_q") or "").strip()
    picked = data.get("product")
    if picked is not None and (not query or query in (product_title(picked), str(picked))):
        return picked, []
    if not query:
        return None, []
    matches = list(product_search(q=query)[:PICKER_LIMIT])
    if len(matches) == 1:
        return matches[0], []
    return None, matches


def _link_without(params: QueryDict, *names: str) -> str:
    """The page's query string without `names`, ready for one more parameter to be added."""
    query = params.copy()
    for name in names:
        query.pop(name, None)
    encoded = query.urlencode()
    return f"?{encoded}&" if encoded else "?"


@never_cache
@login_required
@replica_reads
def product_suggestions(request):
    """The searchable picker's suggestions: products whose name, INN, registration number or
    GTIN matches what was typed (an HTML fragment of options)."""
    if (refused := _forbidden(request)) is not None:
        return refused
    query = request.GET.get("q", "").strip()[:200]
    products = list(product_search(q=query)[:PICKER_LIMIT]) if len(query) >= 2 else []
    return render(request, "dashboard/_products.html", {"products": products, "query": query})
