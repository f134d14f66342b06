"""The event bus shared by processes: events cross Redis pub/sub, encoded by the codec.

Broadcaster-style: one pub/sub connection and one listener task per bus fan each message out to a
bounded local queue per subscriber; Redis is subscribed to a channel while it has a local subscriber.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Self
from uuid import UUID

from domain.events import EVENTS_INTERRUPTED, DomainEvent
from infra.pubsub import codec
from infra.pubsub._fanout import Fanout, QueueSubscription
from infra.pubsub._redis import ChannelListener, connect, reachable

logger = logging.getLogger(__name__)


class RedisEventBus:
    def __init__(
        self,
        url: str,
        queue_size: int = 1000,
        *,
        prefix: str = "autocharge",
        subscribe_timeout: float = 5.0,
        max_backoff: float = 5.0,
    ) -> None:
        self._prefix = prefix
        self._subscribe_timeout = subscribe_timeout
        self._fanout = Fanout(queue_size)
        self._client = connect(url)
        self._listener = ChannelListener(url, self._dispatch, on_lost=self._lost, max_backoff=max_backoff)

    async def start(self) -> None:
        self._listener.start()

    async def close(self) -> None:
        self._fanout.close_all()
        await self._listener.close()
        await self._client.aclose()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def channel(self, tenant_id: UUID, topic: str) -> str:
        return f"{self._prefix}:{tenant_id}:{topic}"

    def subscribers(self, tenant_id: UUID, topic: str) -> int:
        """Local subscribers of the channel, for metrics and tests."""
        return self._fanout.count(self.channel(tenant_id, topic))

    async def publish(self, tenant_id: UUID, events: Sequence[DomainEvent]) -> None:
        """Raise Unavailable when Redis cannot be reached: the caller's commit stands, its events are lost."""
        messages = [(self.channel(tenant_id, event.topic), codec.encode(event)) for event in events]
        with reachable("publish"):
            if len(messages) == 1:
                await self._client.publish(*messages[0])
            elif messages:
                # One round trip for the batch; not a transaction, the events are independent.
                async with self._client.pipeline(transaction=False) as pipe:
                    for channel, data in messages:
                        pipe.publish(channel, data)
                    await pipe.execute()

    @asynccontextmanager
    async def subscribe(self, tenant_id: UUID, topic: str) -> AsyncIterator[QueueSubscription]:
        """Raise Unavailable when Redis does not confirm the subscription in time."""
        if not self._listener.started:
            raise RuntimeError("RedisEventBus.start() must be awaited before subscribing")
        channel = self.channel(tenant_id, topic)
        subscription = self._fanout.add(channel)
        try:
            await self._listener.add(channel, self._subscribe_timeout)
            yield subscription
        finally:
            if self._fanout.remove(channel, subscription):
                self._listener.discard(channel)

    @property
    def connected(self) -> bool:
        """Whether events are flowing: the pub/sub connection to Redis is up."""
        return self._listener.connected

    def _lost(self) -> None:
        # Messages published while the connection was down are gone for good (pub/sub keeps nothing):
        # every subscriber is told, rather than carrying on with a gap it cannot see.
        self._fanout.cut_off_all(EVENTS_INTERRUPTED)

    def _dispatch(self, channel: str, data: bytes) -> None:
        if channel not in self._fanout:
            return  # unsubscribing: a late message for nobody
        try:
            event = codec.decode(data)
        except ValueError:
            logger.warning("dropped a message on %s that is not an event", channel, exc_info=True)
            return
        self._fanout.deliver(channel, event)
