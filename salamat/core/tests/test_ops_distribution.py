"""The path past one primary stays open (docs/scaling.md): every statement the hot paths send
to a table that a distributed PostgreSQL (Citus) would shard names the rows it touches by the
table's distribution column, so each statement goes to the shards holding those rows and no
statement scans every shard (besides the fan-outs designed in, listed below with their reason).

The statements are captured at the driver (psycopg), so the plain SQL of the bulk paths, the
prepared public check and COPY are seen as well as the ORM's; each is parsed with sqlglot and
its WHERE and JOIN conditions are read, not string-matched.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager

import psycopg
import pytest
import sqlglot
from sqlglot import exp

# table -> the columns that name one row for the shard router (docs/scaling.md, "Which tables").
# The package is named by its id or its key: the same row (see the document for the one column
# Citus distributes by, and how key lookups reach it).
DISTRIBUTED: dict[str, set[str]] = {
    "traceability_package": {"id", "key"},
    "traceability_eventpackage": {"package_id"},
    "traceability_event": {"id"},
    "traceability_container": {"id", "key"},
    "traceability_stockbalance": {"owner_id"},
    "portal_checklog": {"key"},
}
# Fan-outs designed in: (table, column) -> why it is right to visit every shard there.
FAN_OUTS: dict[tuple[str, str], str] = {
    ("traceability_eventpackage", "event_id"): (
        "accepting a shipment reads the packages its send event moved; they are spread over every "
        "shard by design (one parallel multi-shard query per acceptance, not per package)"
    ),
}
_SKIP = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK", "SET ", "BEGIN", "COMMIT", "COPY ")


@contextmanager
def captured_sql():
    """Every statement sent through psycopg (Django's cursors, raw cursors, COPY) meanwhile."""
    seen: list[str] = []
    real_execute, real_copy = psycopg.Cursor.execute, psycopg.Cursor.copy

    def text(query, cursor) -> str:
        return query.as_string(cursor.connection) if hasattr(query, "as_string") else str(query)

    def execute(self, query, params=None, **kwargs):
        seen.append(text(query, self))
        return real_execute(self, query, params, **kwargs)

    def copy(self, statement, params=None, **kwargs):
        seen.append(text(statement, self))
        return real_copy(self, statement, params, **kwargs)

    psycopg.Cursor.execute, psycopg.Cursor.copy = execute, copy
    try:
        yield seen
    finally:
        psycopg.Cursor.execute, psycopg.Cursor.copy = real_execute, real_copy


def _conjuncts(condition: exp.Expression | None) -> list[exp.Expression]:
    if condition is None:
        return []
    if isinstance(condition, exp.And):
        return _conjuncts(condition.left) + _conjuncts(condition.right)
    if isinstance(condition, exp.Paren):
        return _conjuncts(condition.this)
    return [condition]


def _own_tables(node: exp.Expression) -> list[exp.Table]:
    """The tables this SELECT/UPDATE/DELETE reads itself (not those of its subqueries)."""
    sources = []
    if isinstance(node, exp.Update | exp.Delete):
        sources.append(node.this)
    source = node.args.get("from_") or node.args.get("from")  # sqlglot renamed the key
    if source is not None:
        sources.append(source.this)
    sources += [join.this for join in node.args.get("joins") or []]
    return [s for s in sources if isinstance(s, exp.Table)]


def _named_columns(conjunct: exp.Expression, table: exp.Table) -> set[str]:
    """Columns of `table` that `conjunct` pins to values: col = x, col IN (...), col = ANY(...)."""
    if not isinstance(conjunct, exp.EQ | exp.In):
        return set()
    names = set()
    for side in (conjunct.this, conjunct.expression) if isinstance(conjunct, exp.EQ) else (conjunct.this,):
        if isinstance(side, exp.Column) and side.table in ("", table.alias_or_name, table.name):
            names.add(side.name)
    return names


def routing_problems(sql: str) -> tuple[list[str], set[tuple[str, str]]]:
    """(statements' tables that no distribution column routes, fan-outs used) for one statement."""
    tree = sqlglot.parse_one(sql.replace("%s", "$0"), read="postgres")
    problems, fan_outs = [], set()
    for node in tree.find_all(exp.Select, exp.Update, exp.Delete):
        tables = _own_tables(node)
        conditions = _conjuncts(node.args.get("where") and node.args["where"].this)
        for join in node.args.get("joins") or []:
            conditions += _conjuncts(join.args.get("on"))
        for table in tables:
            routed_by = DISTRIBUTED.get(table.name)
            if routed_by is None:
                continue  # a reference or local table: on every node
            named = set().union(*(_named_columns(c, table) for c in conditions)) if conditions else set()
            if named & routed_by:
                continue
            designed = {(table.name, col) for col in named if (table.name, col) in FAN_OUTS}
            if designed:
                fan_outs |= designed
                continue
            problems.append(
                f"{table.name} is not named by {sorted(routed_by)} in: {node.sql('postgres')[:300]}"
            )
    return problems, fan_outs


def _check(statements: list[str]) -> tuple[list[str], set, int]:
    problems, fan_outs, checked = [], set(), 0
    for sql in statements:
        head = sql.lstrip().upper()
        if head.startswith(_SKIP):
            continue
        found, used = routing_problems(sql)
        problems += found
        fan_outs |= used
        checked += any(t in sql for t in DISTRIBUTED)
    return problems, fan_outs, checked


# --- the checker itself -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "routed"),
    [
        ("SELECT id FROM traceability_package WHERE key = ANY(string_to_array($1, ','))", True),
        ("UPDATE traceability_package SET state = 1 WHERE id = ANY($1::bigint[])", True),
        ("SELECT p.state FROM traceability_package p JOIN registry_product r ON r.id = p.product_id WHERE p.key = %s", True),
        ('SELECT "traceability_event"."id" FROM "traceability_event" WHERE "traceability_event"."id" IN (1, 2)', True),
        ("DELETE FROM traceability_stockbalance WHERE packages = 0 AND owner_id = ANY($1)", True),
        ("INSERT INTO traceability_stockbalance (owner_id) SELECT * FROM unnest($1::bigint[])", True),
        # not routed: a scan by a column that is not the distribution column ...
        ("SELECT id FROM traceability_package WHERE owner_id = 5 AND state = 2", False),
        # ... a distribution column only under OR (every shard must still be asked) ...
        ("SELECT id FROM traceability_package WHERE key = 'a' OR owner_id = 5", False),
        # ... another table's column of the same name ...
        ("SELECT p.id FROM traceability_package p JOIN registry_product r ON r.id = p.product_id WHERE r.id = 1", False),
        # ... or a subquery that scans
        ("SELECT id FROM traceability_package WHERE id IN (SELECT package_id FROM traceability_eventpackage WHERE prev_state = 1)", False),
    ],
)  # fmt: skip
def test_the_checker_tells_routed_statements_from_scans(sql, routed):
    problems, _ = routing_problems(sql)
    assert (not problems) is routed, problems


# --- the hot paths --------------------------------------------------------------------


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_every_hot_path_statement_names_its_rows_by_the_distribution_column(make_org, make_product, client):
    from salamat.accounts.roles import roles_for_organization_type
    from salamat.core.actors import Actor
    from salamat.portal.selectors import package_check
    from salamat.traceability import selectors, services

    def actor_for(org) -> Actor:
        return Actor(organization=org, roles=frozenset(roles_for_organization_type(org.org_type)))

    importer, pharmacy = make_org("importer"), make_org("pharmacy")
    gtin = make_product(units=10).gtins.first().gtin
    batch = [f"01{gtin}17301231" + f"10B1\x1d21S{i:06d}" for i in range(500, 505)]
    shipment: dict = {}
    steps: dict[str, Callable[[], object]] = {
        "introduce": lambda: services.packages_introduce(actor=actor_for(importer), codes=batch),
        "ship": lambda: shipment.update(
            services.shipment_send(actor=actor_for(importer), receiver_id=pharmacy.external_id, codes=batch)
        ),
        "accept": lambda: services.shipment_accept(
            actor=actor_for(pharmacy), shipment_id=shipment["shipment_id"]
        ),
        "sell": lambda: services.packages_sell(actor=actor_for(pharmacy), codes=batch[:2]),
        "public check": lambda: package_check(code=batch[0]),
        "public check API": lambda: client.get("/api/public/check", {"code": batch[3]}),
        "package history": lambda: selectors.package_history(actor=actor_for(pharmacy), code=batch[1]),
    }
    report = {}
    all_fan_outs: set = set()
    for name, step in steps.items():
        with captured_sql() as statements:
            step()
        problems, fan_outs, checked = _check(statements)
        assert checked, f"{name}: no statement on a distributed table was seen"
        assert not problems, f"{name}:\n" + "\n".join(problems)
        report[name] = checked
        all_fan_outs |= fan_outs
    # The designed fan-outs are all still needed (a stale entry would hide a future scan).
    assert all_fan_outs == set(FAN_OUTS)
    assert report["ship"] >= 3 and report["public check"] >= 1
