"""Drops single-column indexes that a composite index already serves by its first column.

Each was maintained on every insert for nothing; the two on the (event, package) rows were
rewritten for every package of every bulk operation:

* `traceability_eventpackage (event_id)`: the primary key (event_id, package_id, recorded_on)
  finds a shipment's packages by event;
* `traceability_eventpackage (package_id)`: `eventpackage_package_idx` (package_id, event_id)
  finds a package's history;
* `traceability_event (organization_id)`: `event_org_time_idx` (organization_id, record_time);
* `traceability_shipment (sender_id)` and `(receiver_id)`: `shipment_sender_idx` and
  `shipment_receiver_idx` (each with the status).

Only the indexes go (by name, IF EXISTS, on PostgreSQL and SQLite alike): Django's own
AlterField would also drop and re-validate the foreign keys of the event table, a scan of
every partition. On the partitioned tables, dropping the parent's index drops each
partition's. The reverse builds them again.
"""

import django.db.models.deletion
from django.db import migrations, models

# (index, table, column) as Django named them in 0001.
INDEXES = (
    ("traceability_eventpackage_event_id_e5c52158", "traceability_eventpackage", "event_id"),
    ("traceability_eventpackage_package_id_347df855", "traceability_eventpackage", "package_id"),
    ("traceability_event_organization_id_1df2da3b", "traceability_event", "organization_id"),
    ("traceability_shipment_receiver_id_75073c0e", "traceability_shipment", "receiver_id"),
    ("traceability_shipment_sender_id_1924891c", "traceability_shipment", "sender_id"),
)


def _immediate(schema_editor) -> None:
    # No deferred foreign-key check may be pending on a table whose indexes change (PostgreSQL
    # refuses); as in 0009.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def forwards(apps, schema_editor):
    _immediate(schema_editor)
    for name, _table, _column in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def backwards(apps, schema_editor):
    _immediate(schema_editor)
    for name, table, column in INDEXES:
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}")')


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0005_dosage_form_list"),
        ("traceability", "0010_merge_0009_alert_assignment_0009_partition_events"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forwards, backwards, elidable=False)],
            state_operations=[
                migrations.AlterField(
                    model_name="event",
                    name="organization",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="registry.organization",
                        verbose_name="organisation",
                    ),
                ),
                migrations.AlterField(
                    model_name="eventpackage",
                    name="event",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="traceability.event",
                    ),
                ),
                migrations.AlterField(
                    model_name="eventpackage",
                    name="package",
                    field=models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="traceability.package",
                    ),
                ),
                migrations.AlterField(
                    model_name="shipment",
                    name="receiver",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="registry.organization",
                    ),
                ),
                migrations.AlterField(
                    model_name="shipment",
                    name="sender",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="registry.organization",
                    ),
                ),
            ],
        ),
    ]
