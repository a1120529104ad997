"""`safe_next` moved to `salamat.core.pages`; re-exported here only for the apps that still import
it from the layout (TODO lead: remove once traceability, stickers and dashboard import from core)."""

from salamat.core.pages import safe_next

__all__ = ["safe_next"]
