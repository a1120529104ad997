"""Products named in Russian, Kyrgyz and English: the controlled list of dosage forms, the
import and the API, search in any language and case (on SQLite and PostgreSQL), and the one
function that picks the name in the page's language with a marked fallback."""

from __future__ import annotations

from datetime import date

import pytest
from django.template import Context, Template
from django.utils import translation

from salamat.core.actors import SYSTEM
from salamat.core.errors import ValidationFailed
from salamat.registry import names, selectors, services
from salamat.registry.importers import ProductImporter, run_import
from salamat.registry.models import DosageForm, Product
from salamat.registry.testing import load_dosage_forms
from salamat.registry.tests.helpers import gtin13
from salamat.registry.tests.test_importers import product_row, to_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def dosage_forms(db):
    """The shipped controlled list (a transactional test elsewhere may have flushed it)."""
    load_dosage_forms()
    return {f.code: f for f in DosageForm.objects.all()}


@pytest.fixture
def cefazolin(dosage_forms):
    return services.product_create(
        actor=SYSTEM,
        registration_number="KG-NAMES-0001",
        registered_on=date(2024, 1, 1),
        trade_name="Cefazotest",
        inn="cefazolin",
        inn_ru="цефазолин",
        inn_ky="цефазолин",
        trade_name_ru="Цефазотест",
        trade_name_ky="Цефазотест",
        atc_code="J01DB04",
        dosage_form="Порошок для инъекций",  # Russian, any case: the list's term
        strength="1 g",
        manufacturer_name="Example Demo Pharma",
        manufacturer_country="KG",
        gtins=[gtin13(7001)],
    )


@pytest.fixture
def iron(dosage_forms):
    return services.product_create(
        actor=SYSTEM,
        registration_number="KG-NAMES-0002",
        registered_on=date(2024, 1, 1),
        trade_name="Ferrotest",
        inn="ferrous sulfate",
        inn_ru="железа сульфат",
        inn_ky="темир сульфаты",
        atc_code="B03AA07",
        dosage_form="tablets",
        strength="325 mg",
        manufacturer_name="Example Demo Pharma",
        manufacturer_country="KG",
        gtins=[gtin13(7002)],
    )


def test_a_dosage_form_of_the_list_given_in_any_language_is_linked_and_named_in_each(cefazolin, dosage_forms):
    cefazolin.refresh_from_db()
    assert cefazolin.form == dosage_forms["powder-for-injection"]
    assert (cefazolin.dosage_form, cefazolin.dosage_form_ru, cefazolin.dosage_form_ky) == (
        "powder for injection",
        "порошок для инъекций",
        "ийне сайуу үчүн порошок",
    )


def test_a_dosage_form_outside_the_list_is_kept_as_given_without_translations(dosage_forms):
    product = services.product_create(
        actor=SYSTEM, registration_number="KG-NAMES-0003", registered_on=date(2024, 1, 1),
        trade_name="Oddtest", inn="oddium", atc_code="V03AX01", dosage_form="medicated chewing gum",
        manufacturer_name="Example Demo Pharma", manufacturer_country="KG", gtins=[gtin13(7003)],
    )  # fmt: skip
    product.refresh_from_db()
    assert (product.form, product.dosage_form, product.dosage_form_ru) == (None, "medicated chewing gum", "")


def test_changing_the_dosage_form_renames_it_in_every_language(cefazolin, dosage_forms):
    services.product_update(actor=SYSTEM, product=cefazolin, data={"dosage_form": "капсулалар"})
    cefazolin.refresh_from_db()
    assert (cefazolin.form.code, cefazolin.dosage_form, cefazolin.dosage_form_ru) == (
        "capsule",
        "capsules",
        "капсулы",
    )


def test_a_name_too_long_is_refused_and_nothing_changes(cefazolin, snapshot):
    before = snapshot()
    with pytest.raises(ValidationFailed) as caught:
        services.product_update(actor=SYSTEM, product=cefazolin, data={"inn_ru": "ц" * 256})
    assert caught.value.code == "too_long"
    assert caught.value.details["fields"][0]["field"] == "inn_ru"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("цефазолин", ["Cefazotest"]),  # the INN in Russian
        ("ЦЕФАЗОЛИН", ["Cefazotest"]),  # any case, Cyrillic too
        ("Цефазо", ["Cefazotest"]),  # a beginning; the trade name in Cyrillic matches as well
        ("cefazolin", ["Cefazotest"]),  # the registered (English) INN
        ("ТЕМИР", ["Ferrotest"]),  # the INN in Kyrgyz, upper case
        ("сульфаты", ["Ferrotest"]),
        ("Железа", ["Ferrotest"]),
        ("цефтриаксон", []),
    ],
)
def test_search_matches_a_name_in_any_language_and_case(cefazolin, iron, query, expected):
    assert [p.trade_name for p in selectors.product_search(q=query)] == expected
    assert [p.trade_name for p in selectors.products_named(query=query, limit=10)] == expected


def test_inn_filter_matches_any_language(cefazolin, iron):
    assert [p.trade_name for p in selectors.product_search(inn="Темир")] == ["Ferrotest"]


def test_the_api_searches_in_russian_and_answers_every_name(api, make_org, make_token, cefazolin):
    client = api(make_token(make_org("pharmacy", name="Calling Pharmacy")))
    response = client.get("/api/v1/products", {"q": "ЦЕФАЗОЛИН"})
    assert response.status_code == 200, response.content
    [item] = response.json()["items"]
    assert {
        k: item[k] for k in ("trade_name", "inn", "inn_ru", "inn_ky", "trade_name_ru", "dosage_form_ky")
    } == {
        "trade_name": "Cefazotest",
        "inn": "cefazolin",
        "inn_ru": "цефазолин",
        "inn_ky": "цефазолин",
        "trade_name_ru": "Цефазотест",
        "dosage_form_ky": "ийне сайуу үчүн порошок",
    }
    assert item["dosage_form_code"] == "powder-for-injection"


def test_import_takes_the_names_in_each_language_and_a_dosage_form_in_russian(dosage_forms):
    row = product_row(
        1, inn="cefazolin", inn_ru="цефазолин", inn_ky="цефазолин", trade_name_ru="Импортол",
        trade_name_ky="Импортол", dosage_form="таблетки",
    )  # fmt: skip
    report = run_import(ProductImporter(), to_csv([row]).encode(), actor=SYSTEM)
    assert report.created == 1
    product = Product.objects.get(registration_number="KG-IMP-0001")
    assert (product.inn_ru, product.trade_name_ky, product.dosage_form, product.dosage_form_ky) == (
        "цефазолин", "Импортол", "tablets", "таблеткалар",
    )  # fmt: skip
    assert selectors.product_search(q="Цефазолин").get() == product
    # A later file without the name columns keeps the names already stored.
    again = run_import(
        ProductImporter(), to_csv([product_row(1, inn="cefazolin", strength="1 g")]).encode(), actor=SYSTEM
    )
    assert again.updated == 1
    product.refresh_from_db()
    assert (product.strength, product.inn_ru, product.dosage_form_ru) == ("1 g", "цефазолин", "таблетки")


def test_import_refuses_a_name_too_long_and_writes_nothing(dosage_forms):
    from salamat.registry.importers import ImportRejected

    with pytest.raises(ImportRejected) as caught:
        run_import(ProductImporter(), to_csv([product_row(1, inn_ky="ө" * 256)]).encode(), actor=SYSTEM)
    assert [(e.column, e.code) for e in caught.value.report.errors] == [("inn_ky", "too_long")]
    assert not Product.objects.exists()


# --- the name in the page's language ----------------------------------------------------------

ROW = {"trade_name": "Cefazotest", "inn": "cefazolin", "inn_ru": "цефазолин", "inn_ky": "",
       "dosage_form": "tablets", "dosage_form_ru": "", "dosage_form_ky": ""}  # fmt: skip


@pytest.mark.parametrize(
    ("language", "field", "expected"),
    [
        ("ru", "inn", ("цефазолин", "ru", False)),
        ("ky", "inn", ("цефазолин", "ru", True)),  # no Kyrgyz name: the Russian one, marked
        ("en", "inn", ("cefazolin", "en", False)),
        ("ru", "dosage_form", ("tablets", "en", True)),  # not translated: as registered, marked
        ("ky", "trade_name", ("Cefazotest", "en", True)),
    ],
)
def test_local_name_falls_back_and_says_so(language, field, expected):
    assert tuple(names.local_name(ROW, field, language)) == expected


def test_the_filter_marks_a_fallback_visibly_and_nothing_else():
    template = Template('{% load product_names %}{{ p|local:"inn" }}|{{ p|local:"dosage_form" }}')
    with translation.override("ru"):
        html = template.render(Context({"p": ROW}))
    inn, form = html.split("|")
    assert inn == "цефазолин"
    assert form.startswith('<span lang="en">tablets</span> <small class="name-fallback"')
    assert form.endswith(">EN</small>")


def test_a_product_reads_as_its_names_in_the_active_language(cefazolin):
    with translation.override("ky"):
        assert str(cefazolin) == "Цефазотест 1 g ийне сайуу үчүн порошок"
    with translation.override("en"):
        assert str(cefazolin) == "Cefazotest 1 g powder for injection"
