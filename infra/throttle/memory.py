"""Login attempts counted in this process's memory: the limits library's fixed windows on its asyncio storage."""

from __future__ import annotations

import time
from collections.abc import Sequence

from limits import RateLimitItem
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import FixedWindowRateLimiter


class MemoryFailureThrottle:
    """domain.ports.FailureThrottle for one process: each window a fixed window that starts at its first attempt.

    The same windows as the Redis adapter (infra.throttle.redis), so a test on one says what the other does.
    """

    def __init__(self, windows: Sequence[RateLimitItem]) -> None:
        if not windows:
            raise ValueError("a failure throttle needs at least one window")
        self._windows = list(windows)
        self._storage = MemoryStorage()
        self._limiter = FixedWindowRateLimiter(self._storage)

    async def attempt(self, key: str) -> float | None:
        wait: float | None = None
        for window in self._windows:
            if await self._limiter.hit(window, key):  # counted, and within the limit
                continue
            reset_at, _ = await self._limiter.get_window_stats(window, key)
            wait = max(wait or 0.0, reset_at - time.time())
        return wait

    async def forgive(self, key: str) -> None:
        for window in self._windows:
            await self._storage.decr(window.key_for(key))  # never below 0

    async def close(self) -> None:
        """Nothing to release: the counters go with the process."""
