"""One fixed-window rate limiter for public endpoints, per client address.

A counter per (bucket, address, window) in Django's cache, which every process shares
(settings.CACHES): Redis in production (REDIS_URL), a table of the platform's own database
otherwise. The address is the real client's behind trusted proxies (`salamat.core.clientip`).

Each process also counts in its own memory and writes to the shared counter only every
`sync_every(limit)` hits of an address (and at every hit once the address nears its limit):
with the database cache a shared write costs four queries and a commit, more than the public
check it guards, while nearly every address makes a handful of requests a minute. A process
decides on the shared count it last read plus its own hits since, so within one process the
limit is exact, and over P processes an address gets at most (P − 1) × (sync_every − 1)
requests more than the limit: nothing for limits under 40 (every hit is shared, as the
sick-leave verification's 20), 5 per other process for the public check's 120."""

from __future__ import annotations

import threading
import time

from django.core.cache import cache

# Per process: (bucket, window, window start) -> address -> [hits not yet shared, shared count]
_local: dict[tuple[str, int, int], dict[str, list[int]]] = {}
_lock = threading.Lock()
_MAX_ADDRESSES = 200_000  # per window; past it the window's local counts start afresh (forgiving)
_clock = time.time  # tests pin it, so that their requests cannot straddle two windows


def sync_every(limit: int) -> int:
    """Hits of one address a process may count alone before adding them to the shared counter."""
    return max(1, limit // 20)


def forget() -> None:
    """Drops this process's own counts (tests that clear the shared cache call it too)."""
    with _lock:
        _local.clear()


def seconds_left(window: int) -> int:
    """Seconds until the current window of `window` seconds ends."""
    now = int(_clock())
    return window - now % window


def fixed_window_hit(*, bucket: str, ip: str | None, limit: int, window: int) -> int:
    """Counts this request; 0 when it may go ahead, else the seconds until the window resets."""
    if limit <= 0:
        return 0
    now = int(_clock())
    start = now - now % window
    address = ip or "-"
    every = sync_every(limit)
    with _lock:
        counts = _local.get((bucket, window, start))
        if counts is None or len(counts) >= _MAX_ADDRESSES:
            for old in [k for k in _local if k[0] == bucket and k[1] == window]:
                del _local[old]  # windows that ended
            counts = _local[(bucket, window, start)] = {}
        entry = counts.setdefault(address, [0, 0])
        entry[0] += 1
        pending, shared = entry
        if pending < every and shared + pending < limit - every:
            return 0  # far from the limit: counted here, shared later
        entry[0] = 0
    total = _share(f"rl:{bucket}:{address}:{start}", pending, window)
    with _lock:
        entry[1] = max(entry[1], total)
    return start + window - now if total > limit else 0


def _share(key: str, hits: int, window: int) -> int:
    """Adds `hits` to the shared counter; answers its new value."""
    if cache.add(key, hits, timeout=window + 1):
        return hits
    try:
        return cache.incr(key, hits)
    except ValueError:  # expired between add and incr
        cache.add(key, hits, timeout=window + 1)
        return hits
