"""A stand-in for ESI, the national single sign-on (development and tests only).

Rooms: no selectors.py, api.py or schemas.py — it speaks OAuth 2 / OpenID Connect through
django-oauth-toolkit (`oauth_urls.py`), not the platform's API; its reads are the provider's."""
