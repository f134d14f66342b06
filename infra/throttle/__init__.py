"""domain.ports.FailureThrottle: in memory for one process, in Redis for a cluster; chosen by the Redis URL."""

from __future__ import annotations

from typing import Protocol

from limits import RateLimitItem, parse_many

from domain.ports import FailureThrottle
from infra.throttle.memory import MemoryFailureThrottle
from infra.throttle.metrics import AuthRefusalMetrics

__all__ = ["AuthRefusalMetrics", "FailureThrottleBackend", "MemoryFailureThrottle", "failure_throttle", "windows"]


class FailureThrottleBackend(FailureThrottle, Protocol):
    """A failure throttle with the lifecycle the composition root drives."""

    async def close(self) -> None: ...


def windows(spec: str) -> list[RateLimitItem]:
    """'10/minute;50/hour' (the limits library's notation) as its windows; ValueError when it is not one."""
    return parse_many(spec)


def failure_throttle(
    redis_url: str | None, spec: str, *, scope: str, prefix: str = "autocharge"
) -> FailureThrottleBackend:
    """None: this process's memory; redis:// or rediss://: shared by every process on that Redis and prefix.

    `scope` names the counters (e.g. "auth-failures:identity", "api-rate") so two throttles never share a key.
    """
    if redis_url is None:
        return MemoryFailureThrottle(windows(spec))
    from infra.throttle.redis import RedisFailureThrottle

    return RedisFailureThrottle(redis_url, windows(spec), prefix=f"{prefix}:{scope}")
