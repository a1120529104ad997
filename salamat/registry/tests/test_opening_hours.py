"""A site's opening hours: set through the service or the organisations file, refused when too
long (nothing changes), published in the directory API and on the organisation page."""

from __future__ import annotations

import pytest

from salamat.core.actors import SYSTEM
from salamat.core.errors import ValidationFailed
from salamat.registry import services
from salamat.registry.importers import OrganizationImporter, run_import
from salamat.registry.models import Site
from salamat.registry.tests.test_importers import org_row, to_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def pharmacy(make_org):
    return make_org("pharmacy", name="Hours Pharmacy")


def test_the_service_sets_the_hours_and_the_directory_shows_them(pharmacy, api, make_org, make_token, client):
    site = pharmacy.sites.get()
    services.site_update(actor=SYSTEM, site=site, data={"opening_hours": "Пн–Сб 08:00–20:00"})
    body = api(make_token(make_org("pharmacy"))).get(f"/api/v1/organizations/{pharmacy.external_id}").json()
    assert body["sites"][0]["opening_hours"] == "Пн–Сб 08:00–20:00"
    page = client.get(f"/registry/organizations/{pharmacy.external_id}/", HTTP_ACCEPT_LANGUAGE="ru")
    assert "Часы работы: Пн–Сб 08:00–20:00" in page.content.decode()


def test_hours_too_long_are_refused_and_nothing_changes(pharmacy, snapshot):
    before = snapshot()
    with pytest.raises(ValidationFailed) as caught:
        services.site_update(actor=SYSTEM, site=pharmacy.sites.get(), data={"opening_hours": "8" * 201})
    assert (caught.value.code, caught.value.details["fields"][0]["field"]) == ("too_long", "opening_hours")
    assert snapshot() == before


def test_the_organisations_file_sets_the_hours_and_a_file_without_them_keeps_them():
    run_import(
        OrganizationImporter(), to_csv([org_row(1, opening_hours="00:00–24:00")]).encode(), actor=SYSTEM
    )
    site = Site.objects.get(organization__tax_id=org_row(1)["tax_id"])
    assert site.opening_hours == "00:00–24:00"
    run_import(OrganizationImporter(), to_csv([org_row(1, district="Leninsky")]).encode(), actor=SYSTEM)
    site.refresh_from_db()
    assert (site.district, site.opening_hours) == ("Leninsky", "00:00–24:00")
