"""Every message of the registry has a Russian and a Kyrgyz translation, compiled."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[1] / "locale"


def entries(po: Path) -> list[tuple[str, list[str]]]:
    """(msgid, msgstrs) of every entry but the header."""
    out = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        if block.lstrip().startswith("#~") or "msgid" not in block:
            continue
        msgid = "".join(
            re.findall(r'"(.*)"', block.split("msgid ", 1)[1].split("msgstr")[0].split("msgid_plural")[0])
        )
        strs = ["".join(re.findall(r'"(.*)"', part)) for part in re.split(r"msgstr(?:\[\d\])? ", block)[1:]]
        if msgid:
            out.append((msgid, strs))
    return out


@pytest.mark.parametrize("language", ["ru", "ky"])
def test_every_message_is_translated(language):
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    found = entries(po)
    assert len(found) > 100
    untranslated = [msgid for msgid, strs in found if not all(strs)]
    assert untranslated == []
    fuzzy = "#, fuzzy" in po.read_text(encoding="utf-8")
    assert not fuzzy
    # placeholders survive translation
    for msgid, strs in found:
        for text in strs:
            assert sorted(re.findall(r"%\(\w+\)[sd]", text)) == sorted(
                set(re.findall(r"%\(\w+\)[sd]", msgid))
            ) or (len(strs) > 1), (msgid, text)
    mo = po.with_suffix(".mo")
    assert mo.exists()
