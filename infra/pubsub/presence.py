"""Which process (node) holds which charger's connection: a lease per charger that lapses unless refreshed.

A node claims a charger when it connects, refreshes the lease while the connection lives (a dead
node's leases expire by themselves), and releases it on disconnect, unless another node took it over.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from infra.pubsub._redis import connect, reachable

# Compare-and-act: only the node that still holds the lease may extend or end it.
_REFRESH = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0"
_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"


def _milliseconds(ttl: float) -> int:
    if ttl <= 0:
        raise ValueError("ttl must be positive")
    return max(1, round(ttl * 1000))


class MemoryPresence:
    """Presence for a single process; the clock is injectable so tests need not sleep."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._leases: dict[str, tuple[str, float]] = {}

    async def claim(self, charge_point_id: str, node_id: str, ttl: float) -> str | None:
        """Take the charger, whoever held it; returns the previous holder."""
        previous = await self.holder(charge_point_id)
        self._leases[charge_point_id] = (node_id, self._clock() + _milliseconds(ttl) / 1000)
        return previous

    async def refresh(self, charge_point_id: str, node_id: str, ttl: float) -> bool:
        """Extend the lease; False when the node no longer holds it."""
        if await self.holder(charge_point_id) != node_id:
            return False
        self._leases[charge_point_id] = (node_id, self._clock() + _milliseconds(ttl) / 1000)
        return True

    async def release(self, charge_point_id: str, node_id: str) -> bool:
        """End the lease if the node still holds it."""
        if await self.holder(charge_point_id) != node_id:
            return False
        del self._leases[charge_point_id]
        return True

    async def holder(self, charge_point_id: str) -> str | None:
        lease = self._leases.get(charge_point_id)
        if lease is None:
            return None
        if lease[1] <= self._clock():
            del self._leases[charge_point_id]
            return None
        return lease[0]

    async def close(self) -> None:
        self._leases.clear()


class RedisPresence:
    """Presence shared by every process; raises Unavailable when Redis cannot be reached."""

    def __init__(self, url: str, *, prefix: str = "autocharge") -> None:
        self._prefix = prefix
        self._client = connect(url)
        self._refresh = self._client.register_script(_REFRESH)
        self._release = self._client.register_script(_RELEASE)

    def _key(self, charge_point_id: str) -> str:
        return f"{self._prefix}:presence:{charge_point_id}"

    async def claim(self, charge_point_id: str, node_id: str, ttl: float) -> str | None:
        """Take the charger, whoever held it; returns the previous holder."""
        with reachable("presence"):
            # SET ... GET takes over and names the previous holder in one step, so no takeover goes unnoticed.
            previous: Any = await self._client.set(self._key(charge_point_id), node_id, px=_milliseconds(ttl), get=True)
        return None if previous is None else bytes(previous).decode()

    async def refresh(self, charge_point_id: str, node_id: str, ttl: float) -> bool:
        """Extend the lease; False when the node no longer holds it."""
        with reachable("presence"):
            done = await self._refresh(keys=[self._key(charge_point_id)], args=[node_id, _milliseconds(ttl)])
        return bool(done)

    async def release(self, charge_point_id: str, node_id: str) -> bool:
        """End the lease if the node still holds it."""
        with reachable("presence"):
            done = await self._release(keys=[self._key(charge_point_id)], args=[node_id])
        return bool(done)

    async def holder(self, charge_point_id: str) -> str | None:
        with reachable("presence"):
            value: Any = await self._client.get(self._key(charge_point_id))
        return None if value is None else bytes(value).decode()

    async def close(self) -> None:
        await self._client.aclose()
