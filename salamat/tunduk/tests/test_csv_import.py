"""The stand-in registers' CSV imports: upsert by key, every bad value reported, all or nothing."""

from datetime import date

import pytest
from django.core.management import CommandError, call_command

from salamat.tunduk import adapters
from salamat.tunduk.models import LegalEntity, MedicalLicence

pytestmark = pytest.mark.django_db


def test_import_legal_entities_upserts(tmp_path):
    # given
    path = tmp_path / "entities.csv"
    path.write_text(
        "tax_id,name,legal_form,address,registered_on,liquidated_on\n"
        "01234567890123,Clinic Shifa LLC,LLC,Bishkek,2019-04-01,\n"
        "01234567890124,Old Clinic,LLC,Osh,2001-01-01,2020-05-05\n",
        encoding="utf-8",
    )
    # when
    call_command("import_legal_entities", str(path))
    call_command("import_legal_entities", str(path))  # again: updates, never duplicates
    # then
    registry = adapters.legal_entity_registry()
    assert registry.lookup("01234567890123").name == "Clinic Shifa LLC"
    assert registry.lookup("01234567890124").is_operating is False
    assert registry.lookup("00000000000000") is None
    assert LegalEntity.objects.count() == 2


def test_import_legal_entities_reports_every_bad_row_and_keeps_nothing(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text(
        "tax_id,name,registered_on\n01234567890123,Fine,2019-01-01\n123,Bad,2019-01-01\n01234567890125,,1st May\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="nothing imported: 3 bad value"):
        call_command("import_legal_entities", str(path))
    err = capsys.readouterr().err
    assert "line 3, column tax_id: '123' is not a 14-digit tax ID" in err
    assert "line 4, column name: required" in err
    assert "line 4, column registered_on: '1st May' is not a date (YYYY-MM-DD)" in err
    assert LegalEntity.objects.count() == 0


def test_import_refuses_a_missing_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("tax_id,name\n01234567890123,Fine\n", encoding="utf-8")
    with pytest.raises(CommandError, match="line 1, column registered_on: missing column"):
        call_command("import_legal_entities", str(path))


def test_import_refuses_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "cp1251.csv"
    path.write_bytes("tax_id,name,registered_on\n01234567890123,Клиника,2019-01-01\n".encode("cp1251"))
    with pytest.raises(CommandError, match="not UTF-8"):
        call_command("import_legal_entities", str(path))
    assert LegalEntity.objects.count() == 0


def test_import_licences_and_look_them_up(tmp_path):
    # given
    path = tmp_path / "licences.csv"
    path.write_text(
        "number,tax_id,issued_on,valid_until,revoked_on,activities\n"
        "LIC-1,01234567890123,2020-01-01,,,therapy; paediatrics\n"
        "LIC-2,01234567890124,2015-01-01,2020-01-01,,therapy\n"
        "LIC-3,01234567890125,2019-01-01,,2021-06-01,surgery\n",
        encoding="utf-8",
    )
    # when
    call_command("import_licences", str(path))
    # then
    registry = adapters.licence_registry()
    today = date(2025, 1, 1)
    lic1 = registry.by_number("LIC-1")
    assert lic1.activities == ("therapy", "paediatrics") and lic1.is_valid_on(today)
    assert not registry.by_number("LIC-2").is_valid_on(today)  # expired
    assert not registry.by_number("LIC-3").is_valid_on(today)  # revoked
    assert registry.by_number("LIC-3").is_valid_on(date(2020, 1, 1))
    assert [lic.number for lic in registry.lookup("01234567890123")] == ["LIC-1"]
    assert registry.by_number("nope") is None


def test_import_licences_refuses_reversed_dates(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("number,tax_id,issued_on,valid_until\nLIC-1,01234567890123,2020-01-01,2019-01-01\n")
    with pytest.raises(CommandError, match="line 2, column valid_until: earlier than issued_on"):
        call_command("import_licences", str(path))
    assert MedicalLicence.objects.count() == 0
