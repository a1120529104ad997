"""One fixed-window rate limiter for public endpoints, per client address.

A counter per (bucket, address, window) in Django's cache: one `add` and one `incr` per
request. Production sets CACHES to a shared memcached/Redis so every worker counts
together; with the default local-memory cache each worker counts alone (a looser limit,
never a stricter one). A database counter would turn every public read into a write."""

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
