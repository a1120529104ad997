"""Every catalogue declares its language's plural forms and fills every one of them (issue 18,
item 5): a Russian catalogue with two forms where the language needs three showed
"8 packages in stock" in English, since gettext falls back to the msgid for a missing form.

Russian has three forms (1 упаковка, 2 упаковки, 5 упаковок), Kyrgyz two in CLDR (one, other;
the noun does not change after a numeral, so both read alike), English two."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest
from django.utils import translation
from django.utils.translation import ngettext

ROOT = Path(__file__).resolve().parents[3]
CATALOGUES = sorted((ROOT / "salamat").glob("*/locale/*/LC_MESSAGES/django.po"))
PLURAL_FORMS = {
    "ru": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);",
    "ky": "nplurals=2; plural=(n != 1);",
    "en": "nplurals=2; plural=(n != 1);",
}


def _name(po: Path) -> str:
    return f"{po.parts[-5]}/{po.parts[-3]}"


def plural_problems(po: polib.POFile, language: str) -> list[str]:
    """What is wrong with the plural forms of one catalogue (empty when nothing)."""
    problems = []
    declared = " ".join(po.metadata.get("Plural-Forms", "").split())
    if declared != PLURAL_FORMS[language]:
        problems.append(f"Plural-Forms is {declared!r}, expected {PLURAL_FORMS[language]!r}")
    if po.metadata_is_fuzzy:
        problems.append("the header is fuzzy: msgfmt would drop its Plural-Forms")
    n = int(PLURAL_FORMS[language].split(";")[0].split("=")[1])
    for entry in po:
        if entry.msgid_plural and not entry.obsolete:
            filled = [i for i in range(n) if entry.msgstr_plural.get(i)]
            if filled != list(range(n)) or len(entry.msgstr_plural) != n:
                problems.append(
                    f"{entry.msgid!r}: forms {sorted(entry.msgstr_plural)} filled {filled}, needs {n}"
                )
    return problems


def test_there_are_catalogues_in_every_language():
    assert {po.parts[-3] for po in CATALOGUES} == set(PLURAL_FORMS)


@pytest.mark.parametrize("po_path", CATALOGUES, ids=_name)
def test_catalogue_has_every_plural_form(po_path):
    problems = plural_problems(polib.pofile(str(po_path)), po_path.parts[-3])
    assert problems == [], f"{_name(po_path)}: {problems}"


def test_the_check_catches_a_missing_form_and_a_missing_header():
    po = polib.POFile()
    po.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
    po.append(polib.POEntry(msgid="%(n)s pack", msgid_plural="%(n)s packs", msgstr_plural={0: "a", 1: "b"}))
    problems = plural_problems(po, "ru")
    assert problems[0].startswith("Plural-Forms is ''") and "needs 3" in problems[1]


@pytest.mark.parametrize(
    ("n", "ru"), [(1, "1 упаковка в наличии"), (3, "3 упаковки в наличии"), (8, "8 упаковок в наличии"),
                  (11, "11 упаковок в наличии"), (21, "21 упаковка в наличии")],
)  # fmt: skip
def test_eight_packages_in_stock_reads_in_russian(n, ru):
    with translation.override("ru"):
        got = ngettext("%(counter)s package in stock", "%(counter)s packages in stock", n) % {"counter": n}
    assert got == ru
