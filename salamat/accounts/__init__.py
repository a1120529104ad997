"""People, their roles in organisations, API clients and the ESI login (OpenID Connect).

Rooms: all of them; the ESI login is spread over them — `claims.py` (pure: what ESI's claims
say), `services.esi_user_login`, `views.py` + `urls.py` (/oidc/…), `signals.esi_logged_in` —
and `oidc.py` is the relying-party backend mozilla-django-oidc calls. The login, logout,
organisation switch and API-client pages are in `salamat.web` with the layout they frame."""
