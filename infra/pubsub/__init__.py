"""Event buses (memory, redis), chosen by URL; the Redis driver is imported only when Redis is used.

Also here, for the cluster: presence (which node holds which charger) and commands to a node,
whose ports the domain does not have yet:

    class Presence(Protocol):
        async def claim(self, charge_point_id: str, node_id: str, ttl: float) -> str | None: ...
        async def refresh(self, charge_point_id: str, node_id: str, ttl: float) -> bool: ...
        async def release(self, charge_point_id: str, node_id: str) -> bool: ...
        async def holder(self, charge_point_id: str) -> str | None: ...

    class CommandChannel(Protocol):
        async def request(self, node_id: str, payload: dict[str, Any], timeout: float) -> dict[str, Any]: ...
        async def serve(self, node_id: str, handler: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]) -> None: ...
"""

from __future__ import annotations

from typing import Protocol

from domain.ports import EventBus


class EventBusBackend(EventBus, Protocol):
    """An event bus with the lifecycle the composition root drives."""

    async def start(self) -> None: ...
    async def close(self) -> None: ...


def bus_from_url(url: str | None, queue_size: int = 1000) -> EventBusBackend:
    """None: one process, in memory; redis:// or rediss://: processes share events through Redis."""
    if url is None:
        from infra.pubsub.memory import MemoryEventBus

        return MemoryEventBus(queue_size)
    scheme = url.partition("://")[0]
    if scheme in ("redis", "rediss"):
        from infra.pubsub.redis import RedisEventBus

        return RedisEventBus(url, queue_size)
    raise ValueError(f"no event bus for URL scheme {scheme!r}: expected redis:// or rediss://, or no URL")
