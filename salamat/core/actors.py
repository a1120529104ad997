"""Who is acting: a person (web session or ESI login) or an organisation's API client."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from salamat.core.errors import PermissionDenied

if TYPE_CHECKING:
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
