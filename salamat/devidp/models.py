"""The fictional people the stand-in ESI provider can log in.

**Why a shadow user.** django-oauth-toolkit ties every grant and token to a row of
``AUTH_USER_MODEL``, so each fictional person has a *shadow* ``accounts.User``: inactive,
with no usable password, no PIN, no ESI subject and no membership. It exists only so
that the provider's tokens have an owner; it can never log in to the platform (Django's
backends refuse inactive users, and the ESI backend matches on ``esi_sub``/``pin``,
which a shadow user never has). The platform account of the person is a different row,
created or matched by the platform's own ESI login (``salamat.accounts.oidc``) from the
claims in the ID token — exactly as with the real ESI.

**Why not the platform session.** Who is logged in *at the provider* is kept in the
provider's own signed cookie (``devidp_login``, path ``/devidp/``), never in the
platform's session: app and provider share one host here, and logging the person into
``request.session`` would log them into the platform directly, skipping the very
OpenID Connect flow this provider exists to exercise.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DevPerson(models.Model):
    """A fictional person known to the stand-in ESI, with the claims ESI would release."""

    sub = models.CharField(_("subject"), max_length=64, unique=True)  # ESI's stable subject id
    label = models.CharField(_("who this is"), max_length=120, blank=True)  # shown on the login page
    pin = models.CharField(_("PIN"), max_length=32)  # not validated: a provider may send anything
    family_name = models.CharField(_("family name"), max_length=150)
    given_name = models.CharField(_("given name"), max_length=150)
    middle_name = models.CharField(_("middle name"), max_length=150, blank=True)
    gender = models.CharField(_("gender"), max_length=10, blank=True)  # "female" / "male" (OIDC)
    birthdate = models.DateField(_("date of birth"), null=True, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone_number = models.CharField(_("phone"), max_length=32, blank=True)
    # [{"tax_id": "…", "name": "…", "role": "…"}]: legal entities the person may represent.
    organizations = models.JSONField(_("organisations"), default=list, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=100)
    # The provider-side owner of tokens; never a platform account (see the module docstring).
    shadow_user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="devidp_person"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("stand-in ESI person")
        verbose_name_plural = _("stand-in ESI people")
        ordering = ["sort_order", "family_name", "given_name"]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.family_name, self.given_name, self.middle_name) if p)

    def claims(self) -> dict:
        """The claims ESI releases about this person (filtered by scope by the validator)."""
        return {
            "sub": self.sub,
            "pin": self.pin,
            "name": self.full_name,
            "family_name": self.family_name,
            "given_name": self.given_name,
            "middle_name": self.middle_name,
            "gender": self.gender,
            "birthdate": self.birthdate.isoformat() if isinstance(self.birthdate, date) else "",
            "email": self.email,
            "email_verified": bool(self.email),
            "phone_number": self.phone_number,
            "phone_number_verified": bool(self.phone_number),
            "organizations": list(self.organizations or []),
        }
