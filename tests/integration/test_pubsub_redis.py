"""What only the Redis bus does: cross processes, share one Redis subscription, survive Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from uuid import uuid4

import pytest
from redis.asyncio import Redis

from domain.errors import Unavailable
from domain.events import CHARGERS_TOPIC, EVENTS_INTERRUPTED, DomainEvent
from domain.ports import Subscription
from infra.pubsub.redis import RedisEventBus
from tests.redis_support import DOWN_URL
from tests.unit.test_pubsub_codec import assert_identical, sample_events

pytestmark = pytest.mark.redis


@pytest.fixture
async def raw(redis_url: str) -> AsyncIterator[Redis]:
    """A plain client, to look at Redis from outside the bus."""
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def bus(redis_url: str, prefix: str) -> AsyncIterator[RedisEventBus]:
    async with RedisEventBus(redis_url, prefix=prefix) as bus:
        yield bus


async def numsub(raw: Redis, channel: str) -> int:
    counts = await raw.pubsub_numsub(channel)
    return int(counts[0][1])


def numsub_is(raw: Redis, channel: str, expected: int) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return await numsub(raw, channel) == expected

    return check


async def next_event(subscription: Subscription, within: float = 5.0) -> DomainEvent:
    async with asyncio.timeout(within):
        return await anext(aiter(subscription))


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_every_event_type_crosses_redis_intact(bus: RedisEventBus) -> None:
    tenant = uuid4()
    events = sample_events(tenant)

    by_topic = {topic: [e for e in events if e.topic == topic] for topic in dict.fromkeys(e.topic for e in events)}

    async with AsyncExitStack() as stack:
        subscriptions = {topic: await stack.enter_async_context(bus.subscribe(tenant, topic)) for topic in by_topic}
        await bus.publish(tenant, events)  # several: one pipeline
        for event in events:
            await bus.publish(tenant, [event])  # one: a plain PUBLISH
        for topic, expected in by_topic.items():
            for event in expected * 2:  # in publishing order on each channel: the batch's, then the single ones
                assert_identical(await next_event(subscriptions[topic]), event)


async def test_channels_are_named_by_prefix_tenant_and_topic(bus: RedisEventBus, raw: Redis, prefix: str) -> None:
    tenant = uuid4()
    async with bus.subscribe(tenant, CHARGERS_TOPIC):
        assert await raw.pubsub_channels(f"{prefix}:*") == [f"{prefix}:{tenant}:chargers".encode()]


async def test_many_local_subscribers_share_one_redis_subscription(bus: RedisEventBus, raw: Redis) -> None:
    tenant = uuid4()
    event = sample_events(tenant)[0]
    channel = bus.channel(tenant, CHARGERS_TOPIC)

    async with asyncio.TaskGroup() as group:
        entered = asyncio.Barrier(51)
        leave = asyncio.Event()

        async def listen() -> DomainEvent:
            async with bus.subscribe(tenant, CHARGERS_TOPIC) as subscription:
                await entered.wait()
                received = await next_event(subscription)
                await leave.wait()
                return received

        listeners = [group.create_task(listen()) for _ in range(50)]
        await entered.wait()
        assert await numsub(raw, channel) == 1
        await bus.publish(tenant, [event])
        await asyncio.sleep(0.1)
        leave.set()

    assert [task.result() for task in listeners] == [event] * 50


async def test_redis_is_unsubscribed_when_the_last_local_subscriber_leaves(bus: RedisEventBus, raw: Redis) -> None:
    tenant = uuid4()
    channel = bus.channel(tenant, CHARGERS_TOPIC)

    async with bus.subscribe(tenant, CHARGERS_TOPIC):
        async with bus.subscribe(tenant, CHARGERS_TOPIC):
            assert await numsub(raw, channel) == 1
        await asyncio.sleep(0.1)
        assert await numsub(raw, channel) == 1  # one local subscriber is still there

    await eventually(numsub_is(raw, channel, 0))


async def test_leaving_and_joining_at_once_keeps_the_channel_subscribed(bus: RedisEventBus, raw: Redis) -> None:
    tenant = uuid4()
    event = sample_events(tenant)[0]

    for _ in range(20):
        async with bus.subscribe(tenant, CHARGERS_TOPIC):
            pass
        # The unsubscribe of the exit above is still in flight as this subscriber joins.
        async with bus.subscribe(tenant, CHARGERS_TOPIC) as subscription:
            await bus.publish(tenant, [event])
            assert await next_event(subscription) == event

    await eventually(numsub_is(raw, bus.channel(tenant, CHARGERS_TOPIC), 0))


async def test_two_buses_hear_each_other_as_two_processes_would(redis_url: str, prefix: str) -> None:
    tenant = uuid4()
    events = sample_events(tenant)
    async with (
        RedisEventBus(redis_url, prefix=prefix) as one,
        RedisEventBus(redis_url, prefix=prefix) as two,
        one.subscribe(tenant, CHARGERS_TOPIC) as on_one,
        two.subscribe(tenant, CHARGERS_TOPIC) as on_two,
    ):
        await one.publish(tenant, events[:1])
        await two.publish(tenant, events[:1])

        for subscription in (on_one, on_two):
            assert await next_event(subscription) == events[0]
            assert await next_event(subscription) == events[0]


async def test_buses_with_another_prefix_do_not_hear_each_other(redis_url: str) -> None:
    tenant = uuid4()
    event = sample_events(tenant)[0]
    async with (
        RedisEventBus(redis_url, prefix=f"test-{uuid4().hex}") as one,
        RedisEventBus(redis_url, prefix=f"test-{uuid4().hex}") as two,
        one.subscribe(tenant, CHARGERS_TOPIC) as subscription,
    ):
        await two.publish(tenant, [event])
        await one.publish(tenant, [event])
        assert await next_event(subscription) == event
        await asyncio.sleep(0.05)
        assert subscription.pending == 0


async def test_a_message_that_is_not_an_event_is_dropped(bus: RedisEventBus, raw: Redis) -> None:
    tenant = uuid4()
    event = sample_events(tenant)[0]

    async with bus.subscribe(tenant, CHARGERS_TOPIC) as subscription:
        await raw.publish(bus.channel(tenant, CHARGERS_TOPIC), b"garbage")
        await bus.publish(tenant, [event])

        assert await next_event(subscription) == event


async def test_publish_raises_unavailable_when_redis_is_down() -> None:
    tenant = uuid4()
    async with RedisEventBus(DOWN_URL) as bus:
        started = time.perf_counter()
        with pytest.raises(Unavailable):
            await bus.publish(tenant, sample_events(tenant))
        with pytest.raises(Unavailable):
            await bus.publish(tenant, sample_events(tenant)[:1])
        assert time.perf_counter() - started < 2.0


async def test_subscribe_raises_unavailable_when_redis_is_down() -> None:
    tenant = uuid4()
    async with RedisEventBus(DOWN_URL, subscribe_timeout=0.3, max_backoff=0.1) as bus:
        with pytest.raises(Unavailable):
            async with bus.subscribe(tenant, CHARGERS_TOPIC):
                pass
        assert bus.subscribers(tenant, CHARGERS_TOPIC) == 0


async def test_subscribing_needs_a_started_bus(redis_url: str) -> None:
    bus = RedisEventBus(redis_url)
    with pytest.raises(RuntimeError, match="start"):
        async with bus.subscribe(uuid4(), CHARGERS_TOPIC):
            pass
    await bus.close()


async def test_a_dropped_connection_ends_subscriptions_saying_events_may_be_missed_then_the_bus_resubscribes(
    redis_url: str, prefix: str, raw: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    """Pub/sub keeps nothing for a disconnected subscriber: a subscription open across the drop ends, saying
    why, instead of carrying on with a gap; the bus reconnects by itself and new subscriptions get events."""
    tenant = uuid4()
    event = sample_events(tenant)[0]
    name = f"{prefix}-listener"
    async with RedisEventBus(f"{redis_url}?client_name={name}", prefix=prefix, max_backoff=0.1) as bus:

        async def connected() -> bool:
            return bus.connected

        async with bus.subscribe(tenant, CHARGERS_TOPIC) as interrupted:
            await eventually(connected)
            clients = await raw.client_list(_type="pubsub")
            [victim] = [client for client in clients if client["name"] == name]
            await raw.client_kill_filter(_id=victim["id"])

            with pytest.raises(StopAsyncIteration):
                await asyncio.wait_for(anext(aiter(interrupted)), 5)
            assert interrupted.missed == EVENTS_INTERRUPTED

        await eventually(connected)
        async with bus.subscribe(tenant, CHARGERS_TOPIC) as subscription:  # confirmed by Redis when it returns
            [listener] = [c for c in await raw.client_list(_type="pubsub") if c["name"] == name]
            assert listener["id"] != victim["id"]
            await eventually(numsub_is(raw, bus.channel(tenant, CHARGERS_TOPIC), 1))
            await bus.publish(tenant, [event])
            assert await next_event(subscription) == event
            assert subscription.missed is None
    assert "connection lost" in caplog.text
