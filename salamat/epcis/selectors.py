"""Reads of captured EPCIS events: the standard query parameters, scoped to who asks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core import signing
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from salamat.core.actors import Actor
from salamat.core.errors import ValidationFailed
from salamat.epcis import vocab
from salamat.epcis.models import (
    CLASS_ROLES,
    EpcisBizTransaction,
    EpcisCorrectiveEvent,
    EpcisEvent,
    EpcisEventEpc,
    EpcisEventType,
    EpcRole,
)
from salamat.traceability.lookups import package_ids_handled_by
from salamat.traceability.selectors import is_regulator

DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 1000
_TOKEN_SALT = "salamat.epcis.next-page"
ORDER_FIELDS = {"eventTime": "event_time", "recordTime": "record_time"}


def _bad(param: str, message: str) -> ValidationFailed:
    return ValidationFailed("query_parameter_invalid", message, details={"parameter": param})


def events_visible(*, actor: Actor) -> QuerySet[EpcisEvent]:
    """The regulator sees every event; a participant the events it captured and the applied
    events naming packages it owns or ever handled (any traceability event of its own about them)."""
    if is_regulator(actor):
        return EpcisEvent.objects.all()
    org = actor.require_organization()
    handled = package_ids_handled_by(organization=org)
    about_mine = EpcisEventEpc.objects.filter(event=OuterRef("pk"), package_id__in=handled)
    # Only events that drove the core: an organisation that never handled a package may still
    # capture an event naming it, which is not applied and is no one else's business.
    return EpcisEvent.objects.filter(Q(organization=org) | (Q(applied=True) & Exists(about_mine)))


def _time(param: str, value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError as exc:
        raise _bad(param, _("%(param)s must be an ISO 8601 time with an offset.") % {"param": param}) from exc
    if moment.tzinfo is None:
        raise _bad(param, _("%(param)s must be an ISO 8601 time with an offset.") % {"param": param})
    return moment


def _epc_filter(param: str, values: list[str], roles: tuple[int, ...] | None) -> Q:
    cond = Q()
    for raw in values:
        if raw.endswith("*"):
            stem = (
                vocab.canonical_id(raw.rstrip("*").rstrip("."))
                if raw.startswith("urn:epc:idpat:")
                else raw[:-1]
            )
            match = Q(value__startswith=vocab.urn_to_digital_link(raw) or stem)
        else:
            match = Q(value=vocab.canonical_id(raw))
        cond |= match
    sub = EpcisEventEpc.objects.filter(cond, event=OuterRef("pk"))
    if roles is not None:
        sub = sub.filter(role__in=roles)
    return Q(Exists(sub))


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split("|") if v.strip()]


def events_query(*, actor: Actor, params: dict[str, str]) -> tuple[list[EpcisEvent], str | None]:
    """One page of the events matching the standard query parameters, and the next page token."""
    qs = events_visible(actor=actor)
    for param, value in params.items():
        if param in ("perPage", "nextPageToken", "orderBy", "orderDirection"):
            continue
        values = _split(value)
        if param == "eventType":
            try:
                qs = qs.filter(
                    event_type__in=[EpcisEventType[t.replace("Event", "").upper()] for t in values]
                )
            except KeyError as exc:
                raise _bad(param, _("Unknown event type.")) from exc
        elif param in ("GE_eventTime", "LT_eventTime", "GE_recordTime", "LT_recordTime"):
            op, field = param.split("_", 1)
            column = ORDER_FIELDS[field]
            qs = qs.filter(**{f"{column}__{'gte' if op == 'GE' else 'lt'}": _time(param, value)})
        elif param == "EQ_action":
            qs = qs.filter(action__in=values)
        elif param == "EQ_bizStep":
            qs = qs.filter(biz_step__in=[vocab.cbv_short("bizStep", v) for v in values])
        elif param == "EQ_disposition":
            qs = qs.filter(disposition__in=[vocab.cbv_short("disposition", v) for v in values])
        elif param == "EQ_readPoint":
            qs = qs.filter(read_point__in=[vocab.canonical_id(v) for v in values])
        elif param == "EQ_bizLocation":
            qs = qs.filter(biz_location__in=[vocab.canonical_id(v) for v in values])
        elif param == "EQ_eventID":
            qs = qs.filter(event_id__in=values)
        elif param == "MATCH_epc":
            qs = qs.filter(_epc_filter(param, values, (EpcRole.EPC, EpcRole.CHILD)))
        elif param == "MATCH_parentID":
            qs = qs.filter(_epc_filter(param, values, (EpcRole.PARENT,)))
        elif param == "MATCH_inputEPC":
            qs = qs.filter(_epc_filter(param, values, (EpcRole.INPUT,)))
        elif param == "MATCH_outputEPC":
            qs = qs.filter(_epc_filter(param, values, (EpcRole.OUTPUT,)))
        elif param == "MATCH_anyEPC":
            qs = qs.filter(
                _epc_filter(
                    param, values, (EpcRole.EPC, EpcRole.CHILD, EpcRole.PARENT, EpcRole.INPUT, EpcRole.OUTPUT)
                )
            )
        elif param == "MATCH_epcClass":
            qs = qs.filter(_epc_filter(param, values, tuple(CLASS_ROLES)))
        elif param == "EXISTS_errorDeclaration":
            qs = qs.filter(error_reason__isnull=False)
        elif param == "EQ_errorReason":
            qs = qs.filter(error_reason__in=[vocab.cbv_short("er", v) for v in values])
        elif param == "EQ_correctiveEventID":
            qs = qs.filter(
                Exists(
                    EpcisCorrectiveEvent.objects.filter(event=OuterRef("pk"), corrective_event_id__in=values)
                )
            )
        elif param.startswith("EQ_bizTransaction_"):
            btt = vocab.cbv_short("btt", param[len("EQ_bizTransaction_") :])
            qs = qs.filter(
                Exists(EpcisBizTransaction.objects.filter(event=OuterRef("pk"), type=btt, value__in=values))
            )
        else:
            raise _bad(param, _("Unknown or unsupported query parameter: %(param)s.") % {"param": param})

    order_by = params.get("orderBy", "eventTime")
    if order_by not in ORDER_FIELDS:
        raise _bad("orderBy", _("orderBy must be eventTime or recordTime."))
    direction = params.get("orderDirection", "DESC").upper()
    if direction not in ("ASC", "DESC"):
        raise _bad("orderDirection", _("orderDirection must be ASC or DESC."))
    try:
        per_page = min(max(int(params.get("perPage", DEFAULT_PER_PAGE)), 1), MAX_PER_PAGE)
    except ValueError as exc:
        raise _bad("perPage", _("perPage must be a number.")) from exc
    column = ORDER_FIELDS[order_by]
    after = _token_read(params.get("nextPageToken"), order_by, direction)
    if after is not None:
        moment, last_id = datetime.fromisoformat(after[0]), after[1]
        op = "gt" if direction == "ASC" else "lt"
        qs = qs.filter(Q(**{f"{column}__{op}": moment}) | Q(**{column: moment, f"id__{op}": last_id}))
    sign = "" if direction == "ASC" else "-"
    rows = list(qs.order_by(f"{sign}{column}", f"{sign}id")[: per_page + 1])
    token = None
    if len(rows) > per_page:
        rows = rows[:per_page]
        last = rows[-1]
        token = signing.dumps(
            [getattr(last, column).isoformat(), last.id, order_by, direction], salt=_TOKEN_SALT
        )
    return rows, token


def _token_read(token: str | None, order_by: str, direction: str) -> tuple[str, int] | None:
    if not token:
        return None
    try:
        moment, last_id, t_order, t_direction = signing.loads(token, salt=_TOKEN_SALT, max_age=24 * 3600)
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise _bad("nextPageToken", _("The page token is not valid or has expired.")) from exc
    if (t_order, t_direction) != (order_by, direction):
        raise _bad("nextPageToken", _("The page token belongs to a different ordering."))
    return moment, int(last_id)


def distinct_values(*, actor: Actor, column: str) -> list[str]:
    """The distinct values of one indexed column among the events the actor may see."""
    return sorted(
        v for v in events_visible(actor=actor).values_list(column, flat=True).distinct().order_by() if v
    )


def epcis_not_applied_count() -> int:
    """Captured events that did not drive the traceability core (unknown identifiers, or
    kinds with no traceability meaning): a figure for the regulator's dashboard."""
    return EpcisEvent.objects.filter(applied=False).count()


def _convert(value: Any, fmt: str) -> Any:
    if not isinstance(value, str):
        return value
    if fmt == "Always_GS1_Digital_Link" and value.startswith("urn:epc:"):
        return vocab.urn_to_digital_link(value) or value
    if fmt == "Always_EPC_URN" and value.startswith("http"):
        return vocab.digital_link_to_urn(value) or value
    return value


def event_render(event: EpcisEvent, *, epc_format: str = "No_Preference") -> dict[str, Any]:
    """The stored event as the query answers it, identifiers in the asked format."""
    doc = dict(event.document)
    if epc_format in ("Always_GS1_Digital_Link", "Always_EPC_URN"):
        for field in vocab.EPC_LIST_FIELDS:
            if isinstance(doc.get(field), list):
                doc[field] = [_convert(v, epc_format) for v in doc[field]]
        if "parentID" in doc:
            doc["parentID"] = _convert(doc["parentID"], epc_format)
        for field in vocab.QUANTITY_LIST_FIELDS:
            if isinstance(doc.get(field), list):
                doc[field] = [
                    {**q, "epcClass": _convert(q.get("epcClass"), epc_format)} if isinstance(q, dict) else q
                    for q in doc[field]
                ]
    return doc
