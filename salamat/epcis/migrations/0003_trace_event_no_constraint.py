"""The model says what traceability's 0009_partition_events did on PostgreSQL: `trace_event` has no
foreign-key constraint (the event table is partitioned). State only: on PostgreSQL the
constraint is gone already; on SQLite the plain tables keep it, which is harmless."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("epcis", "0002_corrections_and_async_jobs"),
        ("traceability", "0009_partition_events"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="epcisevent",
                    name="trace_event",
                    field=models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="traceability.event",
                    ),
                )
            ],
            database_operations=[],
        )
    ]
