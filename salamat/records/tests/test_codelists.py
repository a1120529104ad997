"""Code lists as data: the samples are loaded, the command loads the ministry's file, a missing
title falls back visibly."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from salamat.core.models import AuditLog
from salamat.records.codelist_files import CodeListError, read_code_list
from salamat.records.codelists import ICD10, VACCINE, concept_get, concept_search, concept_title
from salamat.records.models import CodeSystem, Concept

pytestmark = pytest.mark.django_db


def test_the_samples_are_loaded_and_marked_as_samples():
    assert set(CodeSystem.objects.values_list("slug", "is_sample")) == {
        ("icd10", True),
        ("vaccine", True),
        ("lab", True),
    }
    assert concept_get(system_uri=ICD10, code="i10").title_en == "Essential (primary) hypertension"
    assert concept_get(system_uri=VACCINE, code="MMR") is not None


def test_a_missing_title_falls_back_visibly():
    concept = concept_get(system_uri=ICD10, code="E78.5")  # no Kyrgyz title in the sample
    assert concept_title(concept, "ky") == "[ru] Гиперлипидемия неуточнённая"
    assert concept_title(concept, "ru") == "Гиперлипидемия неуточнённая"
    bare = Concept(code="X00", title_en="Only English")
    assert concept_title(bare, "ru") == "[en] Only English"
    assert concept_title(Concept(code="X01"), "en") == "[X01]"


def test_search_by_code_or_title_in_the_language():
    assert [c.code for c in concept_search(system_uri=ICD10, text="J06")] == ["J06.9"]
    assert [c.code for c in concept_search(system_uri=ICD10, text="гипертензия", language="ru")] == ["I10"]
    assert [c.code for c in concept_search(system_uri=ICD10, text="hypertension", language="en")] == ["I10"]


def test_the_command_loads_the_ministrys_file(tmp_path):
    path = tmp_path / "icd10.csv"
    path.write_text(
        "\ufeffcode,title_ru,title_ky,title_en,active\n"
        "I10,Гипертензия (министерство),Гипертензия (министрлик),Hypertension (ministry),1\n"
        "A00.0,Холера классическая,,Cholera due to Vibrio cholerae 01,1\n"
        "J06.9,Острая инфекция ВДП,,Acute URTI,0\n",
        encoding="utf-8",
    )
    call_command("load_code_system", str(path), "--system", "icd10", "--list-version", "2019")
    system = CodeSystem.objects.get(slug="icd10")
    assert (system.is_sample, system.version) == (False, "2019")
    assert concept_get(system_uri=ICD10, code="I10").title_ky == "Гипертензия (министрлик)"
    assert concept_get(system_uri=ICD10, code="A00.0") is not None
    assert concept_get(system_uri=ICD10, code="J06.9") is None  # withdrawn: refused in new records
    assert AuditLog.objects.filter(action="record.code_system_load").exists()


def test_the_command_refuses_a_bad_file(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("kod,nazvanie\nI10,x\n", encoding="utf-8")
    before = Concept.objects.count()
    with pytest.raises(CommandError, match="header"):
        call_command("load_code_system", str(path), "--system", "icd10")
    assert Concept.objects.count() == before
    with pytest.raises(CodeListError, match="line 3"):
        read_code_list("code,title_en\nI10,a\nI10,b\n")


def test_the_who_list_fills_english_titles_and_keeps_ours():
    call_command("load_code_system", "--system", "icd10", "--who-icd10")
    assert Concept.objects.filter(system__slug="icd10").count() > 10_000
    hypertension = concept_get(system_uri=ICD10, code="I10")
    assert hypertension.title_ru == "Эссенциальная (первичная) гипертензия"  # the sample's, kept
    assert concept_get(system_uri=ICD10, code="A00.0").title_ru == ""
