"""Every user-facing string of every app has a Russian and a Kyrgyz translation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation

SALAMAT = Path(__file__).resolve().parents[2]
APPS = tuple(sorted(p.parent.name for p in SALAMAT.glob("*/locale")))


def _entries(po_text: str):
    """(msgid, [msgstr…], flags) of each entry but the header."""
    for block in po_text.strip().split("\n\n")[1:]:
        lines = block.splitlines()
        flags = " ".join(line for line in lines if line.startswith("#,"))
        msgid, msgstrs, current = "", [], None
        for line in lines:
            if line.startswith("#"):
                continue
            match = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d+\])?) "(.*)"$', line)
            if match:
                current = match.group(1)
                if current.startswith("msgstr"):
                    msgstrs.append(match.group(2))
                elif current == "msgid":
                    msgid = match.group(2)
            elif line.startswith('"'):
                if current and current.startswith("msgstr"):
                    msgstrs[-1] += line.strip('"')
                elif current == "msgid":
                    msgid += line.strip('"')
        yield msgid, msgstrs, flags


@pytest.mark.parametrize("language", ["ru", "ky"])
@pytest.mark.parametrize("app", APPS)
def test_catalogue_is_complete(app, language):
    po = SALAMAT / app / "locale" / language / "LC_MESSAGES" / "django.po"
    assert po.with_suffix(".mo").exists(), f"{po} is not compiled"
    entries = list(_entries(po.read_text(encoding="utf-8")))
    assert entries
    untranslated = [msgid for msgid, msgstrs, _flags in entries if not all(msgstrs)]
    fuzzy = [msgid for msgid, _msgstrs, flags in entries if "fuzzy" in flags]
    assert untranslated == [], f"{app}/{language}: untranslated {untranslated}"
    assert fuzzy == [], f"{app}/{language}: fuzzy {fuzzy}"


def test_kyrgyz_is_written_in_cyrillic():
    with translation.override("ky"):
        assert re.search("[а-яөүң]", translation.gettext("National e-health platform"))
        assert translation.gettext("Pharmacist") == "Фармацевт"


def test_role_names_and_core_errors_are_translated():
    with translation.override("ru"):
        assert translation.gettext("Medical commission chair") == "Председатель врачебной комиссии"
        assert translation.gettext("You may not do this.") == "У вас нет права на это действие."
