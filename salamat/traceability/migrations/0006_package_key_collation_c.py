"""Package and container keys compare byte-wise (COLLATE "C"; PostgreSQL only).

Keys are ASCII identifiers (`01/<gtin>/21/<serial>`, `00/<sscc>`, `sticker:<serial>`), never
sorted for people, so the database's language collation (strcoll on every comparison) buys
nothing. Byte-wise comparison makes every key index probe and insert cheaper (measured on a
C.UTF-8 cluster: 10,000-key lookup -14 %, COPY -7 %; more under ru_RU/en_US collations) and lets
a GTIN prefix (`01/<gtin>/21/`) be searched as an index range. SQLite already compares bytes.
"""

from django.db import migrations

_KEYS = (("traceability_package", 128), ("traceability_container", 24))


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table, length in _KEYS:
            schema_editor.execute(f'ALTER TABLE {table} ALTER COLUMN key TYPE varchar({length}) COLLATE "C"')


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table, length in _KEYS:
            schema_editor.execute(f'ALTER TABLE {table} ALTER COLUMN key TYPE varchar({length}) COLLATE "default"')


class Migration(migrations.Migration):
    dependencies = [("traceability", "0005_stock_balance_drop_owner_index")]

    operations = [migrations.RunPython(forward, backward)]
