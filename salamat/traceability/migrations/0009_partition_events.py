"""Events and (event, package) rows partitioned by month on PostgreSQL, existing rows moved.

For each table: rename it away, create the partitioned table with the same columns, create the
monthly partitions the rows need (and the default partition), copy the rows, drop the old table,
then put back its sequence, indexes and foreign keys, with the partition key added to every
primary or unique key. No triggers exist on these tables (checked below: the migration stops if
one appears). Foreign keys INTO the event table (shipments, EPCIS events, cancellations) cannot
stay (they need a unique key on `id` alone): the models declare them `db_constraint=False`.
SQLite keeps plain tables. See docs/scaling.md, "Partitioned history".
"""

from datetime import UTC, datetime

from django.db import migrations, models


def _rows(cur, sql, params=()):
    cur.execute(sql, params)
    return cur.fetchall()


def _partition(cur, table: str, key: str, copy_sql: str, *, extra_column: str = "") -> None:
    from salamat.core.conf import setting
    from salamat.traceability import partitions

    old = f"{table}_unpartitioned"
    triggers = _rows(
        cur, "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [table]
    )
    if triggers:
        raise RuntimeError(f"{table} has triggers {triggers}: recreate them on the partitioned table")
    pk = _rows(
        cur,
        "SELECT conname, array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, o) "
        "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o) "
        "FROM pg_constraint c WHERE conrelid = %s::regclass AND contype IN ('p', 'u') ORDER BY contype",
        [table],
    )
    indexes = _rows(
        cur,
        "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = %s::regclass "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
        [table],
    )
    foreign = _rows(
        cur,
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
        "AND contype = 'f' AND confrelid <> %s::regclass",
        [table, table],
    )
    (seq,) = (
        _rows(cur, "SELECT pg_get_serial_sequence(%s, 'id')", [table])[0] if key == "record_time" else (None,)
    )
    cur.execute(f'ALTER TABLE "{table}" RENAME TO "{old}"')
    cur.execute(
        f'CREATE TABLE "{table}" (LIKE "{old}" INCLUDING DEFAULTS{extra_column}) PARTITION BY RANGE ("{key}")'
    )
    cur.execute(f'CREATE TABLE "{table}_default" PARTITION OF "{table}" DEFAULT')
    # The months the rows need, through the months the upkeep keeps ahead.
    today = datetime.now(UTC).date()
    first = _rows(
        cur, f'SELECT MIN(record_time) FROM "{"traceability_event" if key == "recorded_on" else old}"'
    )[0][0]
    ahead = partitions.add_months(partitions.month_start(today), int(setting("TRACE_PARTITIONS_AHEAD")))
    partitions.ensure(table, min(first.date(), today) if first else today, ahead)
    cur.execute(copy_sql.format(table=table, old=old))
    copied = cur.rowcount
    last_id = 0
    if seq:  # the last id handed out (0: none yet)
        last_id = _rows(
            cur,
            f"SELECT GREATEST((SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {seq}), "  # noqa: S608
            f'(SELECT MAX(id) FROM "{old}"), 0)',
        )[0][0]
    cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred check may be left on the old rows
    cur.execute(f'DROP TABLE "{old}" CASCADE')  # and the foreign keys into it
    if seq:
        cur.execute(f'CREATE SEQUENCE {seq} OWNED BY "{table}".id')
        cur.execute("SELECT setval(%s, %s, %s)", [seq, max(last_id, 1), last_id > 0])
        cur.execute(f"ALTER TABLE \"{table}\" ALTER COLUMN id SET DEFAULT nextval('{seq}')")
    for name, columns in pk:
        kind = "PRIMARY KEY" if name.endswith("_pkey") else "UNIQUE"
        cols = ", ".join(f'"{c}"' for c in [*columns, key])
        cur.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {kind} ({cols})')
    for (definition,) in indexes:
        cur.execute(definition)
    for name, definition in foreign:
        cur.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
    if copied > 0:
        # Statistics for the moved rows now; an empty table stays "never analysed", which the
        # planner treats as unknown rather than as empty while it fills.
        cur.execute(f'ANALYZE "{table}"')


def _unpartition(cur, table: str, key: str) -> None:
    """The reverse: a plain table again, the partition key dropped from its keys (and the
    event-package row's own `recorded_on` dropped); detached partitions are not brought back."""
    old = f"{table}_partitioned"
    keys = _rows(
        cur,
        "SELECT conname, contype, array(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, o) "
        "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o) "
        "FROM pg_constraint c WHERE conrelid = %s::regclass AND contype IN ('p', 'u') ORDER BY contype",
        [table],
    )
    indexes = _rows(
        cur,
        "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = %s::regclass "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
        [table],
    )
    foreign = _rows(
        cur,
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
        "AND contype = 'f' AND confrelid <> %s::regclass AND conparentid = 0",
        [table, table],
    )
    seq = (
        _rows(cur, "SELECT pg_get_serial_sequence(%s, 'id')", [table])[0][0] if key == "record_time" else None
    )
    cur.execute(f'ALTER TABLE "{table}" RENAME TO "{old}"')
    if seq:
        cur.execute(f"ALTER SEQUENCE {seq} OWNED BY NONE")
    cur.execute(f'CREATE TABLE "{table}" (LIKE "{old}" INCLUDING DEFAULTS)')
    if key == "recorded_on":
        cur.execute(f'ALTER TABLE "{table}" DROP COLUMN recorded_on')
    columns = ", ".join(
        f'"{c}"' for (c,) in _rows(
            cur,
            "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
            "AND NOT attisdropped ORDER BY attnum",
            [table],
        )
    )  # fmt: skip
    cur.execute(f'INSERT INTO "{table}" ({columns}) SELECT {columns} FROM "{old}"')  # noqa: S608
    cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred check may be left on the old rows
    cur.execute(f'DROP TABLE "{old}" CASCADE')
    if seq:
        cur.execute(f'ALTER SEQUENCE {seq} OWNED BY "{table}".id')
    for name, contype, columns_of in keys:
        kind = "PRIMARY KEY" if contype == "p" else "UNIQUE"
        cols = ", ".join(f'"{c}"' for c in columns_of if c != key)
        cur.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {kind} ({cols})')
    for (definition,) in indexes:
        cur.execute(definition.replace(" ON ONLY ", " ON "))
    for name, definition in foreign:
        cur.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cur:
        _unpartition(cur, "traceability_eventpackage", "recorded_on")
        _unpartition(cur, "traceability_event", "record_time")


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cur:
        _partition(cur, "traceability_event", "record_time", 'INSERT INTO "{table}" SELECT * FROM "{old}"')
        _partition(
            cur,
            "traceability_eventpackage",
            "recorded_on",
            "INSERT INTO \"{table}\" SELECT ep.*, COALESCE((e.record_time AT TIME ZONE 'UTC')::date, "
            "(now() AT TIME ZONE 'UTC')::date) "
            'FROM "{old}" ep LEFT JOIN traceability_event e ON e.id = ep.event_id',
            extra_column=", recorded_on date NOT NULL DEFAULT ((now() AT TIME ZONE 'UTC')::date)",
        )


class Migration(migrations.Migration):
    dependencies = [
        ("traceability", "0008_package_state_not_introduced"),
        # EPCIS events point to events: its table must exist (its foreign key is dropped here).
        ("epcis", "0002_corrections_and_async_jobs"),
    ]

    operations = [
        migrations.AlterField(
            model_name="event",
            name="cancelled_by",
            field=models.OneToOneField(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=models.deletion.PROTECT,
                related_name="cancels",
                to="traceability.event",
            ),
        ),
        migrations.AlterField(
            model_name="shipment",
            name="send_event",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=models.deletion.PROTECT,
                related_name="+",
                to="traceability.event",
            ),
        ),
        migrations.AlterField(
            model_name="shipment",
            name="close_event",
            field=models.ForeignKey(
                db_constraint=False,
                null=True,
                on_delete=models.deletion.PROTECT,
                related_name="+",
                to="traceability.event",
            ),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
