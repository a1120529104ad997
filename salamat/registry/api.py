"""Drug registry and participants directory."""

from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from salamat.core.api import API_AUTH, ERRORS, Page, actor_of, paginate
from salamat.core.errors import NotFound
from salamat.registry import selectors
from salamat.registry.models import Organization, OrganizationType, Region
from salamat.registry.schemas import OrganizationFullOut, OrganizationPublicOut, ProductOut

router = Router(tags=["Registry"], auth=API_AUTH)


class ProductFilter(Schema):
    q: str = Field(
        default="",
        max_length=200,
        description="Trade name or INN (in Russian, Kyrgyz or English), registration number or GTIN.",
    )
    gtin: str = Field(default="", max_length=14, pattern=r"^(\d{8}|\d{12,14})?$")
    inn: str = Field(default="", max_length=200, description="INN in any language, or a part of it.")
    atc: str = Field(default="", max_length=7, description="ATC code or its prefix (e.g. J01).")
    page: int = Field(default=1, ge=1)
    page_size: int = Field(default=50, ge=1, le=200)


@router.get("/products", response={200: Page[ProductOut], **ERRORS}, summary="Search the drug registry")
def product_list(request: HttpRequest, filters: Query[ProductFilter]):
    """Registered medicines by GTIN, trade name, INN or ATC code, a page at a time."""
    qs = selectors.product_search(q=filters.q, gtin=filters.gtin, inn=filters.inn, atc=filters.atc)
    return paginate(qs, page=filters.page, page_size=filters.page_size)


@router.get("/products/{product_id}", response={200: ProductOut, **ERRORS}, summary="One product")
def product_detail(request: HttpRequest, product_id: UUID):
    product = selectors.product_search().filter(external_id=product_id).first()
    if product is None:
        raise NotFound("product_not_found", _("No product with this id in the registry."))
    return product


class OrganizationFilter(Schema):
    q: str = Field(default="", max_length=200, description="Name or tax ID.")
    org_type: OrganizationType | None = None
    region: Region | None = None
    page: int = Field(default=1, ge=1)
    page_size: int = Field(default=50, ge=1, le=200)


@router.get(
    "/organizations", response={200: Page[OrganizationPublicOut], **ERRORS}, summary="Participants directory"
)
def organization_list(request: HttpRequest, filters: Query[OrganizationFilter]):
    """Active participants with their public fields and sites."""
    qs = selectors.organization_directory(
        q=filters.q, org_type=filters.org_type or "", region=filters.region or ""
    )
    return paginate(qs, page=filters.page, page_size=filters.page_size)


@router.get(
    "/organizations/{org_id}",
    response={200: OrganizationFullOut | OrganizationPublicOut, **ERRORS},
    summary="One participant",
)
def organization_detail(request: HttpRequest, org_id: UUID):
    """The full record for the regulator and the organisation itself; public fields for everyone else."""
    actor = actor_of(request)
    org = Organization.objects.prefetch_related("sites").filter(external_id=org_id).first()
    if org is None:
        raise NotFound("organization_not_found", _("No organisation with this id."))
    # A dict holding only the fields of the chosen shape: validated against the union of the
    # two response shapes, a public record can never come out as the full one.
    if selectors.organization_visible_in_full(actor=actor, organization=org):
        return OrganizationFullOut.model_validate(org, from_attributes=True).model_dump(by_alias=True)
    if not org.is_active:
        raise NotFound("organization_not_found", _("No organisation with this id."))
    return OrganizationPublicOut.model_validate(org, from_attributes=True).model_dump(by_alias=True)
