"""Package table fillfactor 70 -> 50 (PostgreSQL only).

A bulk request changes every package of a shipment, and a shipment's packages sit side by
side on the same pages (they were introduced together). With 30 % free space only about
four in ten of a page's rows found room for their new version in place; the others moved to
another page and had every index of the table rewritten. With half of each page free, a
whole page of packages can be shipped, sold, dispensed or returned as heap-only tuples
(no index touched: measured 2-4x faster UPDATEs of 10,000 rows); the dead versions are
pruned the next time the page is visited. The price is a package table about 1.4x larger
than at 70. Acceptance changes the (indexed) owner and cannot be heap-only either way.
"""

from django.db import migrations


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE traceability_package SET (fillfactor = 50)")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE traceability_package SET (fillfactor = 70)")


class Migration(migrations.Migration):
    dependencies = [("traceability", "0002_package_fillfactor_for_hot_updates")]

    operations = [migrations.RunPython(forward, backward)]
