"""Identity endpoints: who am I, and an organisation's API clients."""

from __future__ import annotations

from uuid import UUID

from django.db import transaction
from django.http import HttpRequest
from ninja import Router

from salamat.accounts import selectors, services
from salamat.accounts.models import Role
from salamat.accounts.schemas import ApiClientIn, ApiClientIssuedOut, ApiClientOut, WhoAmIOut
from salamat.core.api import API_AUTH, ERRORS, actor_of

router = Router(tags=["Identity"], auth=API_AUTH)


@router.get("/whoami", response={200: WhoAmIOut, **ERRORS}, summary="Who is calling")
def whoami(request: HttpRequest):
    """The person or API client behind the request, the organisation it acts for, and its roles."""
    actor = actor_of(request)
    if actor.api_client is not None:
        kind, name = "api_client", actor.api_client.name
    else:
        kind, name = "user", (actor.user.full_name or actor.user.username) if actor.user else ""
    return {
        "kind": kind,
        "user_id": actor.user.external_id if actor.user else None,
        "name": name,
        "api_client_id": actor.api_client.external_id if actor.api_client else None,
        "organization": actor.organization,
        "roles": sorted(actor.roles),
    }


@router.get("/api-clients", response={200: list[ApiClientOut], **ERRORS}, summary="List API clients")
def api_client_list(request: HttpRequest):
    """Your organisation's API clients (administrators only)."""
    actor = actor_of(request)
    actor.require_role(Role.ORG_ADMIN)
    return list(selectors.api_clients_of(actor.require_organization()))


@router.post("/api-clients", response={201: ApiClientIssuedOut, **ERRORS}, summary="Issue an API client")
def api_client_create(request: HttpRequest, payload: ApiClientIn):
    """Issues a token for your organisation's software. The token is in this answer only."""
    actor = actor_of(request)
    # The answer is built inside the transaction: a client whose token could not be shown is not kept.
    with transaction.atomic():
        client, token = services.api_client_issue(
            actor=actor,
            organization=actor.require_organization(),
            name=payload.name,
            ttl_days=payload.ttl_days,
        )
        shown = ApiClientOut.model_validate(client, from_attributes=True).model_dump(by_alias=True)
        out = ApiClientIssuedOut.model_validate({**shown, "token": token})
    return 201, out


@router.post(
    "/api-clients/{client_id}/revoke", response={200: ApiClientOut, **ERRORS}, summary="Revoke an API client"
)
def api_client_revoke(request: HttpRequest, client_id: UUID):
    """Revokes the token at once."""
    actor = actor_of(request)
    client = services.api_client_get_for_actor(actor=actor, external_id=client_id)
    return services.api_client_revoke(actor=actor, client=client)
