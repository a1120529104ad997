"""Fixtures of the web page tests: people of every role, and a small registry to search."""

from __future__ import annotations

from datetime import date

import pytest

# (role, organisation type) for a person of each staff role.
ROLE_ORG_TYPES = {
    "pharmacist": "pharmacy",
    "warehouse_operator": "wholesaler",
    "doctor": "medical",
    "commission_chair": "medical",
    "org_admin": "pharmacy",
    "ministry_reviewer": "ministry",
    "regulator": "ministry",
}


@pytest.fixture
def person(make_org, make_user):
    """`person("pharmacist")` → a user with that role in a fresh organisation; `person(None)` → a citizen."""

    def _make(role: str | None, org=None, **kwargs):
        if role is None:
            return make_user(None, **kwargs)
        org = org or make_org(ROLE_ORG_TYPES[role])
        return make_user(role, org, **kwargs)

    return _make


@pytest.fixture
def registry(make_org, make_product):
    """A few products on two tracking lists, and organisations of several types and regions."""
    from salamat.registry.models import TrackingList, TrackingListEntry

    manufacturer = make_org("manufacturer", name="Velmora Demo Pharma", region="chuy")
    amox = make_product(
        trade_name="Amoxidemo",
        inn="amoxicillinum",
        atc_code="J01CR02",
        strength="625 mg",
        dosage_form="film-coated tablets",
        units=14,
        registration_number="KG-AMX-0001",
        manufacturer=manufacturer,
        manufacturer_name="Velmora Demo Pharma",
    )
    para = make_product(
        trade_name="Paracetamol-Bishkek",
        inn="paracetamolum",
        atc_code="N02BE01",
        strength="500 mg",
        dosage_form="tablets",
        units=20,
        registration_number="KG-PAR-0002",
    )
    insulin = make_product(
        trade_name="Insulinum Rapid",
        inn="insulinum humanum",
        atc_code="A10AB01",
        strength="100 IU/ml",
        dosage_form="solution for injection",
        registration_number="KG-INS-0003",
        valid_until=date(2021, 1, 1),
    )
    first = TrackingList.objects.create(code="first", name="First list", mandatory_from=date(2024, 4, 1))
    later = TrackingList.objects.create(
        code="essential", name="Essential medicines", mandatory_from=date(2099, 1, 1)
    )
    TrackingListEntry.objects.create(tracking_list=first, product=amox)
    TrackingListEntry.objects.create(tracking_list=later, product=para)
    pharmacy = make_org("pharmacy", name="Birch Demo Pharmacy No. 7", region="osh_city")
    pharmacy.email, pharmacy.phone, pharmacy.licence_number = (
        "birch7@example.kg",
        "+996 312 000 007",
        "LIC-777",
    )
    pharmacy.save()
    clinic = make_org("medical", name="Family Clinic Talas", region="talas")
    suspended = make_org("pharmacy", name="Closed Pharmacy", region="naryn", status="suspended")
    return {
        "amox": amox,
        "para": para,
        "insulin": insulin,
        "manufacturer": manufacturer,
        "pharmacy": pharmacy,
        "clinic": clinic,
        "suspended": suspended,
    }
