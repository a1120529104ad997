"""On PostgreSQL: stored versions and the access log refuse UPDATE and DELETE, and a clinical
resource refuses DELETE (nothing in the record is ever deleted; a mistake is a new version)."""

from django.db import migrations

FORWARD = """
CREATE TRIGGER records_resourceversion_append_only
    BEFORE UPDATE OR DELETE ON records_resourceversion
    FOR EACH ROW EXECUTE FUNCTION salamat_refuse_change();
CREATE TRIGGER records_recordaccess_append_only
    BEFORE UPDATE OR DELETE ON records_recordaccess
    FOR EACH ROW EXECUTE FUNCTION salamat_refuse_change();
CREATE TRIGGER records_resource_no_delete
    BEFORE DELETE ON records_resource
    FOR EACH ROW EXECUTE FUNCTION salamat_refuse_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS records_resourceversion_append_only ON records_resourceversion;
DROP TRIGGER IF EXISTS records_recordaccess_append_only ON records_recordaccess;
DROP TRIGGER IF EXISTS records_resource_no_delete ON records_resource;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("records", "0001_patient_record"), ("core", "0002_audit_append_only_trigger")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
