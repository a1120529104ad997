"""The cache table that every process shares when no Redis is configured (rate limits, lockouts)."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    # createcachetable creates the table of every DatabaseCache in settings.CACHES, if missing;
    # with Redis configured it does nothing.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_append_only_trigger")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
