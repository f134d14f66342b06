"""The event bus contract, run against both backends: memory, and a real Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from uuid import uuid4

import pytest

from domain.events import CHARGERS_TOPIC, DomainEvent
from domain.ports import Subscription
from infra.pubsub.memory import MemoryEventBus
from infra.pubsub.redis import RedisEventBus
from tests.unit.test_pubsub_codec import assert_identical, sample_events

QUEUE_SIZE = 100

Bus = MemoryEventBus | RedisEventBus


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[Bus]:
    backend: Bus
    if request.param == "memory":
        backend = MemoryEventBus(QUEUE_SIZE)
    else:
        url = request.getfixturevalue("redis_url")
        backend = RedisEventBus(url, QUEUE_SIZE, prefix=f"test-{uuid4().hex}")
    async with backend:
        yield backend


async def next_event(subscription: Subscription, within: float = 5.0) -> DomainEvent:
    async with asyncio.timeout(within):
        return await anext(aiter(subscription))


async def drain(subscription: Subscription, count: int) -> list[DomainEvent]:
    return [await next_event(subscription) for _ in range(count)]


async def eventually(condition: object, within: float = 5.0) -> None:
    assert callable(condition)
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_a_subscriber_gets_the_events_of_its_channel(bus: Bus) -> None:
    tenant = uuid4()
    events = sample_events(tenant)

    async with bus.subscribe(tenant, events[0].topic) as chargers, bus.subscribe(tenant, events[3].topic) as logs:
        await bus.publish(tenant, events)

        assert_identical(await next_event(chargers), events[0])
        assert_identical(await next_event(logs), events[3])


async def test_events_arrive_in_publish_order(bus: Bus) -> None:
    tenant = uuid4()
    event = sample_events(tenant)[0]

    async with bus.subscribe(tenant, CHARGERS_TOPIC) as subscription:
        for _ in range(3):
            await bus.publish(tenant, [event])
        await bus.publish(tenant, [event] * 20)

        assert await drain(subscription, 23) == [event] * 23


async def test_a_tenant_never_hears_another_tenants_events(bus: Bus) -> None:
    tenant_a, tenant_b = uuid4(), uuid4()
    event_a, event_b = sample_events(tenant_a)[0], sample_events(tenant_b)[0]

    async with bus.subscribe(tenant_a, CHARGERS_TOPIC) as subscription:
        await bus.publish(tenant_b, [event_b])
        await bus.publish(tenant_a, [event_a])

        assert await next_event(subscription) == event_a
        await asyncio.sleep(0.05)
        assert subscription.pending == 0  # and nothing of B behind it


async def test_every_subscriber_of_a_channel_gets_every_event(bus: Bus) -> None:
    tenant = uuid4()
    event = sample_events(tenant)[0]

    async with asyncio.TaskGroup() as group:
        ready = asyncio.Barrier(21)

        async def listen() -> list[DomainEvent]:
            async with bus.subscribe(tenant, CHARGERS_TOPIC) as subscription:
                await ready.wait()
                return await drain(subscription, 3)

        listeners = [group.create_task(listen()) for _ in range(20)]
        await ready.wait()
        await bus.publish(tenant, [event] * 3)

    assert all(task.result() == [event] * 3 for task in listeners)


async def test_overflow_closes_only_the_slow_subscriber(bus: Bus) -> None:
    tenant = uuid4()
    event = sample_events(tenant)[0]
    total = QUEUE_SIZE * 3

    async with bus.subscribe(tenant, CHARGERS_TOPIC) as slow, bus.subscribe(tenant, CHARGERS_TOPIC) as fast:
        reader = asyncio.create_task(drain(fast, total))
        for _ in range(total):
            await bus.publish(tenant, [event])
            await asyncio.sleep(0)  # the fast reader keeps up, the slow one never reads

        assert len(await reader) == total
        await eventually(lambda: slow.missed is not None)
        assert fast.missed is None
        assert [e async for e in slow] == []  # the backlog was dropped, the iteration just ends


async def test_a_stalled_subscriber_neither_slows_the_publisher_nor_grows(bus: Bus) -> None:
    tenant = uuid4()
    event = sample_events(tenant)[0]

    async def publish_10k(check: Callable[[], None]) -> float:
        started = time.perf_counter()
        for _ in range(10):
            await bus.publish(tenant, [event] * 1000)
            check()
        return time.perf_counter() - started

    # Compared with the same publishing when nobody listens, not with a fixed time: the machine may be busy.
    alone = await publish_10k(lambda: None)
    async with bus.subscribe(tenant, CHARGERS_TOPIC) as stalled:

        def bounded() -> None:
            assert stalled.pending <= QUEUE_SIZE

        elapsed = await publish_10k(bounded)

        assert elapsed < 3 * alone + 1.0, f"10k events took {elapsed:.2f}s to publish, {alone:.2f}s with no subscriber"
        await eventually(lambda: stalled.missed is not None)
        assert stalled.pending == 0
        assert [e async for e in stalled] == []


async def test_cancelling_the_reader_ends_its_subscription(bus: Bus) -> None:
    tenant = uuid4()
    subscribed = asyncio.Event()
    seen: list[Subscription] = []

    async def read_forever() -> None:
        async with bus.subscribe(tenant, CHARGERS_TOPIC) as subscription:
            seen.append(subscription)
            subscribed.set()
            async for _ in subscription:
                pass

    task = asyncio.create_task(read_forever())
    await subscribed.wait()
    assert bus.subscribers(tenant, CHARGERS_TOPIC) == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert bus.subscribers(tenant, CHARGERS_TOPIC) == 0
    assert [e async for e in seen[0]] == []
    await bus.publish(tenant, sample_events(tenant)[:1])  # nobody left to deliver to, no error


async def test_leaving_the_context_ends_the_subscription(bus: Bus) -> None:
    tenant = uuid4()
    async with bus.subscribe(tenant, CHARGERS_TOPIC) as subscription:
        assert bus.subscribers(tenant, CHARGERS_TOPIC) == 1

    assert bus.subscribers(tenant, CHARGERS_TOPIC) == 0
    await bus.publish(tenant, sample_events(tenant)[:1])
    assert [e async for e in subscription] == []
    assert subscription.missed is None


async def test_closing_the_bus_ends_every_iteration(bus: Bus) -> None:
    tenant = uuid4()
    subscribed = asyncio.Event()

    async def read() -> list[DomainEvent]:
        async with bus.subscribe(tenant, CHARGERS_TOPIC) as subscription:
            subscribed.set()
            return [e async for e in subscription]

    reader = asyncio.create_task(read())
    await subscribed.wait()
    await bus.close()

    assert await asyncio.wait_for(reader, 5) == []
