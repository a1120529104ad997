"""The fast path of the bulk operations (PostgreSQL): the common request in one statement.

Most requests are legal and plain: every code a DataMatrix string `lean` reads, every package
found, owned by the actor, in the right state, no recall, no box. For those, the general path
(parse each code, load and lock every row, judge it in Python, write back) moves every row
through Python twice. Here instead the codes are read together (`codes.fast.lean_keys`,
each distinct shape once) and sent as ONE statement that updates the packages the rules let
through (the rules written as its WHERE), writes their (event, package) rows and answers
the stock groups it changed:

    WITH u AS (UPDATE package SET … WHERE key = ANY(keys) AND <the rules> RETURNING …),
         ins AS (INSERT INTO eventpackage SELECT <event>, id, <state before> FROM u)
    SELECT <stock group>, count(*), … FROM u GROUP BY <stock group>

If every code was updated the operation is done; if not (a code unknown, refused, repeated,
a box, anything unusual) `Fallback` is raised, `engine._run` rolls the fast path's
transaction back and the general path runs from scratch and finds and explains every refusal
exactly as it always did. The WHERE is stricter than the rules where that is simpler
(a package in circulation with a withdrawal reason, a flag that is neither a recall nor a
block): such packages merely take the general path.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from salamat.codes.fast import lean_keys, lean_keys_joined
from salamat.core.gcpause import paused_gc
from salamat.core.prepared import run_prepared
from salamat.traceability import bulk, daily, rules, stock
from salamat.traceability.services.engine import (
    EVENT_PACKAGE_TABLE,
    MAX_CODES,
    PACKAGE_TABLE,
    Fallback,
)

# A request of more distinct code shapes (GTIN, batch, expiry…) than this takes the general path.
MAX_SHAPES = 16

# Below this many codes (a counter's sale, a page of scans) the general path is as quick.
FAST_FROM = 100


def usable(codes: list[str] | None) -> bool:
    """Whether a request of `codes` may try the fast path at all."""
    return (
        bulk.is_postgres()
        and codes is not None
        and FAST_FROM <= len(codes) <= MAX_CODES
        and codes.__class__ is list
    )


def owner_rules(operation: rules.Operation, actor_org: int, on: date) -> tuple[str, list[Any], int]:
    """The WHERE that lets through exactly the packages `rules.check` accepts for an operation
    of the package's owner (or fewer), its parameters, and their state before (`encode_prev`)."""
    rule = rules.TRANSITIONS[operation]
    (source,) = rule.sources
    assert rule.who is rules.Who.OWNER and operation is not rules.Operation.RETURN
    where = ["state = %s", "withdraw_reason = 0", "owner_id = %s"]
    params: list[Any] = [int(source), actor_org]
    if rule.stopped_by_flags:
        where.append("flags = 0")
    if rule.stopped_by_expiry:
        where.append("expiry >= %s")
        params.append(on)
    return " AND ".join(where), params, rules.encode_prev(source, rules.Reason.NONE)


_STOCK_GROUP = "site_id, product_id, batch, expiry"


def _grouped(columns: str) -> str:
    """The CTE `g`: the packages the statement changed (`u`) grouped by `columns`, with how many
    (`n`) and how many of them flagged (`f`) in each group. The statement's one pass over its
    10,000 rows: the stock, the daily counters and the answer read these few rows (three
    groupings of the packages cost ~7 ms more of a sale's ~70)."""
    return (
        f"g AS MATERIALIZED (SELECT {columns}, count(*) AS n, count(*) FILTER (WHERE flags <> 0) AS f "  # noqa: S608
        f"FROM u GROUP BY {columns})"
    )


def _assignments(sets: dict[str, tuple[str, Any]]) -> tuple[str, list[Any]]:
    """`col = %s::type, …` and the values, from {column: (type, value)}."""
    return ", ".join(f"{c} = %s::{t}" for c, (t, _v) in sets.items()), [v for _t, v in sets.values()]


def keys_of(raws: list[str]) -> str | None:
    """The package keys of `raws`, joined by `bulk.SEP`, when the fast path may take them (see
    `usable`) and `lean` reads every code (~0.1 µs a code when all are of one shape, ~0.3 µs
    when not: each distinct shape is read once);
    else None. Called before the transaction, so a request the fast path cannot take costs
    nothing more."""
    if not usable(raws):
        return None
    with paused_gc():  # tens of thousands of small strings, none in a cycle
        joined = lean_keys_joined(raws, bulk.SEP)
        if joined is not None:
            return joined
        keys = lean_keys(raws)
        return None if None in keys else bulk.SEP.join(keys)


def update_by_codes(
    keys: str,
    count: int,
    *,
    sets: dict[str, tuple[str, Any]],
    where: str,
    where_params: list[Any],
    event_id: int,
    prev_state: int,
    owner_id: int,
    withdrawing: bool = False,
) -> list[tuple]:
    """Applies `sets` to the package of every key (`keys_of`) that passes `where`, writes its
    (event, package) row, takes the packages out of their holder's (`owner_id`) stock, and
    answers the groups touched: (site, product, batch, expiry, packages, flagged, balances
    emptied). `Fallback` unless all `count` keys named a package that passed. `withdrawing`:
    `sets` gives the packages their withdrawal day, and the statement also records what that
    does to the dashboard's daily counters (`daily.withdrawal_sql`)."""
    set_sql, set_params = _assignments(sets)
    group, deltas = _STOCK_GROUP, ""
    if withdrawing:
        condition, more, cte = daily.withdrawal_sql("g", n="n")
        where, group, deltas = f"{where} AND {condition}", f"{group}, {more}", f"{cte}, "
    sql = (
        f"WITH u AS (UPDATE {PACKAGE_TABLE} SET {set_sql} "  # noqa: S608 - names are ours
        f"WHERE key = ANY(string_to_array(%s, E'\\x1e')) AND {where} RETURNING id, flags, {group}), "
        f"ins AS (INSERT INTO {EVENT_PACKAGE_TABLE} (event_id, package_id, prev_state) "
        f"SELECT %s::bigint, id, %s::smallint FROM u), {_grouped(group)}, {deltas}"
        f"{stock.counted('st', 'g', owner='%s::bigint', site='site_id', sign=-1)} "
        f"SELECT {_STOCK_GROUP}, sum(n)::bigint, sum(f)::bigint, (SELECT count(*) FROM st WHERE packages = 0) "
        f"FROM g GROUP BY {_STOCK_GROUP}"
    )
    groups = run_prepared(sql, [*set_params, keys, *where_params, event_id, prev_state, owner_id])
    if sum(g[4] for g in groups) != count:
        raise Fallback
    if groups[0][6]:
        stock.drop_empty([owner_id])
    return groups


def accept_shipment(
    *,
    send_event_id: int,
    sender_id: int,
    sender_site_id: int | None,
    owner_id: int,
    site_id: int,
    event_id: int,
    now: datetime,
    total: int,
) -> list[tuple]:
    """Every package of a shipment's send event (`total` of them: the shipment's count, the
    number of the send event's rows) changes hands, if each is still as the send left it
    (travelling, owned by the sender, nothing since): updated, with its (event, package) row
    recording the owner and site before, counted into the new holder's stock, and (product,
    batch, expiry, box, packages, flagged) answered per group. `Fallback` unless all `total`
    packages passed (`rules.check` for ACCEPT, and CHANGED_SINCE).

    Two statements at most: first the packages at the site the shipment left from (usually
    all: their ids read from the send event's rows, then one sorted pass of the id index; their
    site before known), then those elsewhere, whose site before is read first (`old`:
    RETURNING gives the new one). Each UPDATE re-checks its conditions on the latest version of
    each row it locks, so a package changed meanwhile by a concurrent request (its site
    included) drops out and the count no longer matches."""
    rules_sql = "p.state = %s AND p.withdraw_reason = 0 AND p.owner_id = %s AND p.last_event_id = %s"
    rules_params = [int(rules.State.IN_TRANSIT), sender_id, send_event_id]
    sets = (
        f"UPDATE {PACKAGE_TABLE} p SET state = %s, owner_id = %s, site_id = %s, previous_owner_id = %s, "  # noqa: S608
        "last_event_id = %s, updated_at = %s"
    )
    sets_params = [int(rules.State.IN_CIRCULATION), owner_id, site_id, sender_id, event_id, now]
    rest = (
        f"ins AS (INSERT INTO {EVENT_PACKAGE_TABLE} (event_id, package_id, prev_state, prev_owner_id, prev_site_id) "  # noqa: S608
        "SELECT %s, id, %s, %s, prev_site_id FROM u), "
        f"{_grouped('product_id, batch, expiry, container_id')}, "
        f"{stock.counted('st', 'g', owner='%s::bigint', site='%s::bigint', sign=1)} "
        "SELECT product_id, batch, expiry, container_id, n, f FROM g"
    )
    rest_params = [
        event_id, rules.encode_prev(rules.State.IN_TRANSIT, rules.Reason.NONE), sender_id, owner_id, site_id
    ]  # fmt: skip
    returning = (
        "RETURNING p.id, {prev} AS prev_site_id, p.product_id, p.batch, p.expiry, p.container_id, p.flags"
    )
    groups: list[tuple] = []
    if sender_site_id is not None:
        groups = run_prepared(
            f"WITH u AS ({sets} WHERE p.id = ANY(ARRAY(SELECT package_id FROM {EVENT_PACKAGE_TABLE} "  # noqa: S608
            f"WHERE event_id = %s)) AND {rules_sql} AND p.site_id = %s {returning.format(prev='%s::bigint')}), "
            f"{rest}",
            [*sets_params, send_event_id, *rules_params, sender_site_id, sender_site_id, *rest_params],
        )  # fmt: skip
    done = sum(g[4] for g in groups)
    if done == total:
        return groups
    more = run_prepared(
        f"WITH old AS MATERIALIZED (SELECT id, site_id FROM {PACKAGE_TABLE} WHERE id IN "  # noqa: S608
        f"(SELECT package_id FROM {EVENT_PACKAGE_TABLE} WHERE event_id = %s)), "
        f"u AS ({sets} FROM old WHERE p.id = old.id AND {rules_sql} "
        f"AND p.site_id IS NOT DISTINCT FROM old.site_id {returning.format(prev='old.site_id')}), "
        f"{rest}",
        [send_event_id, *sets_params, *rules_params, *rest_params],
    )  # fmt: skip
    if done + sum(g[4] for g in more) != total:
        raise Fallback
    return groups + more
