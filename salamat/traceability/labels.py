"""What traceability codes are called in the page's language: refusal reasons, alert kinds,
operations, business transactions, cancellation refusals. Used by the traceability pages and
by other modules' pages (the dashboard); no view here."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy

from salamat.traceability.models import OPERATION_CODE, OperationType
from salamat.traceability.rules import Operation

# Why a code may not take part, in the page's language (rules.Refusal, codes.CodeError and the
# services' own codes). Unknown codes fall back to the code itself, so nothing is ever hidden.
REASONS: dict[str, Any] = {
    "never_introduced": gettext_lazy("Never introduced into circulation: unknown code"),
    "already_introduced": gettext_lazy("Already introduced into circulation"),
    "already_sold": gettext_lazy("Already sold"),
    "withdrawn": gettext_lazy("Already withdrawn from circulation"),
    "not_owner": gettext_lazy("Belongs to another participant"),
    "in_transit": gettext_lazy("In transit: accept or cancel the shipment first"),
    "not_in_transit": gettext_lazy("Not in transit"),
    "not_addressed_to_you": gettext_lazy("The shipment is addressed to another participant"),
    "not_yet_introduced": gettext_lazy("Sticker issued, but the package was never introduced"),
    "sticker_not_issued": gettext_lazy("No such system sticker was issued"),
    "recalled": gettext_lazy("Recalled by the regulator"),
    "blocked": gettext_lazy("Blocked by the regulator"),
    "expired": gettext_lazy("Expired"),
    "product_not_registered": gettext_lazy("The product is not registered"),
    "too_many_units": gettext_lazy("More units than the package has left"),
    "duplicate_code": gettext_lazy("Scanned twice"),
    "not_a_package": gettext_lazy("A box or pallet code where a package is needed"),
    "not_a_container": gettext_lazy("A package code where a box or pallet (SSCC) is needed"),
    "in_container": gettext_lazy("Already packed in another box"),
    "no_previous_owner": gettext_lazy("Nobody to return it to"),
    "batch_required": gettext_lazy("Batch required"),
    "expiry_required": gettext_lazy("Expiry date required"),
    "changed_since": gettext_lazy("Something happened to this package since"),
    "not_in_operation": gettext_lazy("Not a package of this operation"),
    "package_already_cancelled": gettext_lazy("Already cancelled for this package"),
    "not_in_shipment": gettext_lazy("Not in this shipment"),
    "unknown_container": gettext_lazy("Unknown box or pallet"),
    "container_dissolved": gettext_lazy("This box or pallet was unpacked"),
    "container_cycle": gettext_lazy("A box cannot go inside itself"),
    "empty": gettext_lazy("Empty code"),
    "too_long": gettext_lazy("The code is too long"),
    "unknown_format": gettext_lazy("Unknown code format"),
    "bad_check_digit": gettext_lazy("Wrong check digit: misread or forged code"),
    "missing_serial": gettext_lazy("No serial number in the code"),
    "bad_date": gettext_lazy("Invalid date in the code"),
    "bad_gtin": gettext_lazy("Invalid GTIN"),
    "bad_serial": gettext_lazy("Invalid serial number"),
    "bad_sscc": gettext_lazy("Invalid SSCC"),
    "needs_sticker": gettext_lazy(
        "A plain barcode names a product, not a package: a system sticker is needed"
    ),
}


def reason_text(reason: str) -> str:
    return str(REASONS.get(reason, reason))


# The business transactions an event names (EPCIS bizTransactionList types), in the page's
# language; a type from another system that is not listed here shows as it came.
TRANSACTION_TYPES: dict[str, Any] = {
    "inv": gettext_lazy("Invoice"),
    "po": gettext_lazy("Purchase order"),
    "desadv": gettext_lazy("Despatch advice"),
    "receipt": gettext_lazy("Receipt"),
    "sscc": gettext_lazy("Box or pallet code (SSCC)"),
    "reason": gettext_lazy("Reason"),
    "cancels": gettext_lazy("Cancels the operation"),
    "export": gettext_lazy("Country of destination"),
}


def transactions_shown(biz_transactions: list) -> list[dict[str, str]]:
    """An event's business transactions as (label, value, date) for the history page."""
    shown = []
    for t in biz_transactions:
        value = (t.get("id") or t.get("country")) if isinstance(t, dict) else None
        if value:
            kind = str(t.get("type", ""))
            label = TRANSACTION_TYPES.get(kind, kind)
            shown.append({"label": str(label), "value": str(value), "date": str(t.get("date") or "")})
    return shown


CANCEL_REFUSALS = {
    "already_cancelled": gettext_lazy("Already cancelled"),
    "not_cancellable": gettext_lazy("Cannot be cancelled"),
    "cancel_window_passed": gettext_lazy("Too old to cancel"),
    "not_your_operation": gettext_lazy("Not yours"),
}


ALERT_KINDS: dict[str, Any] = {
    "shipment_missing": gettext_lazy("Shipment: packages missing on arrival"),
    "shipment_extra": gettext_lazy("Shipment: packages that were not in it"),
    "citizen_report": gettext_lazy("Report from a citizen"),
}

# What a citizen said was wrong (portal.services.PROBLEMS), as the regulator reads it.
REPORT_PROBLEMS: dict[str, Any] = {
    "counterfeit": gettext_lazy("Citizen suspects a counterfeit"),
    "already_sold": gettext_lazy("Citizen's check said: already sold"),
    "damaged": gettext_lazy("Citizen reports a damaged or opened package"),
    "expired": gettext_lazy("Citizen reports an expired package or a wrong date"),
    "side_effects": gettext_lazy("Citizen reports an unexpected effect"),
    "price": gettext_lazy("Citizen reports a problem with the sale"),
    "other": gettext_lazy("Report from a citizen"),
}

# Operations that are not traceability operations but name where an alert came from.
OTHER_OPERATIONS: dict[str, Any] = {"check": gettext_lazy("Check by a citizen")}


def alert_label(kind: str) -> str:
    return str(ALERT_KINDS[kind]) if kind in ALERT_KINDS else reason_text(kind)


def alert_title(kind: str, details: dict | None = None) -> str:
    """An alert's title in the page's language: its kind, or for a citizen's report what the
    citizen said was wrong."""
    problem = (details or {}).get("problem") if kind == "citizen_report" else None
    if problem in REPORT_PROBLEMS:
        return str(REPORT_PROBLEMS[problem])
    return alert_label(kind)


def problem_label(problem: str) -> str:
    return str(REPORT_PROBLEMS.get(problem, problem))


# The check's verdicts and their names: the portal (above traceability) registers them at start-up.
VERDICT_LABELS: dict[str, object] = {}


def verdict_labels_register(labels: dict[str, object]) -> None:
    VERDICT_LABELS.update(labels)


def verdict_label(verdict: str) -> str:
    """What the citizen's check answered, as the check page says it."""
    return str(VERDICT_LABELS.get(verdict, verdict))


def operation_label(operation: str) -> str:
    """An operation's name in the page's language ("sell" → "Sale"); unknown ones as they are."""
    if operation in OTHER_OPERATIONS:
        return str(OTHER_OPERATIONS[operation])
    try:
        return str(OperationType(OPERATION_CODE[Operation(operation)]).label)
    except (ValueError, KeyError):
        return operation
