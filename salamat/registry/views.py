"""Public pages of the drug registry and the participants directory."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from salamat.core.actors import actor_for_request
from salamat.registry import selectors
from salamat.registry.forms import OrganizationSearchForm, ProductSearchForm
from salamat.registry.models import Organization
from salamat.registry.selectors import product_tracking_lists

PAGE_SIZE = 20


def _is_htmx_search(request) -> bool:
    # Live search swaps only the results; a boosted or history request wants the whole page.
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Target") == "results"


def _vary_on_htmx(response):
    # The same URL answers a whole page or only the results: caches must keep them apart.
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


@require_GET
def product_list(request):
    form = ProductSearchForm(request.GET)
    page = None
    if form.is_valid():
        products = selectors.product_search(q=form.cleaned_data["q"], atc=form.cleaned_data["atc"])
        page = Paginator(products, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page}
    template = "registry/_product_results.html" if _is_htmx_search(request) else "registry/products.html"
    return render(request, template, context)


@require_GET
def product_detail(request, external_id):
    product = selectors.product_search().filter(external_id=external_id).first()
    if product is None:
        raise Http404
    today = timezone.localdate()
    since = selectors.tracking_mandatory_since(product=product)
    return render(
        request,
        "registry/product_detail.html",
        {
            "product": product,
            "gtins": [g.gtin for g in product.gtins.all()],
            "tracking_lists": product_tracking_lists(product=product),
            "tracking_since": since,
            "tracking_in_force": since is not None and since <= today,
            "registered_now": product.is_registered_on(today),
            "today": today,
        },
    )


@require_GET
def organization_list(request):
    form = OrganizationSearchForm(request.GET)
    page = None
    if form.is_valid():
        organizations = selectors.organization_directory(
            q=form.cleaned_data["q"],
            org_type=form.cleaned_data["org_type"],
            region=form.cleaned_data["region"],
        )
        page = Paginator(organizations, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page}
    template = (
        "registry/_organization_results.html" if _is_htmx_search(request) else "registry/organizations.html"
    )
    return render(request, template, context)


@require_GET
def organization_detail(request, external_id):
    """Public fields for everyone; the full record for the regulator, the ministry and the organisation itself."""
    organization = Organization.objects.prefetch_related("sites").filter(external_id=external_id).first()
    if organization is None:
        raise Http404
    actor = actor_for_request(request)
    full = selectors.organization_visible_in_full(actor=actor, organization=organization)
    if not full and not organization.is_active:
        # Pending and suspended participants are not part of the public directory.
        raise Http404
    return render(
        request,
        "registry/organization_detail.html",
        {
            "organization": organization,
            "full": full,
            "sites": [site for site in organization.sites.all() if full or site.is_active],
        },
    )
