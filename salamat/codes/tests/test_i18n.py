"""Error messages are translated (ru, ky) once the catalogue of this module is on the path."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import override_settings
from django.utils import translation

from salamat.codes import CodeError, parse

LOCALE = Path(__file__).resolve().parents[1] / "locale"


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("ru", "Неверная контрольная цифра GTIN."),
        ("ky", "GTIN кодунун текшерүү цифрасы туура эмес."),
        ("en", "The check digit of the GTIN is wrong."),
    ],
)
def test_error_messages_are_translated(settings, language, message):
    with (
        override_settings(LOCALE_PATHS=[*settings.LOCALE_PATHS, LOCALE]),
        translation.override(language),
        pytest.raises(CodeError) as caught,
    ):
        parse("4601234567894")
    assert caught.value.message == message


def test_every_message_has_ru_and_ky_translations():
    for language in ("ru", "ky"):
        po = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
        # An empty msgstr not followed by a continuation line is an untranslated message.
        assert re.search(r'msgstr ""(\n(?!")|\Z)', po) is None, language
        assert (LOCALE / language / "LC_MESSAGES" / "django.mo").exists()
