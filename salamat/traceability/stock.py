"""Stock balances (`StockBalance`): packages in circulation per holder, site, product, batch
and expiry, kept in step with the packages by the services.

A service that changes the state, owner, site or flags of packages describes the change
with a `StockChange` (the packages leaving circulation or their old holder, the packages
entering circulation or their new holder) and saves it in the same transaction: the
counts are summed in Python over the rows the service has already loaded, and written in
one statement for the whole request whatever its size. Regulator actions that re-flag
packages by product (recalls) recompute the balances of those products from the packages.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date
from operator import attrgetter

from salamat.traceability import bulk
from salamat.traceability.models import Package, StockBalance
from salamat.traceability.rules import State

TABLE = StockBalance._meta.db_table
PACKAGE_TABLE = Package._meta.db_table
_KEYS = ("owner_id", "site_id", "product_id", "batch", "expiry")
_KEY_TYPES = ("bigint", "bigint", "bigint", "text", "date")
_COUNTS = ("packages", "flagged")
_IN = int(State.IN_CIRCULATION)

Group = tuple[int, int | None, int, str, date]  # owner, site, product, batch, expiry
_group_of = attrgetter(*_KEYS)  # a package's group, as it is


class StockChange:
    """The change to the balances of one request; `save()` writes it in one statement."""

    __slots__ = ("flagged", "packages")

    def __init__(self) -> None:
        self.packages: Counter[Group] = Counter()
        self.flagged: Counter[Group] = Counter()

    def leave(self, rows: Iterable) -> None:
        """These packages (as they are before the change) stop counting where they are:
        those in circulation leave their holder's balance."""
        self._count([p for p in rows if p.state == _IN], -1, _group_of)

    def enter(self, rows: Iterable, *, owner_id: int | None = None, site_id: int | None = None) -> None:
        """These packages are in circulation after the change, with their holder (or the
        given new owner and site)."""
        if owner_id is None:
            self._count(list(rows), 1, _group_of)
        else:
            self._count(list(rows), 1, lambda p: (owner_id, site_id, p.product_id, p.batch, p.expiry))

    def add(self, groups: Iterable[tuple[int, int | None, int, str, date, int]]) -> None:
        """Packages entering circulation, given as (owner, site, product, batch, expiry, flags)."""
        groups = list(groups)
        self.packages.update(Counter(g[:5] for g in groups))
        self.flagged.update(Counter(g[:5] for g in groups if g[5]))

    def count(self, groups: Iterable[Group], amounts: Iterable[tuple[int, int]]) -> None:
        """Adds (packages, flagged) amounts to groups, as counted by the database."""
        for group, (packages, flagged) in zip(groups, amounts, strict=True):
            self.packages[group] += packages
            if flagged:
                self.flagged[group] += flagged

    def _count(self, rows: list, sign: int, group_of) -> None:
        """Adds `sign` per package to its group, and to the flagged count of flagged ones."""
        for counter, chosen in ((self.packages, rows), (self.flagged, [p for p in rows if p.flags])):
            counts = Counter(map(group_of, chosen))
            if sign < 0:
                counter.subtract(counts)
            else:
                counter.update(counts)

    def save(self) -> None:
        keys = sorted(
            (k for k in self.packages.keys() | self.flagged.keys() if self.packages[k] or self.flagged[k]),
            key=_sort_key,
        )
        if not keys:
            return
        bulk.add_counts(
            TABLE, _KEYS, _KEY_TYPES, _COUNTS,
            [(*k, self.packages[k], self.flagged[k]) for k in keys],
        )  # fmt: skip
        drop_empty(sorted({k[0] for k in keys if self.packages[k] < 0}))


def drop_empty(owners: Sequence[int]) -> None:
    """Removes these holders' balances that fell to nothing."""
    if owners:
        cond, params = bulk.in_list("owner_id", owners)
        bulk.execute(f"DELETE FROM {TABLE} WHERE packages = 0 AND {cond}", params)  # noqa: S608


def counted(name: str, rows: str, *, owner: str, site: str, sign: int) -> str:
    """A CTE `name` (PostgreSQL) that adds (`sign` 1) or takes away (-1) the packages of `rows`
    to or from their holder's balances, as `StockChange.save` does, and answers each touched
    balance's new `packages`: so a statement that changes packages keeps the balances in step
    without a round trip of its own. `rows` is a CTE of the packages already grouped (the
    statement's one pass over them): product_id, batch, expiry, `n` (packages) and `f` (of them
    flagged). `owner` and `site` are SQL: a column of `rows` or a parameter. The rows are
    locked in the order `save` locks them (site, with none first; product; batch by code point;
    expiry), so concurrent requests through either never deadlock."""
    minus = "-" if sign < 0 else ""
    return (
        f"{name} AS (INSERT INTO {TABLE} AS t (owner_id, site_id, product_id, batch, expiry, packages, flagged) "  # noqa: S608
        f"SELECT {owner}, {site}, product_id, batch, expiry, {minus}sum(n), {minus}sum(f) "
        f"FROM {rows} GROUP BY 2, product_id, batch, expiry "
        f'ORDER BY 2 NULLS FIRST, product_id, batch COLLATE "C", expiry {bulk.add_to(_KEYS, _COUNTS, "t")} '
        "RETURNING packages)"
    )


def _sort_key(k: Group) -> tuple:
    return (k[0], k[1] or 0, k[2], k[3], k[4])


# The balances as the packages give them (add a condition with AND, then _GROUP_BY).
_COUNTED = (
    "SELECT owner_id, site_id, product_id, batch, expiry, COUNT(*), "  # noqa: S608
    "SUM(CASE WHEN flags <> 0 THEN 1 ELSE 0 END) "
    f"FROM {PACKAGE_TABLE} WHERE state = {_IN} AND owner_id IS NOT NULL"
)
_RECOUNT = f"INSERT INTO {TABLE} (owner_id, site_id, product_id, batch, expiry, packages, flagged) {_COUNTED}"  # noqa: S608
_GROUP_BY = " GROUP BY owner_id, site_id, product_id, batch, expiry"


def recount_products(product_ids: Sequence[int]) -> None:
    """Recomputes the balances of these products from their packages (after a recall or its
    lifting changed the flags of packages wherever they are)."""
    ids = sorted(set(product_ids))
    if not ids:
        return
    cond, params = bulk.in_list("product_id", ids)
    bulk.execute(f"DELETE FROM {TABLE} WHERE {cond}", params)  # noqa: S608
    bulk.execute(f"{_RECOUNT} AND {cond}{_GROUP_BY}", params)


def rebuild() -> None:
    """Recomputes every balance from the packages (repair; `manage.py stock_rebuild`)."""
    bulk.execute(f"DELETE FROM {TABLE}")  # noqa: S608
    bulk.execute(_RECOUNT + _GROUP_BY)


def differences() -> list[tuple]:
    """Groups where the balances and the packages disagree: (group, balance, packages); empty
    when they agree."""
    kept = {
        r[:5]: (r[5], r[6])
        for r in bulk.fetch(
            f"SELECT owner_id, site_id, product_id, batch, expiry, SUM(packages), SUM(flagged) FROM {TABLE}"  # noqa: S608
            f"{_GROUP_BY} HAVING SUM(packages) <> 0 OR SUM(flagged) <> 0"
        )
    }
    actual = {r[:5]: (r[5], r[6]) for r in bulk.fetch(_COUNTED + _GROUP_BY)}
    return [
        (k, kept.get(k), actual.get(k))
        for k in sorted(kept.keys() | actual.keys(), key=str)
        if kept.get(k) != actual.get(k)
    ]
