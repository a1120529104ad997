"""Reads about people and credentials, and the one way a request becomes an `Actor`."""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from datetime import timedelta

from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from salamat.accounts.models import ApiClient, Membership, User
from salamat.accounts.roles import roles_for_organization_type
from salamat.accounts.services import TOKEN_PREFIX, hash_token
from salamat.core.actors import Actor
from salamat.core.errors import AuthenticationFailed, PermissionDenied
from salamat.core.prepared import bind, built_once, instance_from_row, placeholder_str, run_prepared
from salamat.registry.models import Organization, OrganizationStatus

SESSION_ORG_KEY = "salamat_org"
# Writing last_used_at on every call would turn every read into a write.
_LAST_USED_RESOLUTION = timedelta(minutes=1)


def memberships_of(user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user, is_active=True)
        .select_related("organization")
        .order_by("organization__name", "role")
    )


def membership_active(
    *,
    user: User,
    role: str | None = None,
    roles: Iterable[str] | None = None,
    organization: Organization | None = None,
    organization_tax_id: str | None = None,
) -> Membership | None:
    """`user`'s active membership (with `role`, in `organization` or the one with that tax ID),
    if they hold one: how other modules ask who holds which role without reading the table."""
    memberships = Membership.objects.filter(user=user, is_active=True)
    if role is not None:
        memberships = memberships.filter(role=role)
    if roles is not None:
        memberships = memberships.filter(role__in=list(roles))
    if organization is not None:
        memberships = memberships.filter(organization=organization)
    if organization_tax_id is not None:
        memberships = memberships.filter(organization__tax_id=organization_tax_id)
    return memberships.order_by("pk").first()


def user_with_pin(pin: str) -> User | None:
    """The account of the person with this PIN, if they have one."""
    return User.objects.filter(pin=pin).first()


def user_by_external_id(external_id, *, with_active_membership: bool = False) -> User | None:
    """The account with this public id (a practitioner reference), optionally only if it has an
    active membership somewhere."""
    users = User.objects.filter(external_id=external_id)
    if with_active_membership:
        users = users.filter(memberships__is_active=True)
    return users.first()


def organizations_of(user: User) -> list[Organization]:
    seen: dict[int, Organization] = {}
    for membership in memberships_of(user):
        seen.setdefault(membership.organization_id, membership.organization)
    return list(seen.values())


def actor_for_user(user: User, organization: Organization | None = None) -> Actor:
    """The actor for a logged-in person acting for `organization` (default: their first one)."""
    memberships = list(memberships_of(user))
    if organization is None and memberships:
        organization = memberships[0].organization
    roles = frozenset(
        m.role for m in memberships if organization is not None and m.organization_id == organization.pk
    )
    if organization is not None and not roles and not user.is_superuser:
        organization = None
    return Actor(user=user, organization=organization, roles=roles)


def actor_for_request(request: HttpRequest) -> Actor:
    """The actor behind a request: its API client if the request carried a token, else the
    logged-in person acting for the organisation chosen in the session."""
    cached = getattr(request, "actor", None)
    if cached is not None:
        return cached
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return Actor()
    organization = None
    wanted = request.session.get(SESSION_ORG_KEY) if hasattr(request, "session") else None
    if wanted:
        organization = next((o for o in organizations_of(user) if str(o.external_id) == wanted), None)
    actor = actor_for_user(user, organization)
    request.actor = actor
    return actor


_CLIENT_FIELDS = tuple(f.attname for f in ApiClient._meta.concrete_fields)
_ORG_FIELDS = tuple(f.attname for f in Organization._meta.concrete_fields)


def _api_client_by_prefix(prefix: str) -> ApiClient | None:
    """The API client (with its organisation) whose token starts with `prefix`, or None. Every
    API call asks this: on PostgreSQL the query is built once and runs prepared
    (`salamat.core.prepared`); nothing is cached, so a revocation counts on the next request."""
    if connection.vendor != "postgresql":
        return ApiClient.objects.select_related("organization").filter(token_prefix=prefix).first()
    sql, params = built_once(
        "api_client_by_prefix",
        lambda: ApiClient.objects.filter(token_prefix=placeholder_str(1)).values_list(
            *_CLIENT_FIELDS, *(f"organization__{name}" for name in _ORG_FIELDS)
        )[:1],
    )
    rows = run_prepared(sql, bind(params, {placeholder_str(1): prefix}))
    if not rows:
        return None
    client = instance_from_row(ApiClient, _CLIENT_FIELDS, rows[0][: len(_CLIENT_FIELDS)])
    organization = instance_from_row(Organization, _ORG_FIELDS, rows[0][len(_CLIENT_FIELDS) :])
    ApiClient.organization.field.set_cached_value(client, organization)
    return client


def api_client_authenticate(token: str) -> ApiClient:
    """The API client a bearer token belongs to, or `AuthenticationFailed` saying why not."""
    token = (token or "").strip()
    parts = token[len(TOKEN_PREFIX) :].split("_", 1) if token.startswith(TOKEN_PREFIX) else []
    if len(parts) != 2:
        raise AuthenticationFailed("invalid_token", _("The API token is malformed."))
    client = _api_client_by_prefix(parts[0])
    if client is None or not hmac.compare_digest(client.token_hash, hash_token(token)):
        raise AuthenticationFailed("invalid_token", _("The API token is not valid."))
    now = timezone.now()
    if client.revoked_at is not None:
        raise AuthenticationFailed("token_revoked", _("The API token was revoked."))
    if client.expires_at is not None and client.expires_at <= now:
        raise AuthenticationFailed(
            "token_expired", _("The API token has expired; ask your administrator for a new one.")
        )
    if client.organization.status != OrganizationStatus.ACTIVE:
        raise PermissionDenied(
            "organization_not_active", _("Your organisation is not active on the platform.")
        )
    if client.last_used_at is None or now - client.last_used_at > _LAST_USED_RESOLUTION:
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
        client.last_used_at = now
    return client


def actor_for_api_client(client: ApiClient) -> Actor:
    # An API client acts for its organisation with every role the organisation's type implies.
    return Actor(
        api_client=client,
        organization=client.organization,
        roles=frozenset(roles_for_organization_type(client.organization.org_type)),
    )


def api_clients_of(organization: Organization) -> QuerySet[ApiClient]:
    return ApiClient.objects.filter(organization=organization).order_by("-created_at")


def users_with_role(*, role: str, organization: Organization | None = None) -> QuerySet[User]:
    """People holding `role` (actively), optionally in `organization`, by name: e.g. the
    regulator's staff an alert can be assigned to."""
    memberships = Membership.objects.filter(role=role, is_active=True)
    if organization is not None:
        memberships = memberships.filter(organization=organization)
    return User.objects.filter(is_active=True, pk__in=memberships.values("user_id")).order_by(
        "last_name", "first_name", "username"
    )
