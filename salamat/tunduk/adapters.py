"""The one adapter to other state systems (Tunduk, the national X-Road instance).

Callers ask `population_registry()`, `legal_entity_registry()` or
`licence_registry()` for an adapter and call `lookup(...)`; which implementation
answers is chosen by ``settings.SALAMAT["TUNDUK_BACKEND"]``:

* ``"local"`` (the default, development and tests): stand-in tables in this app.
* ``"xroad"``: the real services through the organisation's X-Road security server
  (`XRoadPopulationRegistry`; documented, not used in development).
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from salamat.core.conf import setting
from salamat.tunduk.models import LegalEntity, MedicalLicence, RegistryPerson

# --- what the registries answer (plain values, never model instances) ---------------


@dataclass(frozen=True)
class Person:
    pin: str
    family_name: str
    given_name: str
    middle_name: str
    birth_date: date
    sex: str  # "female" or "male"
    death_date: date | None = None

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.family_name, self.given_name, self.middle_name) if p)

    @property
    def is_alive(self) -> bool:
        return self.death_date is None


@dataclass(frozen=True)
class LegalEntityInfo:
    tax_id: str
    name: str
    legal_form: str
    address: str
    registered_on: date
    liquidated_on: date | None = None

    @property
    def is_operating(self) -> bool:
        return self.liquidated_on is None


@dataclass(frozen=True)
class LicenceInfo:
    number: str
    tax_id: str
    issued_on: date
    valid_until: date | None
    activities: tuple[str, ...]
    revoked_on: date | None = None

    def is_valid_on(self, day: date) -> bool:
        """In force on `day`: issued, not past its end date, not revoked by then."""
        if self.revoked_on is not None and self.revoked_on <= day:
            return False
        return self.issued_on <= day and (self.valid_until is None or day <= self.valid_until)


# --- interfaces ---------------------------------------------------------------------


class PopulationRegistry(Protocol):
    def lookup(self, pin: str) -> Person | None:
        """The person with this PIN, or None if the registry does not know it."""


class LegalEntityRegistry(Protocol):
    def lookup(self, tax_id: str) -> LegalEntityInfo | None:
        """The legal entity with this tax ID, or None."""


class LicenceRegistry(Protocol):
    def lookup(self, tax_id: str) -> list[LicenceInfo]:
        """Every medical licence issued to the holder of this tax ID (possibly none)."""

    def by_number(self, number: str) -> LicenceInfo | None:
        """The licence with this number, whoever holds it, or None."""


# --- the stand-ins backed by local tables --------------------------------------------


class LocalPopulationRegistry:
    """Answers from the `RegistryPerson` stand-in table."""

    def lookup(self, pin: str) -> Person | None:

        row = RegistryPerson.objects.filter(pin=pin).first()
        if row is None:
            return None
        return Person(
            pin=row.pin,
            family_name=row.family_name,
            given_name=row.given_name,
            middle_name=row.middle_name,
            birth_date=row.birth_date,
            sex=row.sex,
            death_date=row.death_date,
        )


class LocalLegalEntityRegistry:
    """Answers from the `LegalEntity` stand-in table."""

    def lookup(self, tax_id: str) -> LegalEntityInfo | None:

        row = LegalEntity.objects.filter(tax_id=tax_id).first()
        if row is None:
            return None
        return LegalEntityInfo(
            tax_id=row.tax_id,
            name=row.name,
            legal_form=row.legal_form,
            address=row.address,
            registered_on=row.registered_on,
            liquidated_on=row.liquidated_on,
        )


class LocalLicenceRegistry:
    """Answers from the `MedicalLicence` stand-in table."""

    @staticmethod
    def _info(row) -> LicenceInfo:
        return LicenceInfo(
            number=row.number,
            tax_id=row.tax_id,
            issued_on=row.issued_on,
            valid_until=row.valid_until,
            activities=tuple(row.activities or ()),
            revoked_on=row.revoked_on,
        )

    def lookup(self, tax_id: str) -> list[LicenceInfo]:

        return [self._info(row) for row in MedicalLicence.objects.filter(tax_id=tax_id).order_by("issued_on")]

    def by_number(self, number: str) -> LicenceInfo | None:

        row = MedicalLicence.objects.filter(number=(number or "").strip()).first()
        return self._info(row) if row is not None else None


# --- the production adapter (documented, not used in development) --------------------


class XRoadPopulationRegistry:
    """The population registry through the organisation's X-Road security server.

    X-Road REST calls go to the local security server, which signs and forwards them:
    ``GET {security_server}/r1/{service_id}/persons/{pin}`` with the header
    ``X-Road-Client: {instance}/{member_class}/{member_code}/{subsystem}`` naming the
    caller (Salamat's member and subsystem). The service path and answer fields below
    follow the usual shape and must be confirmed against the registry's published
    service description before use; TLS to the security server is configured there.

    Settings (``settings.SALAMAT``): ``XROAD_SECURITY_SERVER`` (base URL),
    ``XROAD_CLIENT`` (e.g. ``KG/GOV/70000001/salamat``), ``XROAD_POPULATION_SERVICE``
    (e.g. ``KG/GOV/70000002/population/persons``), ``XROAD_TIMEOUT`` (seconds).
    """

    def __init__(self, *, security_server: str, client: str, service: str, timeout: float = 5.0):
        if not security_server.startswith(("https://", "http://")):
            raise ImproperlyConfigured("XROAD_SECURITY_SERVER must be an http(s) URL")
        self.security_server = security_server.rstrip("/")
        self.client = client
        self.service = service.strip("/")
        self.timeout = timeout

    def build_request(self, pin: str) -> urllib.request.Request:
        """The HTTP request for one person, with the `X-Road-Client` header (no I/O)."""
        url = f"{self.security_server}/r1/{self.service}/{urllib.parse.quote(pin, safe='')}"
        return urllib.request.Request(  # noqa: S310 - the URL scheme is checked in __init__
            url,
            method="GET",
            headers={"X-Road-Client": self.client, "Accept": "application/json"},
        )

    def lookup(self, pin: str) -> Person | None:
        request = self.build_request(pin)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                data = json.load(response)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise
        return Person(
            pin=data["pin"],
            family_name=data.get("familyName", ""),
            given_name=data.get("givenName", ""),
            middle_name=data.get("middleName", ""),
            birth_date=date.fromisoformat(data["birthDate"]),
            sex=data.get("gender", ""),
            death_date=date.fromisoformat(data["deathDate"]) if data.get("deathDate") else None,
        )


# --- choosing the implementation ------------------------------------------------------


def _backend() -> str:
    return setting("TUNDUK_BACKEND")


def population_registry() -> PopulationRegistry:
    """The population registry adapter the settings select."""
    backend = _backend()
    if backend == "local":
        return LocalPopulationRegistry()
    if backend == "xroad":
        conf = settings.SALAMAT
        return XRoadPopulationRegistry(
            security_server=conf["XROAD_SECURITY_SERVER"],
            client=conf["XROAD_CLIENT"],
            service=conf["XROAD_POPULATION_SERVICE"],
            timeout=float(conf.get("XROAD_TIMEOUT", 5)),
        )
    raise ImproperlyConfigured(f"unknown TUNDUK_BACKEND {backend!r} (local or xroad)")


def legal_entity_registry() -> LegalEntityRegistry:
    """The legal-entity register adapter (only the stand-in exists so far)."""
    if _backend() != "local":
        raise ImproperlyConfigured("the X-Road legal-entity register adapter is not built yet")
    return LocalLegalEntityRegistry()


def licence_registry() -> LicenceRegistry:
    """The medical-licence register adapter (only the stand-in exists so far)."""
    if _backend() != "local":
        raise ImproperlyConfigured("the X-Road licence register adapter is not built yet")
    return LocalLicenceRegistry()
