"""The caller's address: the one rule for every rate limit, lockout and audit row.

Behind the platform's reverse proxies every request comes from a proxy's address, so the
address is read from ``X-Forwarded-For`` — but only the hops that a trusted proxy appended can be
believed: anyone can send the header. ``settings.TRUSTED_PROXIES`` lists the proxies (addresses or
CIDR networks). The client is the rightmost address in the chain that is not a trusted proxy
(the leftmost entries are whatever the client chose to write)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    # An IPv4 client seen through an IPv6 socket: count it as the IPv4 address.
    return getattr(address, "ipv4_mapped", None) or address


def is_trusted_proxy(address, proxies: tuple[str, ...] | None = None) -> bool:
    networks = _networks(tuple(settings.TRUSTED_PROXIES if proxies is None else proxies))
    return address is not None and any(address in net for net in networks)


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address: the peer, or through trusted proxies the rightmost untrusted hop."""
    peer = _parse(request.META.get("REMOTE_ADDR") or "")
    if peer is None:
        return request.META.get("REMOTE_ADDR") or None
    if not is_trusted_proxy(peer):
        return str(peer)
    client = peer
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            break  # a garbled entry: nothing to its left can be believed
        client = address
        if not is_trusted_proxy(address):
            break
    return str(client)
