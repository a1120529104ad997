"""Every translatable string in the code is in its app's catalogue.

The catalogue tests check that each entry of a `.po` file is translated; this one checks
that the `.po` files list every string the code marks for translation, by extracting them
afresh (`makemessages` on a copy of the app) and comparing. A string added to the code
without `make messages` and a translation would otherwise reach users in English."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from salamat.web.tests.test_translations import _entries

ROOT = Path(__file__).resolve().parents[3]
APPS = sorted(p.parent.name for p in (ROOT / "salamat").glob("*/locale"))


def _msgids(po: Path) -> set[str]:
    return {msgid for msgid, _strs, _flags in _entries(po.read_text(encoding="utf-8"))}


@pytest.mark.parametrize("app", APPS)
def test_catalogue_lists_every_string_of_the_code(app, tmp_path):
    copy = tmp_path / app
    shutil.copytree(
        ROOT / "salamat" / app, copy, ignore=shutil.ignore_patterns("tests", "__pycache__", "*.mo", "*.po")
    )
    env = {**os.environ, "SALAMAT_MODE": "development", "DJANGO_SETTINGS_MODULE": "salamat.settings"}
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "makemessages", "-l", "ru", "--no-location"],
        cwd=copy, env=env, check=True, capture_output=True,
    )  # fmt: skip
    extracted = _msgids(copy / "locale" / "ru" / "LC_MESSAGES" / "django.po")
    committed = _msgids(ROOT / "salamat" / app / "locale" / "ru" / "LC_MESSAGES" / "django.po")
    missing = sorted(extracted - committed)
    assert missing == [], f"{app}: not in the catalogue (run make messages and translate): {missing}"
