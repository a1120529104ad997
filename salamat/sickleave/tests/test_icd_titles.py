"""Diagnoses are titled and searched in the page's language from records' three-language
ICD-10 code list (installed into sick leave at start-up), not from a list of sick leave's own."""

from __future__ import annotations

import pytest

from salamat.records.models import Concept
from salamat.sickleave import icd
from salamat.sickleave.fhir import ICD10

pytestmark = pytest.mark.django_db


def test_titles_follow_the_code_list_as_the_ministry_loads_it(db):
    # given the ministry's list changes a title
    Concept.objects.filter(system__uri=ICD10, code="J20.9").update(title_ky="Курч бронхит (такталбаган)")
    # then sick leave shows it
    assert icd.icd10_title("J20.9", "ky") == "Курч бронхит (такталбаган)"
    assert icd.icd10_suggest("J20.9", language="ky") == [("J20.9", "Курч бронхит (такталбаган)")]


def test_a_title_is_searched_in_the_pages_language_in_any_case(db):
    ru = icd.icd10_suggest("БРОНХИТ", language="ru")
    assert ("J20.9", "Острый бронхит неуточнённый") in ru
    ky = icd.icd10_suggest("грипп", language="ky")
    assert [code for code, _title in ky][:2] == ["J10.1", "J11.1"]


def test_a_code_the_list_lacks_keeps_its_who_title(db):
    Concept.objects.filter(system__uri=ICD10, code="J20.9").delete()
    assert icd.icd10_title("J20.9", "ru") == "Acute bronchitis, unspecified"
    assert icd.local_title("J20.9", "ru") is None


def test_without_a_provider_every_title_is_the_who_one(db):
    saved = icd._provider
    icd.set_title_provider(None)
    try:
        assert icd.icd10_title("J06.9", "ru") == "Acute upper respiratory infection, unspecified"
    finally:
        icd.set_title_provider(saved)
