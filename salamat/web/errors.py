"""`error_page` moved to `salamat.core.pages`; re-exported here only for the apps that still import
it from the layout (TODO lead: remove once traceability, stickers and dashboard import from core)."""

from salamat.core.pages import error_page

__all__ = ["error_page"]
