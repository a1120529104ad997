"""ESI's claims → the identity the platform trusts (pure: no database, no HTTP)."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import translation

from salamat.accounts.claims import EsiOrganization, identity_from_claims
from salamat.core.errors import PermissionDenied

CLAIMS = {
    "sub": "esi-123",
    "pin": "11203198500123",
    "family_name": " Асанова ",
    "given_name": "Айгуль",
    "middle_name": "Бакытовна",
    "gender": "female",
    "birthdate": "1985-03-12",
    "email": "a@example.org",
    "phone_number": "+996700000101",
    "organizations": [{"tax_id": "02712201510234", "name": "Clinic", "role": "director"}],
}


def test_claims_are_mapped():
    identity = identity_from_claims(CLAIMS)
    assert identity.sub == "esi-123" and identity.pin == "11203198500123"
    assert identity.family_name == "Асанова"
    assert identity.birthdate == date(1985, 3, 12)
    assert identity.organizations == (EsiOrganization("02712201510234", "Clinic", "director"),)


@pytest.mark.parametrize("pin", [None, "", "123", "31203198500123", "11332198500123", "1120319850012x"])
def test_malformed_pin_refuses_the_login(pin):
    with translation.override("en"), pytest.raises(PermissionDenied) as refused:
        identity_from_claims({**CLAIMS, "pin": pin})
    assert refused.value.code == "esi_pin_invalid"
    assert "not valid" in refused.value.message
    with translation.override("ru"), pytest.raises(PermissionDenied) as refused:
        identity_from_claims({**CLAIMS, "pin": pin})
    assert "недействительный" in refused.value.message  # in the user's language


@pytest.mark.parametrize("sub", [None, "", "   ", 12.5])
def test_missing_subject_refuses_the_login(sub):
    with pytest.raises(PermissionDenied) as refused:
        identity_from_claims({**CLAIMS, "sub": sub})
    assert refused.value.code == "esi_no_subject"


def test_organisations_with_malformed_tax_ids_are_dropped_and_counted():
    identity = identity_from_claims(
        {
            **CLAIMS,
            "organizations": [
                {"tax_id": "02712201510234", "name": "Kept"},
                {"tax_id": "02712201510234", "name": "Duplicate"},
                {"tax_id": "123", "name": "Short"},
                "not an object",
                {"name": "No tax ID"},
            ],
        }
    )
    assert identity.organizations == (EsiOrganization("02712201510234", "Kept", ""),)
    assert identity.dropped_organizations == 3


@pytest.mark.parametrize("value", [None, "a list?", {"tax_id": "02712201510234"}, 42])
def test_organisations_claim_of_the_wrong_shape_means_none(value):
    assert identity_from_claims({**CLAIMS, "organizations": value}).organizations == ()


def test_odd_values_are_tolerated():
    identity = identity_from_claims({**CLAIMS, "birthdate": "12.03.1985", "email": None, "given_name": ["x"]})
    assert identity.birthdate is None and identity.email == "" and identity.given_name == ""
