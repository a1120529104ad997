from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from ninja import Schema
from pydantic import Field


class ProductOut(Schema):
    id: UUID = Field(alias="external_id")
    registration_number: str
    registered_on: date
    valid_until: date | None
    trade_name: str
    inn: str
    atc_code: str
    dosage_form: str
    trade_name_ru: str = Field(description="Trade name in Russian; blank where the registry has none.")
    trade_name_ky: str = Field(description="Trade name in Kyrgyz; blank where the registry has none.")
    inn_ru: str = Field(description="INN in Russian; blank where the registry has none.")
    inn_ky: str = Field(description="INN in Kyrgyz; blank where the registry has none.")
    dosage_form_ru: str = Field(description="Dosage form in Russian, from the controlled list.")
    dosage_form_ky: str = Field(description="Dosage form in Kyrgyz, from the controlled list.")
    dosage_form_code: str | None = Field(
        description="The dosage form's term in the controlled list; null when it is not one of its terms."
    )
    strength: str
    units_per_package: int
    manufacturer_name: str
    manufacturer_country: str
    gtins: list[str] = Field(description="GTIN-14s of the product's packages.")

    @staticmethod
    def resolve_dosage_form_code(obj) -> str | None:
        if isinstance(obj, dict):
            return obj.get("dosage_form_code")
        return obj.form.code if obj.form_id else None

    @staticmethod
    def resolve_gtins(obj) -> list[str]:
        if isinstance(obj, dict):
            return obj.get("gtins", [])
        return [g.gtin for g in obj.gtins.all()]


class SiteOut(Schema):
    id: UUID = Field(alias="external_id")
    name: str
    address: str
    region: str
    district: str
    gln: str | None
    opening_hours: str = Field(description="As the site gives them; blank when not known.")


class OrganizationPublicOut(Schema):
    """What anyone may know about a participant."""

    id: UUID = Field(alias="external_id")
    name: str
    short_name: str
    org_type: str
    ownership: str
    tax_id: str
    region: str
    status: str
    sites: list[SiteOut]

    @staticmethod
    def resolve_sites(obj) -> list:
        if isinstance(obj, dict):
            return obj.get("sites", [])
        return [s for s in obj.sites.all() if s.is_active]


class OrganizationFullOut(OrganizationPublicOut):
    """The full record: for the regulator and the organisation itself."""

    legal_address: str
    email: str
    phone: str
    licence_number: str
    created_at: datetime
    updated_at: datetime
    full: bool = True
