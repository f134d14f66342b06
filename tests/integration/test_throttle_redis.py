"""The Redis login throttle: processes on one Redis and prefix share their counts; an outage throttles nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from api.limits import RateLimiter
from domain.errors import RateLimited
from domain.services.login_throttle import CredentialKind, LoginThrottle
from infra.throttle import failure_throttle, windows
from infra.throttle.redis import RedisFailureThrottle
from tests.redis_support import DOWN_URL

pytestmark = pytest.mark.redis


@pytest.fixture
async def nodes(redis_url: str, prefix: str) -> AsyncIterator[list[RedisFailureThrottle]]:
    """Two processes' throttles (their own clients) on the same Redis and prefix."""
    throttles = [RedisFailureThrottle(redis_url, windows("3/minute;5/hour"), prefix=prefix) for _ in range(2)]
    yield throttles
    for throttle in throttles:
        await throttle.close()


async def test_two_throttles_on_one_redis_and_prefix_share_their_counts(nodes: list[RedisFailureThrottle]) -> None:
    a, b = nodes
    assert await a.attempt("charger:CP-1") is None
    assert await b.attempt("charger:CP-1") is None
    assert await a.attempt("charger:CP-1") is None

    wait = await b.attempt("charger:CP-1")  # the fourth attempt, counted by either: over 3 a minute

    assert wait is not None and 55 < wait <= 60
    assert await b.attempt("charger:CP-2") is None  # another key, its own count


async def test_forgiven_attempts_leave_the_window_and_an_ended_window_is_not_resurrected(
    nodes: list[RedisFailureThrottle], redis_url: str, prefix: str
) -> None:
    a, b = nodes
    for _ in range(3):
        assert await a.attempt("api_key:ak_x") is None
        await b.forgive("api_key:ak_x")
    raw = Redis.from_url(redis_url)
    try:
        keys = sorted(k.decode() for k in await raw.keys(f"{prefix}:*"))
        assert keys == [f"{prefix}:3/60s:api_key:ak_x", f"{prefix}:5/3600s:api_key:ak_x"]
        assert [int(await raw.get(k)) for k in keys] == [0, 0]
        assert [0 < await raw.ttl(k) <= 3600 for k in keys] == [True, True]

        await raw.delete(*keys)  # the windows end
        await a.forgive("api_key:ak_x")
        assert await raw.keys(f"{prefix}:*") == []  # no key left without an expiry
    finally:
        await raw.aclose()


async def test_a_window_ends_after_its_length(redis_url: str, prefix: str) -> None:
    throttle = RedisFailureThrottle(redis_url, windows("1/second"), prefix=prefix)
    try:
        assert await throttle.attempt("k") is None
        assert await throttle.attempt("k") is not None
        await asyncio.sleep(1.2)
        assert await throttle.attempt("k") is None
    finally:
        await throttle.close()


async def test_login_throttles_of_two_processes_lock_a_charger_together(redis_url: str, prefix: str) -> None:
    counters = [
        failure_throttle(redis_url, spec, scope=scope, prefix=prefix)
        for _ in range(2)
        for scope, spec in (("auth-failures:identity", "2/minute"), ("auth-failures:address", "100/minute"))
    ]
    first, second = LoginThrottle(*counters[:2]), LoginThrottle(*counters[2:])
    try:
        for logins in (first, second):
            async with logins.attempt(CredentialKind.CHARGER, "CP-1", "10.0.0.1") as attempt:
                attempt.fail()

        with pytest.raises(RateLimited):
            async with first.attempt(CredentialKind.CHARGER, "CP-1", "10.0.0.2"):
                pass
    finally:
        for counter in counters:
            await counter.close()


async def test_with_redis_down_nothing_is_throttled_and_nothing_raises(prefix: str) -> None:
    throttle = RedisFailureThrottle(DOWN_URL, windows("1/minute"), prefix=prefix)
    try:
        for _ in range(3):
            assert await throttle.attempt("k") is None
        await throttle.forgive("k")
    finally:
        await throttle.close()


async def test_the_api_rate_of_a_key_is_counted_by_every_process_together(redis_url: str, prefix: str) -> None:
    """Two processes' API rate limiters on one Redis: a key's third request is refused wherever it arrives,
    another key is not affected, and a refused request does not count (after the window it gets through)."""
    counters = [failure_throttle(redis_url, "2/second", scope="api-rate", prefix=prefix) for _ in range(2)]
    first, second = (RateLimiter("2/second", counter) for counter in counters)
    try:
        assert await first.hit("ak_one") is None
        assert await second.hit("ak_one") is None
        refused = await first.hit("ak_one")
        assert refused is not None and 0 < refused <= 1
        assert await second.hit("ak_one") is not None
        assert await second.hit("ak_two") is None
        await asyncio.sleep(refused + 0.1)
        assert await first.hit("ak_one") is None
        assert await second.hit("ak_one") is None
    finally:
        for counter in counters:
            await counter.close()
