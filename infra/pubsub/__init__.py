"""Event buses (memory, redis), chosen by URL; the Redis driver is imported only when Redis is used.

Also here, for the cluster: presence (which node holds which charger) and commands to a node, the
implementations of infra.cluster.ports.Presence and infra.cluster.ports.CommandChannel (see infra/cluster/).
"""

from __future__ import annotations

from typing import Protocol

from domain.ports import EventBus


class EventBusBackend(EventBus, Protocol):
    """An event bus with the lifecycle the composition root drives."""

    async def start(self) -> None: ...
    async def close(self) -> None: ...
    @property
    def connected(self) -> bool:
        """Whether events can reach every subscriber (always, in memory; while Redis is connected, otherwise)."""
        ...


def bus_from_url(url: str | None, queue_size: int = 1000, *, prefix: str = "autocharge") -> EventBusBackend:
    """None: one process, in memory; redis:// or rediss://: processes share events through Redis,
    on channels named `{prefix}:{tenant_id}:{topic}`."""
    if url is None:
        from infra.pubsub.memory import MemoryEventBus

        return MemoryEventBus(queue_size)
    scheme = url.partition("://")[0]
    if scheme in ("redis", "rediss"):
        from infra.pubsub.redis import RedisEventBus

        return RedisEventBus(url, queue_size, prefix=prefix)
    raise ValueError(f"no event bus for URL scheme {scheme!r}: expected redis:// or rediss://, or no URL")
