from __future__ import annotations

from datetime import datetime
from uuid import UUID

from ninja import Schema
from pydantic import Field


class OrganizationRef(Schema):
    id: UUID = Field(alias="external_id")
    name: str
    org_type: str
    tax_id: str


class WhoAmIOut(Schema):
    kind: str = Field(description="`user` or `api_client`.")
    user_id: UUID | None = None
    name: str
    api_client_id: UUID | None = None
    organization: OrganizationRef | None = None
    roles: list[str]


class ApiClientIn(Schema):
    name: str = Field(min_length=1, max_length=120, description="What the client is, e.g. 'POS till 2'.")
    ttl_days: int | None = Field(default=None, ge=0, le=3650, description="Days until expiry (0 = never).")


class ApiClientOut(Schema):
    id: UUID = Field(alias="external_id")
    name: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiClientIssuedOut(ApiClientOut):
    token: str = Field(description="The secret token. Shown once; store it now.")
