"""Tune the package table for bulk requests (PostgreSQL only).

* fillfactor 70: shipping, selling, dispensing… change only unindexed columns (state,
  last event, time); with free space on the page PostgreSQL rewrites the row in place
  without touching any index (a heap-only tuple). Newly COPYed pages are otherwise full.
* the id sequence caches 10,000 values per connection, so reserving the ids of a
  50,000-package introduction does not take the sequence lock 50,000 times.
"""

from django.db import migrations


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE traceability_package SET (fillfactor = 70)")
        schema_editor.execute("ALTER SEQUENCE traceability_package_id_seq CACHE 10000")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE traceability_package RESET (fillfactor)")
        schema_editor.execute("ALTER SEQUENCE traceability_package_id_seq CACHE 1")


class Migration(migrations.Migration):
    dependencies = [("traceability", "0001_packages_events_shipments_recalls_alerts")]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]
