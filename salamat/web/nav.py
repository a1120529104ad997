"""The navigation registry moved to `salamat.core.nav`; re-exported here only for the apps
that still import it from the layout (TODO lead: remove once traceability, stickers and
dashboard import from `salamat.core.nav`)."""

from salamat.core.nav import SECTION_WORK, NavItem, register

__all__ = ["SECTION_WORK", "NavItem", "register"]
