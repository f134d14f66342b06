"""The event bus of a single process: events go, as the same frozen objects, to local subscribers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Self
from uuid import UUID

from domain.events import DomainEvent
from infra.pubsub._fanout import Fanout, QueueSubscription


class MemoryEventBus:
    def __init__(self, queue_size: int = 1000) -> None:
        self._fanout = Fanout(queue_size)

    @property
    def connected(self) -> bool:
        return True  # nothing to lose a connection to

    async def start(self) -> None:
        pass  # nothing to connect to; here so both buses share one lifecycle

    async def close(self) -> None:
        self._fanout.close_all()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def subscribers(self, tenant_id: UUID, topic: str) -> int:
        """Local subscribers of the channel, for metrics and tests."""
        return self._fanout.count(f"{tenant_id}:{topic}")

    async def publish(self, tenant_id: UUID, events: Sequence[DomainEvent]) -> None:
        # No await in here: delivery only fills bounded queues, so the publisher never waits.
        for event in events:
            self._fanout.deliver(f"{tenant_id}:{event.topic}", event)

    @asynccontextmanager
    async def subscribe(self, tenant_id: UUID, topic: str) -> AsyncIterator[QueueSubscription]:
        channel = f"{tenant_id}:{topic}"
        subscription = self._fanout.add(channel)
        try:
            yield subscription
        finally:
            self._fanout.remove(channel, subscription)
