"""The organisation's stock, and a package's history."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from salamat.accounts.selectors import actor_for_request
from salamat.core.conf import setting
from salamat.core.errors import DomainError, PermissionDenied
from salamat.core.pages import error_page, login_required
from salamat.registry.models import Site
from salamat.traceability import selectors, services
from salamat.traceability.labels import REASONS, reason_text, transactions_shown
from salamat.traceability.rules import Operation
from salamat.traceability.views import export

STOCK_SORTS = {  # the list's sort choices
    "product": gettext_lazy("By product"),
    "expiry": gettext_lazy("First to expire first"),
    "-packages": gettext_lazy("Most packages first"),
}


@never_cache
@login_required
def stock(request):
    """The organisation's stock by product, batch and expiry; expiring soon highlighted; searched,
    sorted, and as CSV or Excel with `?format=`."""
    actor = actor_for_request(request)
    if actor.organization is None or not actor.has_role(*services.OPERATION_ROLES[Operation.ACCEPT]):
        return error_page(
            request,
            PermissionDenied(
                "role_required", _("This page is not available for your role and organisation.")
            ),
        )
    org = actor.organization
    sites = list(Site.objects.filter(organization=org).order_by("name"))
    site = next((s for s in sites if str(s.external_id) == request.GET.get("site", "")), None)
    rows = selectors.stock_for_site(organization=org, site_id=site.pk if site else None)
    search = request.GET.get("q", "").strip()[:100]
    if search:
        needle = search.casefold()
        rows = [
            r for r in rows
            if needle in f"{r['product'].trade_name} {r['product'].inn} {r['product'].strength} {r['batch']}".casefold()
        ]  # fmt: skip
    sort = request.GET.get("sort", "product")
    sort = sort if sort in STOCK_SORTS else "product"
    # The page reads by product (its batches together, first to expire first); the selector is by expiry.
    rows.sort(key=lambda r: (r["product"].trade_name.casefold(), r["product"].pk, r["expiry"], r["batch"]))
    if sort == "expiry":
        rows.sort(key=lambda r: r["expiry"])
    elif sort == "-packages":
        rows.sort(key=lambda r: -r["packages"])
    fmt = request.GET.get("format", "")
    if fmt in export.FORMATS:
        return export.table_response(
            fmt, name="stock",
            header=[_("Product"), _("Strength"), _("INN"), _("Batch"), _("Expiry"), _("Packages"),
                    _("Recalled or blocked"), _("Status")],
            rows=(
                [r["product"].trade_name, r["product"].strength, r["product"].inn, r["batch"], r["expiry"],
                 r["packages"], r["recalled_or_blocked"],
                 _("expired") if r["expired"] else _("expiring soon") if r["expiring_soon"] else ""]
                for r in rows
            ),
        )  # fmt: skip
    return render(
        request,
        "traceability/stock.html",
        {
            "rows": rows,
            "sites": sites,
            "site": site,
            "total": sum(r["packages"] for r in rows),
            "soon_days": setting("EXPIRING_SOON_DAYS"),
            "search": search,
            "sort": sort,
            "sorts": STOCK_SORTS.items(),
            "query": _query(request, site=site, search=search, sort=sort),
        },
    )


def _query(request, **kept) -> str:
    """The list's filters as a query string, for the download links."""
    params = QueryDict(mutable=True)
    if kept["site"] is not None:
        params["site"] = str(kept["site"].external_id)
    if kept["search"]:
        params["q"] = kept["search"]
    params["sort"] = kept["sort"]
    return params.urlencode()


@never_cache
@login_required
def history(request):
    """A package's history (every event: what, who, where, when), by scanning or typing its code."""
    actor = actor_for_request(request)
    if actor.organization is None and not selectors.is_regulator(actor):
        return error_page(
            request, PermissionDenied("no_organization", _("This needs an organisation to act for."))
        )
    code = request.GET.get("code", "")
    context: dict[str, Any] = {"code": code, "for_regulator": selectors.is_regulator(actor)}
    status = 200
    if code:
        try:
            package, entries = selectors.package_history(actor=actor, code=code)
            for entry in entries:
                entry.event.transactions = transactions_shown(entry.event.biz_transactions)
            context.update(
                package=package, entries=entries, recalls=selectors.package_recalls(package),
                today=timezone.localdate(),
            )  # fmt: skip
        except DomainError as exc:
            context["error"] = reason_text(exc.code) if exc.code in REASONS else exc.message
            status = exc.status_code
    return render(request, "traceability/history.html", context, status=status)
