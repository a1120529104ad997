"""Rate limits count once for the whole platform, per real client (issue 14, item 6).

Every process shares the counter (the database cache by default, Redis in production), and
behind the reverse proxy the client is read from X-Forwarded-For only when a trusted proxy
sent it."""

import os
import time
import uuid
from pathlib import Path

import pytest
import requests
from django.test import RequestFactory, override_settings

from salamat.core.clientip import client_ip
from salamat.core.ratelimit import seconds_left
from salamat.core.tests.servers import REDIS_SERVER, gunicorn, redis_server

rf = RequestFactory()


def _ip(remote: str, forwarded: str | None = None) -> str | None:
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client_ip(rf.get("/", REMOTE_ADDR=remote, **extra))


@override_settings(TRUSTED_PROXIES=[])
def test_without_trusted_proxies_the_header_is_ignored():
    assert _ip("203.0.113.7", "198.51.100.1") == "203.0.113.7"


@override_settings(TRUSTED_PROXIES=["10.0.0.0/8"])
def test_forwarded_for_from_an_untrusted_peer_is_ignored():
    assert _ip("203.0.113.7", "198.51.100.1") == "203.0.113.7"


@override_settings(TRUSTED_PROXIES=["10.0.0.0/8", "192.0.2.10"])
def test_a_trusted_proxy_is_believed_up_to_the_first_untrusted_hop():
    # the client wrote a fake address first; the proxies appended what they saw
    assert _ip("10.1.2.3", "1.1.1.1, 198.51.100.1") == "198.51.100.1"
    assert _ip("10.1.2.3", "1.1.1.1, 198.51.100.1, 192.0.2.10") == "198.51.100.1"
    assert _ip("10.1.2.3", "198.51.100.1:5555") == "198.51.100.1"
    assert _ip("10.1.2.3", "[2001:db8::1]:443") == "2001:db8::1"
    # nothing behind the proxy: the proxy itself
    assert _ip("10.1.2.3", "") == "10.1.2.3"
    # a garbled hop: nothing to its left is believed
    assert _ip("10.1.2.3", "1.1.1.1, garbage") == "10.1.2.3"


def _hit(base: str, client: str) -> int:
    return requests.get(
        f"{base}/api/public/where?q=aspirin", headers={"X-Forwarded-For": client}, timeout=30
    ).status_code


def _two_servers_share_one_counter(extra_env: dict[str, str]) -> None:
    env = {"PUBLIC_RATE_LIMIT": "5", "TRUSTED_PROXIES": "127.0.0.1", **extra_env}
    client = f"198.51.100.{uuid.uuid4().int % 250 + 1}"  # counters outlive a test: a fresh client
    with gunicorn(env=env) as first, gunicorn(env=env) as second:
        # The six requests fit in one window of the fixed-window counter (60 s).
        if seconds_left(60) < 20:
            time.sleep(seconds_left(60) + 1)
        # given five requests through the first server process
        assert [_hit(first, client) for _ in range(5)] == [200] * 5
        # when the same client asks the second one, then it is over the limit there too
        assert _hit(second, client) == 429
        # and another client, through the same proxy, is not
        assert _hit(second, "198.51.100.251" if client != "198.51.100.251" else "198.51.100.252") == 200


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_server_processes_share_the_counter_in_the_database_cache():
    _two_servers_share_one_counter({"REDIS_URL": ""})


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not Path(REDIS_SERVER).exists(),
    reason=f"redis-server not installed ({REDIS_SERVER}): apt-get install redis-server",
)
def test_two_server_processes_share_the_counter_in_redis():
    import redis

    with redis_server() as url:
        _two_servers_share_one_counter({"REDIS_URL": url})
        # the counters are in Redis, not in the database
        assert any(b":rl:public:" in key for key in redis.Redis.from_url(url).keys("*"))


def test_the_cache_is_shared_by_default(db):
    from django.conf import settings
    from django.core.cache import cache

    expected = "RedisCache" if os.environ.get("REDIS_URL") else "DatabaseCache"
    assert settings.CACHES["default"]["BACKEND"].endswith(expected)
    # the migrations created its table (a fresh `make run` and the test database alike)
    cache.set("probe", 41)
    assert cache.incr("probe") == 42
