"""Country names for ISO 3166-1 codes in the three languages."""

import pytest

from salamat.registry.countries import ISO_3166_ALPHA2, country_name


@pytest.mark.parametrize(
    ("code", "language", "name"),
    [
        ("KG", "ru", "Кыргызстан"),  # the official Russian name, not "Киргизия"
        ("KG", "ky", "Кыргызстан"),
        ("KG", "en", "Kyrgyzstan"),
        ("KZ", "ru", "Казахстан"),
        ("RU", "ky", "Орус Федерациясы"),
        ("DE", "ru", "Германия"),
        ("TR", "ru", "Турция"),
        ("in", "en", "India"),  # case does not matter
        ("XX", "ru", "XX"),  # not a country: shown as it is
        ("", "ru", ""),
    ],
)
def test_country_names(code, language, name):
    assert country_name(code, language) == name


def test_every_code_has_a_name_in_every_language():
    for language in ("ru", "ky", "en"):
        for code in ISO_3166_ALPHA2:
            assert country_name(code, language) not in ("", code), (code, language)
