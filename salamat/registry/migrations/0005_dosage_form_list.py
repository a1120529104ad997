"""The controlled list of dosage forms (after the EDQM Standard Terms), in Russian, Kyrgyz and
English, and the products whose dosage form names one of its terms linked to it (with the
Russian and Kyrgyz names copied, as the services do). Rows the ministry may add to."""

from django.db import migrations

# code, English, Russian, Kyrgyz
TERMS = [
    ("tablet", "tablets", "таблетки", "таблеткалар"),
    ("film-coated-tablet", "film-coated tablets", "таблетки, покрытые плёночной оболочкой",
     "плёнка кабыгы менен капталган таблеткалар"),
    ("gastro-resistant-tablet", "gastro-resistant tablets", "таблетки кишечнорастворимые",
     "ичегиде эрүүчү таблеткалар"),
    ("modified-release-tablet", "modified-release tablets", "таблетки с модифицированным высвобождением",
     "өзгөртүлгөн бошотулуучу таблеткалар"),
    ("prolonged-release-tablet", "prolonged-release tablets", "таблетки пролонгированного действия",
     "узартылган таасирдүү таблеткалар"),
    ("dispersible-tablet", "dispersible tablets", "таблетки диспергируемые", "суюктукта таралуучу таблеткалар"),
    ("sublingual-tablet", "sublingual tablets", "таблетки подъязычные", "тил астына коюлуучу таблеткалар"),
    ("capsule", "capsules", "капсулы", "капсулалар"),
    ("syrup", "syrup", "сироп", "сироп"),
    ("oral-drops", "oral drops", "капли для приёма внутрь", "ичүү үчүн тамчылар"),
    ("oral-solution", "oral solution", "раствор для приёма внутрь", "ичүү үчүн эритме"),
    ("oral-suspension", "oral suspension", "суспензия для приёма внутрь", "ичүү үчүн суспензия"),
    ("powder-for-oral-solution", "powder for oral solution", "порошок для приготовления раствора для приёма внутрь",
     "ичүү үчүн эритме даярдоочу порошок"),
    ("solution-for-injection", "solution for injection", "раствор для инъекций", "ийне сайуу үчүн эритме"),
    ("powder-for-injection", "powder for injection", "порошок для инъекций", "ийне сайуу үчүн порошок"),
    ("powder-for-solution-for-injection", "powder for solution for injection",
     "порошок для приготовления раствора для инъекций", "ийне сайуу үчүн эритме даярдоочу порошок"),
    ("solution-for-infusion", "solution for infusion", "раствор для инфузий", "инфузия үчүн эритме"),
    ("concentrate-for-infusion", "concentrate for infusion", "концентрат для приготовления раствора для инфузий",
     "инфузия үчүн эритме даярдоочу концентрат"),
    ("powder-for-concentrate-for-infusion", "powder for concentrate for infusion",
     "порошок для приготовления концентрата для инфузий", "инфузия үчүн концентрат даярдоочу порошок"),
    ("pressurised-inhalation", "pressurised inhalation", "аэрозоль для ингаляций дозированный",
     "дозаланган ингаляциялык аэрозоль"),
    ("nebuliser-suspension", "nebuliser suspension", "суспензия для ингаляций", "ингаляция үчүн суспензия"),
    ("eye-drops", "eye drops", "капли глазные", "көз тамчылары"),
    ("nasal-spray", "nasal spray", "спрей назальный", "мурун спрейи"),
    ("cream", "cream", "крем", "крем"),
    ("ointment", "ointment", "мазь", "сүйкөмө май"),
    ("gel", "gel", "гель", "гель"),
    ("suppository", "suppositories", "суппозитории", "шамчалар (суппозиторийлер)"),
]  # fmt: skip


def create(apps, schema_editor):
    form_model = apps.get_model("registry", "DosageForm")
    product_model = apps.get_model("registry", "Product")
    for code, en, ru, ky in TERMS:
        form, _ = form_model.objects.update_or_create(
            code=code, defaults={"name_en": en, "name_ru": ru, "name_ky": ky}
        )
        product_model.objects.filter(dosage_form__iexact=en, form__isnull=True).update(
            form=form, dosage_form_ru=ru, dosage_form_ky=ky
        )


def remove(apps, schema_editor):
    apps.get_model("registry", "Product").objects.update(form=None, dosage_form_ru="", dosage_form_ky="")
    apps.get_model("registry", "DosageForm").objects.filter(code__in=[t[0] for t in TERMS]).delete()


class Migration(migrations.Migration):
    dependencies = [("registry", "0004_product_names_dosage_forms_opening_hours")]
    operations = [migrations.RunPython(create, remove)]
