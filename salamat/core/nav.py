"""The navigation registry: every app tells the layout which of its pages each role may open.

An app registers its entries once, in its ``AppConfig.ready()`` (or at import of its
``urls.py``)::

    from salamat.core.nav import NavItem, register

    register(NavItem(
        roles={"pharmacist"},
        url_name="traceability:sell",
        label=_("Sell"),                     # gettext_lazy: translated when shown
        description=_("Scan packages and record a sale."),
        icon="cart",
    ))

Entries whose page does not exist (yet) are skipped silently, so the layout and the home
page never need editing when a module goes live. Registering again under the same key
(url name or path) replaces the earlier entry, so the app that owns a page may refine the
placeholder another app registered for it.

Who sees an entry is decided here, from the `Actor` — never in a template. It lives in core,
below every app, so that each app registers its own entries and the layout (`salamat.web`, at
the top) shows them without any app importing the layout.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.urls import NoReverseMatch, Resolver404, resolve, reverse

from salamat.core.actors import Actor

# Audiences besides the roles of `salamat.core.roles.Role`.
PUBLIC = "public"  # everyone, logged in or not
ANONYMOUS = "anonymous"  # only visitors who are not logged in
AUTHENTICATED = "authenticated"  # any logged-in person, with or without an organisation
CITIZEN = "citizen"  # a logged-in person acting for no organisation

# Sections of the home page, in display order.
SECTION_WORK = "work"  # the tools of the actor's role
SECTION_PUBLIC = "public"  # public services anyone may use
SECTION_ACCOUNT = "account"  # the person's account and organisation settings
SECTIONS = (SECTION_WORK, SECTION_PUBLIC, SECTION_ACCOUNT)


@dataclass(frozen=True)
class NavItem:
    """One link to a page, for the audiences in `roles`."""

    roles: frozenset[str] | set[str] | Iterable[str]
    label: Any  # a (lazy) translated string
    url_name: str = ""  # e.g. "traceability:sell"; or give `path`
    path: str = ""  # an absolute path such as "/check", shown only once something answers there
    description: Any = ""  # one line on the home page card
    icon: str = "dot"  # a name from salamat/web/templates/web/icons.html
    section: str = SECTION_WORK
    order: int = 100  # smaller first
    in_header: bool = False  # also a link in the header's menu
    # An extra condition on the actor (e.g. "is staff"); the roles check comes first.
    condition: Callable[[Actor], bool] | None = None
    # Keyword arguments of the URL, computed for the actor (e.g. their organisation's id).
    url_kwargs: Callable[[Actor], dict[str, Any] | None] | None = field(default=None, compare=False)
    # The home page section for this actor, when it depends on who asks (else `section`).
    section_for: Callable[[Actor], str] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if bool(self.url_name) == bool(self.path):
            raise ValueError("A NavItem needs exactly one of url_name or path.")
        object.__setattr__(self, "roles", frozenset(self.roles))

    @property
    def key(self) -> str:
        return self.url_name or self.path


@dataclass(frozen=True)
class ResolvedNavItem:
    """A `NavItem` the actor may see, with its URL resolved."""

    item: NavItem
    url: str

    def __getattr__(self, name: str) -> Any:
        return getattr(self.item, name)


_registry: dict[str, NavItem] = {}
_lock = threading.Lock()


def register(*items: NavItem) -> None:
    """Adds entries (or replaces the ones with the same url name / path)."""
    with _lock:
        for item in items:
            _registry[item.key] = item


def unregister(key: str) -> None:
    with _lock:
        _registry.pop(key, None)


def registered() -> list[NavItem]:
    with _lock:
        return sorted(_registry.values(), key=lambda i: (i.order, i.key))


def audiences_of(actor: Actor) -> frozenset[str]:
    """The audiences an actor belongs to: PUBLIC always, then anonymous or their roles."""
    if actor.user is None and actor.api_client is None:
        return frozenset({PUBLIC, ANONYMOUS})
    audiences = {PUBLIC, AUTHENTICATED, *actor.roles}
    if actor.organization is None:
        audiences.add(CITIZEN)
    return frozenset(audiences)


def _url_of(item: NavItem, actor: Actor) -> str | None:
    if item.path:
        try:
            resolve(item.path)
        except Resolver404:
            return None
        return item.path
    kwargs = None
    if item.url_kwargs is not None:
        kwargs = item.url_kwargs(actor)
        if kwargs is None:
            return None
    try:
        return reverse(item.url_name, kwargs=kwargs)
    except NoReverseMatch:
        return None


def nav_items_for(actor: Actor, *, section: str | None = None, header: bool = False) -> list[ResolvedNavItem]:
    """The entries `actor` may see whose pages exist, in display order."""
    audiences = audiences_of(actor)
    out = []
    for item in registered():
        if section is not None and (item.section_for(actor) if item.section_for else item.section) != section:
            continue
        if header and not item.in_header:
            continue
        if not audiences.intersection(item.roles):
            continue
        if item.condition is not None and not item.condition(actor):
            continue
        url = _url_of(item, actor)
        if url is not None:
            out.append(ResolvedNavItem(item=item, url=url))
    return out


def home_sections_for(actor: Actor) -> list[tuple[str, list[ResolvedNavItem]]]:
    """The home page's sections that have at least one entry for `actor`."""
    sections = []
    for section in SECTIONS:
        items = nav_items_for(actor, section=section)
        if items:
            sections.append((section, items))
    return sections
