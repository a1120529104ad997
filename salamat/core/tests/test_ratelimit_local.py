"""The fixed-window limiter counts in each process and shares every few hits: exact within one
process, bounded over several, and far fewer writes to the shared cache."""

import pytest
from django.core.cache import cache

from salamat.core import ratelimit

pytestmark = pytest.mark.django_db
WINDOW_START = 999_999_960  # a multiple of 60


@pytest.fixture(autouse=True)
def _fixed_clock(monkeypatch):
    cache.clear()
    ratelimit.forget()
    monkeypatch.setattr(ratelimit, "_clock", lambda: WINDOW_START + 30)  # mid-window
    yield
    ratelimit.forget()
    cache.clear()


def _hits(n: int, *, limit: int, ip: str = "203.0.113.5") -> list[int]:
    return [ratelimit.fixed_window_hit(bucket="t", ip=ip, limit=limit, window=60) for _ in range(n)]


def _shared(ip: str = "203.0.113.5") -> int | None:
    return cache.get(f"rl:t:{ip}:{WINDOW_START}")


def test_exact_limit_in_one_process():
    for limit in (3, 20, 120, 1000):
        ratelimit.forget()
        cache.clear()
        results = _hits(limit + 2, limit=limit)
        assert results[:limit] == [0] * limit, limit
        assert all(r > 0 for r in results[limit:]), limit


def test_small_limits_share_every_hit():
    _hits(3, limit=20)
    assert _shared() == 3


def test_large_limits_share_every_few_hits():
    _hits(5, limit=120)
    assert _shared() is None  # five hits, counted here only
    _hits(1, limit=120)
    assert _shared() == 6


def test_another_process_sees_the_shared_count():
    # given: one process took 114 of 120 (shared in steps of 6)
    _hits(114, limit=120)
    assert _shared() == 114
    # when: another process (its own memory empty) counts the same address
    ratelimit.forget()
    results = _hits(10, limit=120)
    # then: it admits at most its own first unshared hits plus what is left, then refuses
    assert results.count(0) <= 6 + 5
    assert results[-1] > 0


def test_addresses_are_counted_apart():
    assert _hits(3, limit=2, ip="198.51.100.1")[-1] > 0
    assert _hits(1, limit=2, ip="198.51.100.2") == [0]
