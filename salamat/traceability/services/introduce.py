"""Introduction into circulation (import or local production), from codes or stickers."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime
from operator import attrgetter

from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _

from salamat.codes.fast import lean_groups
from salamat.codes.model import CodeKind, ParsedCode
from salamat.codes.parser import scheme_set
from salamat.core.actors import Actor
from salamat.core.errors import PermissionDenied, field_error
from salamat.registry.models import Product
from salamat.traceability import bulk, daily, rules
from salamat.traceability.code_checks import RecallFlags
from salamat.traceability.models import Event
from salamat.traceability.rules import Reason, Refusal, State
from salamat.traceability.services import fast as fastpath
from salamat.traceability.services.engine import (
    EVENT_PACKAGE_TABLE,
    INTRODUCER_TYPES,
    PACKAGE_TABLE,
    Fallback,
    Op,
    _error,
    _parse_and_lock,
    _refuse_if_errors,
    _require,
    _run,
)
from salamat.traceability.services.idempotency import Idempotency
from salamat.traceability.services.recording import (
    _EP_COLUMNS,
    _EP_TYPES,
    _answer,
    _audit,
    _event_time,
    _local_day,
    _new_event,
    _site,
)
from salamat.traceability.stock import StockChange


def packages_introduce(
    *,
    actor: Actor,
    codes: list[str],
    batch: str | None = None,
    expiry: date | None = None,
    product_id: uuid.UUID | None = None,
    event_time: datetime | None = None,
    site_id: uuid.UUID | None = None,
    idempotency: Idempotency | None = None,
) -> dict:
    """Introduces packages into circulation (import or local production) at the actor's site."""
    org = _require(actor, Op.INTRODUCE)
    if org.org_type not in INTRODUCER_TYPES:
        raise PermissionDenied(
            "not_an_introducer", _("Only an active manufacturer or importer may introduce packages.")
        )
    when = _event_time(event_time)
    site = _site(org, site_id)
    fallback_product = None
    if product_id is not None:
        fallback_product = Product.objects.filter(external_id=product_id).first()
        if fallback_product is None:
            raise field_error("product", "product_not_registered", _("No such product in the registry."))

    def record(count: int) -> tuple[dict, Event]:
        """The introduction's event for `count` packages, and the answer (both paths below)."""
        event_uuid = uuid.uuid4()
        answer = _answer(Op.INTRODUCE, event_uuid, when, count)
        event = _new_event(
            operation=Op.INTRODUCE, actor=actor, org=org, site=site, when=when, count=count,
            idempotency=idempotency, response=answer, event_uuid=event_uuid,
        )  # fmt: skip
        return answer, event

    def body() -> dict:
        on = _local_day(when)
        request, known = _parse_and_lock(codes, containers=False)
        errors, keys, parsed_of = request.errors, request.packages, request.parsed
        products = _products_for(parsed_of.values())
        existing = {row.key: row for row in known}
        sticker_products = Product.objects.in_bulk(
            {r.product_id for r in existing.values() if r.state == State.REGISTERED}
        )
        recalls = RecallFlags({p.id for p in products.values() if p is not None})
        registered_today: dict[int, bool] = {}  # product id -> registered on the day
        # The verdict depends only on these facts, which most codes of a request share: the rules
        # run once per distinct combination, not once per code.
        verdicts: dict[tuple, Refusal | None] = {}
        new, known_rows = [], []  # codes never seen; rows with a sticker or a cancelled introduction
        general = keys  # the codes for the general loop below
        if not existing and not recalls.active:
            # The usual request: every code is new and no recall applies, so a code's verdict
            # and row depend only on its GTIN, batch, expiry and kind, which most codes of a
            # request share: worked out once per combination, not once per code.
            outcome_of: dict[tuple, tuple] = {}
            for key, raw in keys.items():
                parsed = parsed_of[key]
                facts = _code_facts(parsed)
                outcome = outcome_of.get(facts)
                if outcome is None:
                    outcome = outcome_of[facts] = _fresh_outcome(
                        org.pk, on, parsed, products, fallback_product, batch, expiry, registered_today
                    )
                if outcome[0] is None:
                    new.append((key, *outcome[1:]))
                else:
                    errors.append(_error(raw, outcome[0], key=key))
            general = {}
        for key, raw in general.items():
            parsed = parsed_of[key]
            product = products.get(parsed.gtin) if parsed.gtin else fallback_product
            row = existing.get(key)
            # A code never seen, or one whose introduction was cancelled (its row stays, state NONE,
            # with the events that name it): introduced afresh from what the code says.
            fresh = row is None or row.state == State.NONE
            if not fresh and row.state == State.REGISTERED:
                product = sticker_products.get(row.product_id)
            the_batch = parsed.batch or batch or (None if fresh else row.batch)
            the_expiry = parsed.expiry or expiry or (None if fresh else row.expiry)
            flags = recalls(product, the_batch, key) if recalls.active else 0
            if row is not None:
                flags |= row.flags  # a recall or block on the package itself stays
            if row is None and parsed.kind is CodeKind.STICKER:
                errors.append(
                    _error(raw, "sticker_not_issued", key=key)
                )  # only serials the stickers service issued
                continue
            registered = False
            if product is not None:
                registered = registered_today.get(product.id)
                if registered is None:
                    registered = registered_today[product.id] = product.is_registered_on(on)
            facts = (
                State.NONE if fresh else row.state, None if fresh else row.owner_id, flags, registered,
                bool(the_batch), the_expiry,
            )  # fmt: skip
            try:
                refusal = verdicts[facts]
            except KeyError:
                refusal = verdicts[facts] = rules.check_introduction(
                    org.pk, on=on, state=facts[0], owner_id=facts[1], flags=flags, product_registered=registered,
                    batch=the_batch, expiry=the_expiry,
                )  # fmt: skip
            if refusal is not None:
                errors.append(_error(raw, refusal, key=key))
            elif row is None:
                new.append((key, product.id, the_batch[:20], the_expiry, flags))
            else:
                known_rows.append((row, product.id, the_batch[:20], the_expiry, flags))
        _refuse_if_errors(errors, Op.INTRODUCE, org.pk)

        answer, event = record(len(new) + len(known_rows))
        now = timezone.now()
        ids = bulk.allocate_ids(PACKAGE_TABLE, len(new))
        # Per-request constants hoisted: `.pk` is a property and the enums are not plain ints.
        event_pk, org_pk, site_pk = event.pk, org.pk, site.pk
        in_circulation, no_reason = int(State.IN_CIRCULATION), int(Reason.NONE)
        dates = daily.DatesChange()  # before the packages are written: it reads the known ones' days
        dates.new(Counter(product_pk for _key, product_pk, *_rest in new), introduced_on=on)
        dates.packages(
            [r.id for r, *_rest in known_rows], product=[product_pk for _r, product_pk, *_rest in known_rows],
            introduced_on=on, withdrawn_on=None,
        )  # fmt: skip
        dates.save()
        bulk.insert_rows(
            PACKAGE_TABLE,
            ("id", "key", "product_id", "batch", "expiry", "state", "withdraw_reason", "owner_id", "site_id",
             "flags", "last_event_id", "introduced_on", "updated_at"),
            ("bigint", "text", "bigint", "text", "date", "smallint", "smallint", "bigint", "bigint",
             "smallint", "bigint", "date", "timestamptz"),
            [
                (pid, key, product_pk, b, e, in_circulation, no_reason, org_pk, site_pk, flags, event_pk, on, now)
                for pid, (key, product_pk, b, e, flags) in zip(ids, new, strict=True)
            ],
        )  # fmt: skip
        bulk.update_rows(
            PACKAGE_TABLE,
            ("product_id", "batch", "expiry", "state", "withdraw_reason", "owner_id", "site_id",
             "previous_owner_id", "container_id", "remaining_units", "flags", "last_event_id", "introduced_on",
             "withdrawn_on", "updated_at"),
            ("bigint", "text", "date", "smallint", "smallint", "bigint", "bigint", "bigint", "bigint", "integer",
             "smallint", "bigint", "date", "date", "timestamptz"),
            [
                (r.id, product_pk, b, e, in_circulation, no_reason, org_pk, site_pk, None, None, None, flags,
                 event_pk, on, None, now)
                for r, product_pk, b, e, flags in known_rows
            ],
        )  # fmt: skip
        prev_none = rules.encode_prev(State.NONE, Reason.NONE)
        bulk.insert_rows(
            EVENT_PACKAGE_TABLE, _EP_COLUMNS, _EP_TYPES,
            [(event_pk, pid, prev_none) for pid in ids]
            + [(event_pk, r.id, r.state * 8 + r.reason) for r, *_rest in known_rows],
        )  # fmt: skip
        stock = StockChange()
        stock.add((org_pk, site_pk, product_pk, b, e, flags) for _key, product_pk, b, e, flags in new)
        stock.add((org_pk, site_pk, product_pk, b, e, flags) for _r, product_pk, b, e, flags in known_rows)
        stock.save()
        _audit(actor, Op.INTRODUCE, event)
        return answer

    def fast() -> dict:  # every code new, plain, legal; no recall applies (see services.fast)
        on = _local_day(when)
        products = _products_for(sample for sample, _keys in groups)
        if RecallFlags({p.id for p in products.values() if p is not None}).active:
            raise Fallback
        registered_today: dict[int, bool] = {}
        rows = []  # (product id, batch, expiry), keys
        for sample, keys in groups:
            outcome = _fresh_outcome(
                org.pk, on, sample, products, fallback_product, batch, expiry, registered_today
            )
            if outcome[0] is not None or outcome[4]:
                raise Fallback  # the general path names each refused code
            rows.append((outcome[1:4], keys))
        answer, event = record(len(codes))
        now = timezone.now()
        stock = StockChange()
        for (product_pk, the_batch, the_expiry), keys in rows:
            _insert_fresh(
                keys, product_id=product_pk, batch=the_batch, expiry=the_expiry, owner_id=org.pk,
                site_id=site.pk, event_id=event.pk, on=on, now=now,
            )  # fmt: skip
            stock.count([(org.pk, site.pk, product_pk, the_batch, the_expiry)], [(len(keys), 0)])
        stock.save()
        _audit(actor, Op.INTRODUCE, event)
        return answer

    # The codes by shape, read before the transaction (None: the general path reads them).
    schemes = scheme_set(None) if fastpath.usable(codes) else None
    groups = lean_groups(codes) if schemes is not None and (not schemes or schemes.validated) else None
    if groups is not None and len(groups) > fastpath.MAX_SHAPES:
        groups = None
    return _run(Op.INTRODUCE, actor, idempotency, body, fast if groups is not None else None)


def _insert_fresh(
    keys: list[str],
    *,
    product_id: int,
    batch: str,
    expiry: date,
    owner_id: int,
    site_id: int,
    event_id: int,
    on: date,
    now: datetime,
) -> None:
    """Introduces packages never seen, all of one product, batch and expiry: their rows, their
    (event, package) rows and their deltas of the daily counters (`daily`) in one statement.
    `Fallback` if one of them exists already (a sticker, a cancelled introduction, an earlier
    one) or is repeated: the unique key says so."""
    deltas = daily.delta_cte("dd", "ins", before=None, after=("product_id", "introduced_on", "NULL"))
    sql = (
        f"WITH ins AS (INSERT INTO {PACKAGE_TABLE} (key, product_id, batch, expiry, state, withdraw_reason, "  # noqa: S608
        "owner_id, site_id, flags, last_event_id, introduced_on, updated_at) "
        "SELECT k, %s::bigint, %s::text, %s::date, %s::smallint, 0, %s::bigint, %s::bigint, 0, %s::bigint, "
        "%s::date, %s::timestamptz FROM unnest(string_to_array(%s, E'\\x1e')) AS k "
        f"RETURNING id, product_id, introduced_on), {deltas} "
        f"INSERT INTO {EVENT_PACKAGE_TABLE} (event_id, package_id, prev_state) SELECT %s::bigint, id, %s::smallint FROM ins"
    )
    params = [
        product_id, batch, expiry, int(rules.State.IN_CIRCULATION), owner_id, site_id, event_id, on, now,
        bulk.SEP.join(keys), event_id, rules.encode_prev(rules.State.NONE, rules.Reason.NONE),
    ]  # fmt: skip
    try:
        inserted = bulk.execute(sql, params)
    except IntegrityError:
        raise Fallback from None
    if inserted != len(keys):
        raise Fallback


_code_facts = attrgetter("gtin", "batch", "expiry", "kind")


def _fresh_outcome(
    org_pk: int,
    on: date,
    parsed: ParsedCode,
    products: dict[str, Product | None],
    fallback_product: Product | None,
    batch: str | None,
    expiry: date | None,
    registered_today: dict[int, bool],
) -> tuple:
    """What introducing a code never seen gives, no recall applying: (refusal, ) or
    (None, product id, batch, expiry, flags), as the general loop of `packages_introduce`."""
    if parsed.kind is CodeKind.STICKER:
        return ("sticker_not_issued",)  # only serials the stickers service issued
    product = products.get(parsed.gtin) if parsed.gtin else fallback_product
    the_batch = parsed.batch or batch or None
    the_expiry = parsed.expiry or expiry or None
    registered = False
    if product is not None:
        registered = registered_today.get(product.id)
        if registered is None:
            registered = registered_today[product.id] = product.is_registered_on(on)
    refusal = rules.check_introduction(
        org_pk, on=on, state=State.NONE, owner_id=None, flags=0, product_registered=registered,
        batch=the_batch, expiry=the_expiry,
    )  # fmt: skip
    if refusal is not None:
        return (refusal,)
    return (None, product.id, the_batch[:20], the_expiry, 0)


def _products_for(parsed: Iterable[ParsedCode]) -> dict[str, Product | None]:
    """GTIN-14 → product, in one query for the whole request."""
    from salamat.registry.models import ProductGtin

    gtins = {p.gtin for p in parsed if p.gtin}
    found = {g.gtin: g.product for g in ProductGtin.objects.filter(gtin__in=gtins).select_related("product")}
    return {g: found.get(g) for g in gtins}
