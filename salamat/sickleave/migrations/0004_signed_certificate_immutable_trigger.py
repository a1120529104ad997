"""On PostgreSQL, what the organisation signed on a closed certificate can no longer change.

Once `organization_signature_id` is set only the status and the annulment fields (and
`updated_at`) may change — annulling or replacing a signed certificate stays possible,
rewriting it does not — and the row cannot be deleted. The services refuse the same."""

from django.db import migrations

FROZEN = (
    "number",
    "patient_pin",
    "patient_family_name",
    "patient_given_name",
    "patient_middle_name",
    "patient_birth_date",
    "patient_sex",
    "organization_id",
    "employer_name",
    "employer_tax_id",
    "is_main_job",
    "reason",
    "cared_for_pin",
    "cared_for_name",
    "cared_for_relation",
    "cared_for_birth_date",
    "diagnosis_code",
    "diagnosis_title",
    "regime",
    "hospital_from",
    "hospital_to",
    "outcome",
    "outcome_date",
    "closed_at",
    "duplicate_of_id",
    "continuation_of_id",
    "organization_signature_id",
    "created_by_id",
)
_CHANGED = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in FROZEN)

FORWARD = f"""
CREATE OR REPLACE FUNCTION sickleave_refuse_signed_certificate_change() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR ({_CHANGED}) THEN
        RAISE EXCEPTION 'sick leave % is signed by its organisation: % refused', OLD.id, TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER sickleave_certificate_signed_immutable
    BEFORE UPDATE OR DELETE ON sickleave_sickleave
    FOR EACH ROW WHEN (OLD.organization_signature_id IS NOT NULL)
    EXECUTE FUNCTION sickleave_refuse_signed_certificate_change();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS sickleave_certificate_signed_immutable ON sickleave_sickleave;
DROP FUNCTION IF EXISTS sickleave_refuse_signed_certificate_change();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("sickleave", "0003_period_and_certificate_signatures")]
    operations = [migrations.RunPython(forward, backward, elidable=False)]
