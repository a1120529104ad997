"""Who is acting: a person (web session or ESI login) or an organisation's API client."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from salamat.core.errors import PermissionDenied

if TYPE_CHECKING:
    # Annotations only: an actor carries these rows; core never imports the apps at run time.
    from django.http import HttpRequest

    from salamat.accounts.models import ApiClient, User
    from salamat.registry.models import Organization


@dataclass(frozen=True)
class Actor:
    """The caller of a service, with the organisation it acts for and its roles there."""

    user: User | None = None
    api_client: ApiClient | None = None
    organization: Organization | None = None
    roles: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_system(self) -> bool:
        return self.user is None and self.api_client is None

    @property
    def label(self) -> str:
        if self.api_client is not None:
            return f"api-client:{self.api_client.external_id}"
        if self.user is not None:
            return f"user:{self.user.pk}"
        return "system"

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def require_role(self, *roles: str) -> None:
        """Raises `PermissionDenied(role_required)` unless the actor has one of `roles`."""
        if not self.has_role(*roles):
            from django.utils.translation import gettext as _

            raise PermissionDenied(
                "role_required",
                _("This needs one of the roles: %(roles)s.") % {"roles": ", ".join(sorted(roles))},
                details={"required_roles": sorted(roles)},
            )

    def require_organization(self) -> Organization:
        """The organisation the actor acts for, or `PermissionDenied(no_organization)`."""
        if self.organization is None:
            from django.utils.translation import gettext as _

            raise PermissionDenied("no_organization", _("This needs an organisation to act for."))
        return self.organization


SYSTEM = Actor()


# --- where actors come from ------------------------------------------------------------
# Turning a request, a person or an API token into an `Actor` reads the accounts tables, and
# the accounts app sits above core and registry. So it registers its functions here at
# start-up (`AccountsConfig.ready`) and the modules below it ask through these functions.


@dataclass(frozen=True)
class ActorSource:
    """How requests, people and API tokens become actors (registered by `salamat.accounts`)."""

    for_request: Callable[[HttpRequest], Actor]
    for_user: Callable[..., Actor]
    authenticate_api_client: Callable[[str], Any]
    for_api_client: Callable[[Any], Actor]


_source: ActorSource | None = None


def actor_source_register(source: ActorSource) -> None:
    """Installs the one `ActorSource` (the accounts app does, in its `AppConfig.ready`)."""
    global _source
    _source = source


def _registered_source() -> ActorSource:
    if _source is None:
        raise RuntimeError("No actor source registered: is salamat.accounts in INSTALLED_APPS?")
    return _source


def actor_for_request(request: HttpRequest) -> Actor:
    """The actor behind a request: its API client, else the logged-in person (see accounts)."""
    return _registered_source().for_request(request)


def actor_for_user(user: User, organization: Organization | None = None) -> Actor:
    """The actor for a person acting for `organization` (default: their first one)."""
    return _registered_source().for_user(user, organization)


def api_client_authenticate(token: str) -> ApiClient:
    """The API client a bearer token belongs to, or `AuthenticationFailed` saying why not."""
    return _registered_source().authenticate_api_client(token)


def actor_for_api_client(client: ApiClient) -> Actor:
    """The actor of an organisation's API client."""
    return _registered_source().for_api_client(client)
