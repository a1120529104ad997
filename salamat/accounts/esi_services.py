"""The platform account behind an ESI login: matched on ESI's subject, then on the PIN —
never on the e-mail address, which people share, change and mistype."""

from __future__ import annotations

import hashlib

from django.db import transaction
from django.utils.translation import gettext as _

from salamat.accounts.esi_claims import EsiIdentity
from salamat.accounts.models import User
from salamat.accounts.services import user_create
from salamat.core.actors import SYSTEM, Actor
from salamat.core.audit import audit_record
from salamat.core.errors import PermissionDenied

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
