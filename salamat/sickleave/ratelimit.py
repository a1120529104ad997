"""A fixed-window limit on the public verification, per client address.

Kept in Django's cache: with more than one server process, configure a shared cache
(database or Redis) so that the limit holds across processes."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from salamat.core.middleware import client_ip

# (requests, seconds): at most this many verifications per address in each window.
DEFAULT_VERIFY_RATE = (20, 60)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window ends (when refused)


def verify_rate() -> tuple[int, int]:
    rate = getattr(settings, "SALAMAT", {}).get("SICK_LEAVE_VERIFY_RATE")
    return tuple(rate) if rate else DEFAULT_VERIFY_RATE  # type: ignore[return-value]


def verification_allowed(request: HttpRequest) -> Verdict:
    """Counts this request against its address; refuses past the limit of the window."""
    limit, window = verify_rate()
    now = int(time.time())
    window_start = now - now % window
    key = f"sickleave:verify:{client_ip(request) or 'unknown'}:{window_start}"
    cache.add(key, 0, timeout=window + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=window + 5)
        count = 1
    if count > limit:
        return Verdict(False, max(1, window_start + window - now))
    return Verdict(True, 0)
