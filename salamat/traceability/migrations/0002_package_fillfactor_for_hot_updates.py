"""Leave room on every page of the package table (PostgreSQL) so state changes are HOT updates.

Shipping, selling, dispensing… change only unindexed columns (state, last event, time);
with free space on the page PostgreSQL rewrites the row in place without touching any
index (a heap-only tuple). Newly COPYed pages are otherwise packed full.
"""

from django.db import migrations


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE traceability_package SET (fillfactor = 70)")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE traceability_package RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("traceability", "0001_packages_events_shipments_recalls_alerts")]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]
