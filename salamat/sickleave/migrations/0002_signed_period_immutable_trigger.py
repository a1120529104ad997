"""On PostgreSQL, a signed sick-leave period can be neither changed nor deleted.

The services already refuse; the trigger also stops raw SQL, the admin and any future
code path. Unsigned rows stay writable (signing itself is the UPDATE that sets
`signed`, allowed because the old row is not yet signed)."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION sickleave_refuse_signed_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'sick-leave period % is signed: % refused', OLD.id, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER sickleave_period_signed_immutable
    BEFORE UPDATE OR DELETE ON sickleave_sickleaveperiod
    FOR EACH ROW WHEN (OLD.signed) EXECUTE FUNCTION sickleave_refuse_signed_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS sickleave_period_signed_immutable ON sickleave_sickleaveperiod;
DROP FUNCTION IF EXISTS sickleave_refuse_signed_change();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("sickleave", "0001_initial")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
