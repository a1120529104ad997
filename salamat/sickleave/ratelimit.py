"""A fixed-window limit on the public verification, per client address.

The counting is the platform's one limiter (`salamat.core.ratelimit`); this module
holds the verification's own rate."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from salamat.core.clientip import client_ip
from salamat.core.conf import setting
from salamat.core.ratelimit import fixed_window_hit

# (requests, seconds): at most this many verifications per address in each window.


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window ends (when refused)


def verify_rate() -> tuple[int, int]:
    limit, window = setting("SICK_LEAVE_VERIFY_RATE")
    return int(limit), int(window)


def verification_allowed(request: HttpRequest) -> Verdict:
    """Counts this request against its address; refuses past the limit of the window."""
    limit, window = verify_rate()
    retry_after = fixed_window_hit(
        bucket="sickleave-verify", ip=client_ip(request), limit=limit, window=window
    )
    return Verdict(retry_after == 0, retry_after)
