"""Writes on people, memberships and API clients. Every one is atomic and audited."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salamat.accounts.claims import EsiIdentity
from salamat.accounts.models import ApiClient, Membership, Role, User
from salamat.accounts.roles import ALLOWED_ROLES
from salamat.core.actors import SYSTEM, Actor
from salamat.core.audit import audit_record
from salamat.core.conf import setting
from salamat.core.errors import Conflict, NotFound, PermissionDenied, field_error
from salamat.core.identifiers import validate_pin
from salamat.registry.models import Organization, OrganizationStatus

TOKEN_PREFIX = "slm_"


def hash_token(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough (no password stretching needed).
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def user_create(
    *,
    actor: Actor,
    username: str,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    middle_name: str = "",
    email: str = "",
    pin: str | None = None,
    is_staff: bool = False,
) -> User:
    """Creates a person's account; `pin` (if given) must be a well-formed PIN not used by another account."""
    if pin:
        pin = validate_pin(pin)
        if User.objects.filter(pin=pin).exists():
            raise Conflict(
                "pin_taken", _("An account with this PIN already exists."), details={"field": "pin"}
            )
    if User.objects.filter(username=username).exists():
        raise Conflict("username_taken", _("This user name is already taken."), details={"field": "username"})
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        middle_name=middle_name,
        email=email,
        pin=pin or None,
        is_staff=is_staff,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit_record(actor=actor, action="user.create", obj=user, changes={"username": username})
    return user


@transaction.atomic
def membership_grant(
    *, actor: Actor, user: User, organization: Organization, role: str, position: str = ""
) -> Membership:
    """Gives `user` the `role` in `organization` (idempotent: an existing membership is re-activated)."""
    if role not in Role.values:
        raise field_error("role", "unknown_role", _("Unknown role."))
    if role not in ALLOWED_ROLES.get(organization.org_type, ()):
        raise field_error(
            "role",
            "role_not_allowed_here",
            _("An organisation of this type cannot have this role."),
        )
    membership, created = Membership.objects.get_or_create(
        user=user, organization=organization, role=role, defaults={"position": position}
    )
    if not created and not membership.is_active:
        membership.is_active = True
        membership.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action="membership.grant",
        obj=membership,
        changes={"user": str(user.external_id), "organization": str(organization.external_id), "role": role},
    )
    return membership


@transaction.atomic
def api_client_issue(
    *, actor: Actor, organization: Organization, name: str, ttl_days: int | None = None
) -> tuple[ApiClient, str]:
    """Issues an API client for `organization` and returns it with its token (shown once, stored hashed)."""
    _require_admin_of(actor, organization)
    if organization.status != OrganizationStatus.ACTIVE:
        raise PermissionDenied(
            "organization_not_active", _("Only an active organisation can have API clients.")
        )
    name = (name or "").strip()
    if not name:
        raise field_error("name", "required", _("Give the API client a name."))
    ttl = setting("API_TOKEN_TTL_DAYS") if ttl_days is None else ttl_days
    for _attempt in range(5):
        prefix = secrets.token_hex(6)
        token = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
        try:
            with transaction.atomic():
                client = ApiClient.objects.create(
                    organization=organization,
                    name=name[:120],
                    token_prefix=prefix,
                    token_hash=hash_token(token),
                    created_by=actor.user,
                    expires_at=timezone.now() + timedelta(days=ttl) if ttl else None,
                )
            break
        except IntegrityError:  # prefix collision: astronomically rare, try another
            continue
    else:  # pragma: no cover
        raise Conflict("token_collision", _("Could not issue a token; try again."))
    audit_record(actor=actor, action="api_client.issue", obj=client, changes={"name": client.name})
    return client, token


@transaction.atomic
def api_client_revoke(*, actor: Actor, client: ApiClient) -> ApiClient:
    """Revokes an API client at once; its token stops working on the next request.

    The organisation's administrator may revoke it, and so may the regulator (a leaked
    token must be stoppable without waiting for the organisation)."""
    client = ApiClient.objects.select_for_update().get(pk=client.pk)
    if not actor.has_role(Role.REGULATOR):
        _require_admin_of(actor, client.organization)
    if client.revoked_at is not None:
        raise Conflict("already_revoked", _("This API client is already revoked."))
    client.revoked_at = timezone.now()
    client.save(update_fields=["revoked_at"])
    audit_record(actor=actor, action="api_client.revoke", obj=client)
    return client


def _require_admin_of(actor: Actor, organization: Organization) -> None:
    if actor.is_system:
        return
    if actor.user is not None and actor.user.is_superuser:
        return
    if (
        actor.organization is None
        or actor.organization.pk != organization.pk
        or not actor.has_role(Role.ORG_ADMIN)
    ):
        raise PermissionDenied(
            "not_organization_admin",
            _("Only an administrator of this organisation may manage its API clients."),
        )


def api_client_get_for_actor(*, actor: Actor, external_id) -> ApiClient:
    client = ApiClient.objects.select_related("organization").filter(external_id=external_id).first()
    if client is None or actor.organization is None or client.organization_id != actor.organization.pk:
        raise NotFound("api_client_not_found", _("No such API client in your organisation."))
    return client


# --- ESI login -----------------------------------------------------------------------------
# The platform account behind an ESI login: matched on ESI's subject, then on the PIN —
# never on the e-mail address, which people share, change and mistype.

# Fields ESI is the authority for; refreshed from the claims at every login.
_PROFILE_FIELDS = ("last_name", "first_name", "middle_name", "email", "phone")


def esi_username(sub: str) -> str:
    """A stable user name for an ESI subject that reveals neither the subject nor the PIN."""
    return "esi-" + hashlib.sha256(sub.encode()).hexdigest()[:20]


@transaction.atomic
def esi_user_login(*, identity: EsiIdentity) -> User:
    """The account for `identity` (by `sub`, else by PIN, else new), its profile refreshed from ESI."""
    user = User.objects.select_for_update().filter(esi_sub=identity.sub).first()
    linked = False
    if user is None:
        user = User.objects.select_for_update().filter(pin=identity.pin).first()
        if user is not None:
            if user.esi_sub:  # the PIN's account belongs to another ESI subject
                raise PermissionDenied(
                    "esi_account_conflict",
                    _(
                        "Your PIN is linked to a different ESI account on this platform, so you cannot "
                        "be logged in. Please contact the platform's support service."
                    ),
                )
            linked = True
    elif user.pin != identity.pin:
        owner = User.objects.filter(pin=identity.pin).exclude(pk=user.pk).exists()
        if owner:
            raise PermissionDenied(
                "esi_account_conflict",
                _(
                    "Your PIN is linked to a different account on this platform, so you cannot be "
                    "logged in. Please contact the platform's support service."
                ),
            )
    if user is None:
        user = user_create(
            actor=SYSTEM,
            username=esi_username(identity.sub),
            first_name=identity.given_name,
            last_name=identity.family_name,
            middle_name=identity.middle_name,
            email=identity.email,
            pin=identity.pin,
        )
        linked = True
    if not user.is_active:
        raise PermissionDenied(
            "account_disabled", _("Your account on this platform is disabled. Please contact support.")
        )
    old = {name: getattr(user, name) for name in (*_PROFILE_FIELDS, "pin", "esi_sub")}
    user.esi_sub = identity.sub
    user.pin = identity.pin
    user.last_name = identity.family_name or user.last_name
    user.first_name = identity.given_name or user.first_name
    user.middle_name = identity.middle_name
    user.email = identity.email or user.email
    user.phone = identity.phone_number or user.phone
    changed = [name for name, value in old.items() if getattr(user, name) != value]
    if changed:
        user.save(update_fields=changed)
    # Only the names of changed fields: the values are personal data.
    audit_record(
        actor=Actor(user=user),
        action="user.esi_link" if linked else "user.esi_login",
        obj=user,
        changes={"updated_fields": changed} if changed else {},
    )
    return user
