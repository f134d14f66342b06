"""Login attempt counters in Redis, shared by every process of a cluster: fixed windows made of INCR and EXPIRE NX.

Why not the limits library's own Redis storage (the memory adapter uses limits): in limits 5.8 its asyncio
Redis storage needs the coredis package, and its synchronous one blocks the event loop and supports redis-py
below 8 only; we run redis-py 8. INCR, EXPIRE NX and PTTL are all a fixed window needs, one round trip per
attempt on the redis.asyncio client every other Redis adapter here uses (infra.pubsub), with its fail-fast
settings.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from limits import RateLimitItem

from infra.pubsub._redis import DOWN, connect

logger = logging.getLogger("infra.throttle.redis")

# DECR only windows that still exist: one that ended meanwhile must not come back as a key without expiry.
_FORGIVE = """
for _, key in ipairs(KEYS) do
    if redis.call('EXISTS', key) == 1 then redis.call('DECR', key) end
end
return 0
"""


class RedisFailureThrottle:
    """domain.ports.FailureThrottle over Redis; the keys are `{prefix}:{amount}/{seconds}s:{key}`.

    A window starts at its first attempt (EXPIRE ... NX sets the expiry only then) and lasts its length: the same
    windows as the memory adapter. When Redis is down it fails open (nothing is locked, a warning is logged):
    an outage of the counters must not keep every charger and every API client out; the passwords are still
    checked, off the event loop.
    """

    def __init__(self, url: str, windows: Sequence[RateLimitItem], *, prefix: str) -> None:
        if not windows:
            raise ValueError("a failure throttle needs at least one window")
        self._client = connect(url)
        self._windows = [(window.amount, int(window.get_expiry())) for window in windows]
        self._prefix = prefix
        self._forgive = self._client.register_script(_FORGIVE)

    def _names(self, key: str) -> list[tuple[str, int, int]]:
        return [(f"{self._prefix}:{amount}/{seconds}s:{key}", amount, seconds) for amount, seconds in self._windows]

    async def attempt(self, key: str) -> float | None:
        names = self._names(key)
        try:
            # MULTI/EXEC: the INCR and its EXPIRE go together, or a crash between them would lock the key forever.
            async with self._client.pipeline(transaction=True) as pipe:
                for name, _, seconds in names:
                    pipe.incr(name)
                    pipe.expire(name, seconds, nx=True)  # the window starts at its first attempt
                    pipe.pttl(name)
                replies = await pipe.execute()
        except DOWN as error:
            logger.warning("login throttle: Redis unreachable, not throttling (%s)", error)
            return None
        wait: float | None = None
        for index, (_, amount, seconds) in enumerate(names):
            count, ttl_ms = replies[3 * index], replies[3 * index + 2]
            if count <= amount:
                continue
            wait = max(wait or 0.0, ttl_ms / 1000 if ttl_ms > 0 else float(seconds))
        return wait

    async def forgive(self, key: str) -> None:
        try:
            await self._forgive(keys=[name for name, _, _ in self._names(key)])
        except DOWN as error:
            logger.warning("login throttle: Redis unreachable, attempt not forgiven (%s)", error)

    async def close(self) -> None:
        await self._client.aclose()
