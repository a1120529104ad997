"""The one error family of the platform.

Pure module (no Django import) so that pure rule modules can raise these too.
Every refusal carries a stable snake_case ``code`` that API clients switch on, a
human ``message`` (already translated where the caller had a language) and
machine-readable ``details``. ``salamat.core.api`` maps them to HTTP in one place.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal by a business rule; maps to HTTP 400 unless a subclass says otherwise."""

    status_code = 400

    def __init__(self, code: str, message: str = "", *, details: Any = None, status_code: int | None = None):
        super().__init__(message or code)
        self.code = code
        self.message = str(message or code)
        self.details = details if details is not None else {}
        if status_code is not None:
            self.status_code = status_code

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class ValidationFailed(DomainError):
    """Input that does not have the right shape (422)."""

    status_code = 422


class NotFound(DomainError):
    """The object does not exist or the caller may not know that it exists (404)."""

    status_code = 404


class PermissionDenied(DomainError):
    """The caller is known but may not do this (403)."""

    status_code = 403


class Conflict(DomainError):
    """The request clashes with the current state (409)."""

    status_code = 409


class AuthenticationFailed(DomainError):
    """No valid credentials (401)."""

    status_code = 401


def field_error(field: str, code: str, message: str) -> ValidationFailed:
    """A 422 naming one field, in the same shape as schema validation errors."""
    return ValidationFailed(
        code, message, details={"fields": [{"field": field, "code": code, "message": message}]}
    )
