"""What the stand-in provider puts in ID tokens and userinfo answers."""

from __future__ import annotations

from oauth2_provider.oauth2_validators import OAuth2Validator

from salamat.devidp.models import DevPerson


class StandInValidator(OAuth2Validator):
    """django-oauth-toolkit's validator, releasing ESI's claims about the fictional person.

    Tokens belong to the person's shadow user (see ``salamat.devidp.models``); the
    claims, ``sub`` included, come from the ``DevPerson`` so that the platform sees
    ESI's identifiers and never the shadow user's primary key."""

    # Claims outside this table are never released; `pin` and `organizations` need
    # scopes of their own, as the real ESI asks its clients to request them.
    oidc_claim_scope = {
        **OAuth2Validator.oidc_claim_scope,
        "pin": "pin",
        "organizations": "organizations",
    }

    def get_additional_claims(self, request):
        person = DevPerson.objects.filter(shadow_user=request.user).first()
        return person.claims() if person is not None else {}

    def get_discovery_claims(self, request):
        return sorted(self.oidc_claim_scope)
