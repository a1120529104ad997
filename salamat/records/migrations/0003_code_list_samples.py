"""Loads the repository's small code-list samples (ICD-10, vaccines, local laboratory codes) so
that tests and the quick start have them; `manage.py load_code_system` replaces them with the
ministry's files (the systems stay marked `is_sample` until then)."""

from pathlib import Path

from django.db import migrations
from django.utils import timezone

from salamat.records.codelist_files import read_code_list

SAMPLES = Path(__file__).resolve().parent.parent / "codelists"
# slug, FHIR system, name, file (kept here as at the time of writing: migrations do not follow code)
SYSTEMS = (
    ("icd10", "http://hl7.org/fhir/sid/icd-10", "ICD-10", "icd10-sample.csv"),
    ("vaccine", "https://salamat.example/fhir/CodeSystem/vaccine", "Vaccines", "vaccine-sample.csv"),
    ("lab", "https://salamat.example/fhir/CodeSystem/lab", "Local laboratory codes", "lab-sample.csv"),
)


def forward(apps, schema_editor):
    CodeSystem = apps.get_model("records", "CodeSystem")
    Concept = apps.get_model("records", "Concept")
    for slug, uri, name, filename in SYSTEMS:
        system, created = CodeSystem.objects.get_or_create(
            slug=slug, defaults={"uri": uri, "name": name, "is_sample": True, "loaded_at": timezone.now()}
        )
        if not created:
            continue
        rows = read_code_list((SAMPLES / filename).read_text(encoding="utf-8"))
        Concept.objects.bulk_create(
            Concept(system=system, code=r.code, title_ru=r.title_ru, title_ky=r.title_ky, title_en=r.title_en)
            for r in rows
        )


def backward(apps, schema_editor):
    CodeSystem = apps.get_model("records", "CodeSystem")
    Concept = apps.get_model("records", "Concept")
    Concept.objects.filter(system__is_sample=True).delete()
    CodeSystem.objects.filter(is_sample=True).delete()


class Migration(migrations.Migration):
    dependencies = [("records", "0002_append_only_triggers")]
    operations = [migrations.RunPython(forward, backward)]
