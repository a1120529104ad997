"""One fixed-window rate limiter for public endpoints, per client address.

A counter per (bucket, address, window) in Django's cache: one `add` and one `incr` per
request. Every process shares that cache (settings.CACHES): Redis in production
(REDIS_URL), a table of the platform's own database otherwise. The address is the real
client's behind trusted proxies (`salamat.core.clientip`)."""

from __future__ import annotations

import time

from django.core.cache import cache


def fixed_window_hit(*, bucket: str, ip: str | None, limit: int, window: int) -> int:
    """Counts this request; 0 when it may go ahead, else the seconds until the window resets."""
    if limit <= 0:
        return 0
    now = int(time.time())
    start = now - now % window
    key = f"rl:{bucket}:{ip or '-'}:{start}"
    if cache.add(key, 1, timeout=window + 1):
        return 0
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window + 1)
        return 0
    return start + window - now if count > limit else 0
