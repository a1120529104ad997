"""The traceability pages on the home page and in the header."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from salamat.core.nav import NavItem, register
from salamat.traceability import services
from salamat.traceability.rules import Operation
from salamat.traceability.views.scan import SCAN_OPERATIONS, may_scan


def register_nav_entries() -> None:
    """The traceability pages on the home page and in the header, for the roles that use them."""
    scan_items = [
        NavItem(
            roles=set(op.roles),
            url_name=f"traceability:scan_{op.slug}",
            label=op.title,
            description=op.intro,
            icon=op.icon,
            order=20 + i,
            in_header=op.operation is Operation.SELL,  # the pharmacist's everyday page
            condition=lambda actor, op=op: may_scan(actor, op),
        )
        for i, op in enumerate(SCAN_OPERATIONS.values())
    ]
    staff = set(services.OPERATION_ROLES[Operation.ACCEPT])
    register(
        NavItem(
            roles=staff, url_name="traceability:shipments", label=gettext_lazy("Shipments"),
            description=gettext_lazy("Incoming shipments to accept or reject; what you sent."),
            icon="truck", order=11, in_header=True,
        ),
        NavItem(
            roles=staff, url_name="traceability:stock", label=gettext_lazy("Stock"),
            description=gettext_lazy("Packages you hold by product, batch and expiry."),
            icon="clipboard", order=12, in_header=True,
        ),
        NavItem(
            roles=set(services.OPERATION_ROLES[Operation.CANCEL]), url_name="traceability:operations",
            label=gettext_lazy("Recent operations"),
            description=gettext_lazy("What your organisation recorded lately; cancel a mistaken operation."),
            icon="file", order=16,
        ),
        NavItem(
            roles=staff | {"regulator"}, url_name="traceability:history", label=gettext_lazy("Package history"),
            description=gettext_lazy("Every event of a package: what, who, where, when."),
            icon="search", order=13,
        ),
        NavItem(
            roles={"regulator"}, url_name="traceability:alerts", label=gettext_lazy("Alerts"),
            description=gettext_lazy("Suspicious attempts and shipment discrepancies to review."),
            icon="alert", order=14, in_header=True,
        ),
        NavItem(
            roles={"regulator"}, url_name="traceability:recalls", label=gettext_lazy("Recalls"),
            description=gettext_lazy("Recall or block a product, a batch or packages; lift a recall."),
            icon="shield-check", order=15, in_header=True,
        ),
        *scan_items,
    )  # fmt: skip
