import io
from datetime import date

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from salamat.core.identifiers import parse_pin
from salamat.tunduk import adapters
from salamat.tunduk.adapters import XRoadPopulationRegistry, population_registry
from salamat.tunduk.models import RegistryPerson
from salamat.tunduk.seed import seed_tunduk


@pytest.mark.django_db
def test_seed_creates_fictional_people_with_valid_pins_idempotently():
    people = seed_tunduk()
    assert len(people) == len(seed_tunduk()) == RegistryPerson.objects.count()
    for person in people:
        info = parse_pin(person.pin)
        assert (info.birth_date, info.sex) == (person.birth_date, person.sex)


@pytest.mark.django_db
def test_local_population_registry_lookup():
    person = seed_tunduk()[0]
    found = population_registry().lookup(person.pin)
    assert found is not None
    assert found.family_name == "Testova" and found.is_alive
    assert population_registry().lookup("10101200099999") is None


@pytest.mark.django_db
def test_legal_entity_and_licence_lookups():
    seed_tunduk()
    entity = adapters.legal_entity_registry().lookup("02101201910003")
    assert entity is not None and entity.is_operating
    assert adapters.legal_entity_registry().lookup("99999999999999") is None
    licences = adapters.licence_registry().lookup("02101201910003")
    assert [lic.number for lic in licences] == ["DEMO-LIC-0001"]
    assert licences[0].is_valid_on(date(2026, 1, 1))
    assert not licences[0].is_valid_on(date(2017, 1, 1))


def test_xroad_request_carries_the_client_header():
    registry = XRoadPopulationRegistry(
        security_server="https://ss.example.kg/",
        client="KG/GOV/70000001/salamat",
        service="KG/GOV/70000002/population/persons",
    )
    request = registry.build_request("21201199012345")
    assert request.full_url == "https://ss.example.kg/r1/KG/GOV/70000002/population/persons/21201199012345"
    assert request.get_header("X-road-client") == "KG/GOV/70000001/salamat"
    with pytest.raises(ImproperlyConfigured):
        XRoadPopulationRegistry(security_server="ftp://x", client="a", service="b")


def test_backend_is_chosen_by_settings(settings):
    settings.SALAMAT = {
        **settings.SALAMAT,
        "TUNDUK_BACKEND": "xroad",
        "XROAD_SECURITY_SERVER": "https://ss.example.kg",
        "XROAD_CLIENT": "KG/GOV/1/salamat",
        "XROAD_POPULATION_SERVICE": "KG/GOV/2/population/persons",
    }
    assert isinstance(population_registry(), XRoadPopulationRegistry)
    settings.SALAMAT = {**settings.SALAMAT, "TUNDUK_BACKEND": "carrier-pigeon"}
    with pytest.raises(ImproperlyConfigured):
        population_registry()


@pytest.mark.django_db
def test_import_population_command(tmp_path):
    good = tmp_path / "people.csv"
    good.write_text(
        "pin,family_name,given_name,middle_name,birth_date,sex,death_date\n"
        "10203199012345,Testova,Nazira,,1990-03-02,female,\n"
    )
    call_command("import_population", str(good), stdout=io.StringIO())
    assert RegistryPerson.objects.get(pin="10203199012345").given_name == "Nazira"
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "pin,family_name,given_name,middle_name,birth_date,sex\n10203199012345,X,Y,,1991-03-02,female\n"
    )
    with pytest.raises(CommandError, match="line 2"):
        call_command("import_population", str(bad))
