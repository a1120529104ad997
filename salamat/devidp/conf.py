"""Settings of the stand-in ESI provider, imported by ``salamat/settings.py`` in
development and test modes only (no Django import here: settings are still loading).

The provider signs ID tokens with an RSA key that is generated on first use and kept
under ``var/devidp/`` (ignored by git, never committed). django-oauth-toolkit reads
the key from ``OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"]``; a lazy value stands there so
that merely loading the settings (``manage.py check``, migrations, every test run)
does not create key files.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

# Claims the stand-in provider releases, by the scope that releases them; the
# standard OIDC ones (profile, email, phone) come from django-oauth-toolkit.
ESI_SCOPES = {
    "openid": "OpenID Connect",
    "profile": "Name, gender and date of birth",
    "email": "E-mail address",
    "phone": "Phone number",
    "pin": "Personal identification number (PIN)",
    "organizations": "Legal entities the person may represent",
}

_lock = threading.Lock()
_cache: dict[Path, str] = {}


def signing_key_pem(path: Path) -> str:
    """The provider's RSA private key (PEM) at `path`, created there on first use."""
    with _lock:
        if path in _cache:
            return _cache[path]
        if not path.exists():
            _create_key(path)
        pem = path.read_text()
        _cache[path] = pem
        return pem


def _create_key(path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written aside and linked into place: two processes starting at once (the
    # development server's reloader, parallel test runs) end up with one key.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, pem)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


class LazySigningKey:
    """Stands for the PEM string in django-oauth-toolkit's settings; reads (or creates)
    the key file only when a token is signed or the JWKS is served."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def __bool__(self) -> bool:
        return True

    def __str__(self) -> str:
        return signing_key_pem(self.path)

    def encode(self, *args: Any, **kwargs: Any) -> bytes:
        return str(self).encode(*args, **kwargs)

    def __repr__(self) -> str:
        return f"LazySigningKey({str(self.path)!r})"


def oauth2_provider_settings(var_dir: Path) -> dict[str, Any]:
    """``OAUTH2_PROVIDER`` for the stand-in provider: OIDC on, RS256, PKCE S256 required."""
    return {
        "OIDC_ENABLED": True,
        "OIDC_RSA_PRIVATE_KEY": LazySigningKey(Path(var_dir) / "devidp" / "oidc-signing-key.pem"),
        "OAUTH2_VALIDATOR_CLASS": "salamat.devidp.validators.StandInValidator",
        "SCOPES": ESI_SCOPES,
        "DEFAULT_SCOPES": ["openid"],
        "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
        "PKCE_REQUIRED": True,
        # RFC 9700: refuse `plain` PKCE, the implicit and password grants, tokens in
        # query strings; send the RFC 9207 `iss` parameter with the authorization code.
        "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
        "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
        "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
        "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
        "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
        # The test server listens on a new port every run: loopback redirect URIs
        # (http://127.0.0.1/…, http://localhost/…) match any port (RFC 8252 §7.3).
        "ALLOW_LOCALHOST_LOOPBACK": True,
        "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
        "ACCESS_TOKEN_EXPIRE_SECONDS": 600,
        "ID_TOKEN_EXPIRE_SECONDS": 600,
        "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
        "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,
    }
