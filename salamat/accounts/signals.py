"""What other modules may hook onto an ESI login, without the identity code knowing them."""

from django.dispatch import Signal

# Sent by the ESI callback once the person is logged in and the session holds ESI's
# claims (`salamat.accounts.oidc.esi_organizations(request)` answers). Arguments:
# `request`, `user` (their PIN is set: ESI vouched for it). Onboarding links the roles
# an organisation's administrator gave to that PIN (`link_pending_memberships`).
# Receivers run inside the login request: keep them quick and idempotent.
esi_logged_in = Signal()
