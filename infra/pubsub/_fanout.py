"""Local fan-out: one bounded queue per subscriber, shared by the memory and Redis buses."""

from __future__ import annotations

import asyncio
from typing import Final

from domain.events import SUBSCRIBER_TOO_SLOW, DomainEvent

_CLOSED: Final = object()  # wakes a reader blocked on an empty queue when the subscription closes


class QueueSubscription:
    """One subscriber's events; ends when closed, and closes itself rather than grow past its bound."""

    def __init__(self, maxsize: int) -> None:
        self._queue: asyncio.Queue[DomainEvent | object] = asyncio.Queue(maxsize)
        self._closed = False
        self._missed: str | None = None

    @property
    def missed(self) -> str | None:
        return self._missed

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def pending(self) -> int:
        """Events delivered but not yet read."""
        return 0 if self._closed else self._queue.qsize()

    def put(self, event: DomainEvent) -> None:
        """Never blocks: a subscriber that cannot keep up is cut off, not waited for."""
        if self._closed:
            return
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.cut_off(SUBSCRIBER_TOO_SLOW)

    def cut_off(self, reason: str) -> None:
        """End the subscription because events may be missing from it; `missed` tells the reader why."""
        if not self._closed:
            self._missed = reason
            self.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        # Drop the backlog at once: the reader is told it is over, not fed stale events first.
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait(_CLOSED)

    def __aiter__(self) -> QueueSubscription:
        return self

    async def __anext__(self) -> DomainEvent:
        if self._closed and self._queue.empty():
            raise StopAsyncIteration
        item = await self._queue.get()
        if item is _CLOSED:
            raise StopAsyncIteration
        return item  # type: ignore[return-value]


class Fanout:
    """Subscribers by channel; delivering to one never waits on another."""

    def __init__(self, queue_size: int) -> None:
        if queue_size < 1:
            raise ValueError("queue_size must be at least 1")
        self._queue_size = queue_size
        self._channels: dict[str, set[QueueSubscription]] = {}

    def __contains__(self, channel: str) -> bool:
        return channel in self._channels

    def count(self, channel: str) -> int:
        return len(self._channels.get(channel, ()))

    def add(self, channel: str) -> QueueSubscription:
        subscription = QueueSubscription(self._queue_size)
        self._channels.setdefault(channel, set()).add(subscription)
        return subscription

    def remove(self, channel: str, subscription: QueueSubscription) -> bool:
        """Close and forget the subscription; True when it was the channel's last one."""
        subscription.close()
        subscribers = self._channels.get(channel)
        if subscribers is None or subscription not in subscribers:
            return False
        subscribers.discard(subscription)
        if subscribers:
            return False
        del self._channels[channel]
        return True

    def deliver(self, channel: str, event: DomainEvent) -> None:
        for subscription in tuple(self._channels.get(channel, ())):
            subscription.put(event)

    def cut_off_all(self, reason: str) -> None:
        """End every subscription as having possibly missed events; their subscribers remove them as they leave."""
        for subscribers in self._channels.values():
            for subscription in subscribers:
                subscription.cut_off(reason)

    def close_all(self) -> None:
        for subscribers in self._channels.values():
            for subscription in subscribers:
                subscription.close()
        self._channels.clear()
