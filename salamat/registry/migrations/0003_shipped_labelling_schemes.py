"""The labelling schemes shipped switched on: IFA/securPharm (PPN) and China's 20-digit drug
traceability code. Rows the regulator may change; their product-mapping tables start empty.
The definitions are frozen here (salamat/codes/shipped.py holds the same; a test compares)."""

from django.db import migrations

SHIPPED = [
    {
        "code": "ifa",
        "name_ru": "IFA / securPharm (PPN)",
        "name_ky": "IFA / securPharm (PPN)",
        "name_en": "IFA / securPharm (PPN)",
        "kind": "envelope",
        "prefix": "11",
        "pattern": "",
        "fields": {"product": "9N", "serial": "S", "batch": "1T", "expiry": "D"},
        "checks": {"product": "ifa_ppn_mod97"},
        "expiry_format": "YYMMDD",
    },
    {
        "code": "cn-drug",
        "name_ru": "Код прослеживаемости лекарств КНР (20 цифр)",
        "name_ky": "КЭР дары-дармектерин көзөмөлдөө коду (20 сан)",
        "name_en": "China drug traceability code (20 digits)",
        "kind": "pattern",
        "prefix": "",
        "pattern": r"(?P<product>8[0-9]{6})(?P<serial>[0-9]{9})(?P<tail>[0-9]{4})",
        "fields": {},
        "checks": {},
        "expiry_format": "YYMMDD",
    },
]


def create(apps, schema_editor):
    scheme = apps.get_model("registry", "LabellingScheme")
    for row in SHIPPED:
        scheme.objects.update_or_create(code=row["code"], defaults=row)


def remove(apps, schema_editor):
    apps.get_model("registry", "LabellingScheme").objects.filter(code__in=[r["code"] for r in SHIPPED]).delete()


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_labelling_schemes")]
    operations = [migrations.RunPython(create, remove)]
