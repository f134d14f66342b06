"""The verdict cache on the in-memory bus: what it holds, what drops it, and when it must not be used."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from domain.events import (
    ChargerChange,
    ChargerPairingChanged,
    ChargerStatusChanged,
    DomainEvent,
    IdentifierAdded,
    IdentifierRetired,
    TransactionChange,
    TransactionChanged,
    VehicleRetired,
)
from domain.queries import TokenFacts
from infra.pubsub.memory import MemoryEventBus
from infra.verdicts import CachedTokenFacts, InvalidatingEventBus
from tests.builders import a_charger, a_transaction

TOKEN, OTHER_TOKEN = "VID:0A1B2C3D4E5F", "VID:AABBCCDDEEFF"


@dataclass
class CountingFacts:
    """TokenFacts that counts its reads and may be held mid-read."""

    reads: int = 0
    autocharge_supported: bool = True
    gate: asyncio.Event | None = None
    reading: asyncio.Event = field(default_factory=asyncio.Event)

    async def of_vehicle_token(self, tenant_id: UUID, charger_id: UUID, value: str) -> TokenFacts | None:
        self.reads += 1
        self.reading.set()
        if self.gate is not None:
            await self.gate.wait()
        return TokenFacts(self.autocharge_supported)


class SwitchableBus(MemoryEventBus):
    """The memory bus, with a connection that can be lost (as the Redis bus's can)."""

    up = True

    @property
    def connected(self) -> bool:
        return self.up


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def bus() -> AsyncIterator[SwitchableBus]:
    async with SwitchableBus() as bus:
        yield bus


@pytest.fixture
def inner() -> CountingFacts:
    return CountingFacts()


@pytest.fixture
async def cache(inner: CountingFacts, bus: SwitchableBus) -> AsyncIterator[CachedTokenFacts]:
    cache = CachedTokenFacts(inner, bus, max_entries=100, max_age_seconds=60, retry_seconds=0.01)
    yield cache
    await cache.close()


async def eventually(check: Callable[[], bool]) -> None:
    """The cache's background work needs no I/O here; only a resubscription waits (retry_seconds)."""
    for _ in range(200):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("never happened")


async def until_ready(cache: CachedTokenFacts, tenant_id: UUID) -> None:
    """The first lookup of a tenant subscribes it; its facts are held once the subscriptions are confirmed."""
    await cache.of_vehicle_token(tenant_id, uuid4(), TOKEN)
    await eventually(lambda: cache.ready(tenant_id))


async def settle() -> None:
    """Let the cache's subscribers take what was published."""
    for _ in range(20):
        await asyncio.sleep(0)


async def test_facts_are_read_once_then_served_from_memory(cache: CachedTokenFacts, inner: CountingFacts) -> None:
    tenant, charger = uuid4(), uuid4()
    await until_ready(cache, tenant)
    reads = inner.reads
    first = await cache.of_vehicle_token(tenant, charger, TOKEN)
    again = [await cache.of_vehicle_token(tenant, charger, TOKEN) for _ in range(3)]
    assert inner.reads == reads + 1
    assert all(facts is first for facts in again)
    assert cache.lookups["hit"] == 3


async def test_nothing_is_held_before_the_tenant_is_subscribed(cache: CachedTokenFacts, inner: CountingFacts) -> None:
    tenant, charger = uuid4(), uuid4()
    await cache.of_vehicle_token(tenant, charger, TOKEN)  # subscribing starts now, and is not confirmed yet
    assert not cache.ready(tenant) and len(cache) == 0 and cache.lookups["bypassed"] == 1


async def test_an_unknown_charger_is_not_held(cache: CachedTokenFacts, bus: SwitchableBus) -> None:
    class NoCharger(CountingFacts):
        async def of_vehicle_token(self, tenant_id: UUID, charger_id: UUID, value: str) -> TokenFacts | None:
            self.reads += 1
            return None

    inner = NoCharger()
    cache = CachedTokenFacts(inner, bus, max_entries=10, max_age_seconds=60)
    tenant = uuid4()
    await until_ready(cache, tenant)
    await cache.of_vehicle_token(tenant, uuid4(), TOKEN)
    assert len(cache) == 0
    await cache.close()


def _transaction(tenant: UUID, charger: UUID, id_tag: str) -> TransactionChanged:
    transaction = a_transaction(a_charger(tenant, id=charger), 1, id_tag=id_tag)
    return TransactionChanged(tenant_id=tenant, change=TransactionChange.STARTED, transaction=transaction)


def _charger(tenant: UUID, charger: UUID, change: ChargerChange, supported: bool = True) -> ChargerStatusChanged:
    snapshot = a_charger(tenant, id=charger, autocharge_supported=supported, last_seen_at=datetime.now(UTC))
    return ChargerStatusChanged(tenant_id=tenant, change=change, charger=snapshot)


@pytest.mark.parametrize(
    ("event", "dropped"),
    [
        # Each event drops the facts it changes, in every process, and leaves the rest (keys: charger, token).
        (lambda t, a, b: IdentifierRetired(tenant_id=t, identifier_id=uuid4(), vehicle_id=uuid4(), value=TOKEN),
         {("a", TOKEN), ("b", TOKEN)}),
        (lambda t, a, b: IdentifierAdded(tenant_id=t, identifier_id=uuid4(), vehicle_id=uuid4(), value=OTHER_TOKEN),
         {("a", OTHER_TOKEN)}),
        (lambda t, a, b: VehicleRetired(tenant_id=t, vehicle_id=uuid4()),
         {("a", TOKEN), ("b", TOKEN), ("a", OTHER_TOKEN)}),
        (lambda t, a, b: ChargerPairingChanged(tenant_id=t, charger_id=a, session_id=uuid4(), waiting=True),
         {("a", TOKEN), ("a", OTHER_TOKEN)}),
        (lambda t, a, b: _transaction(t, b, TOKEN), {("a", TOKEN), ("b", TOKEN)}),
        (lambda t, a, b: _charger(t, b, ChargerChange.UPDATED), {("b", TOKEN)}),
        (lambda t, a, b: _charger(t, a, ChargerChange.CONNECTED, supported=False), {("a", TOKEN), ("a", OTHER_TOKEN)}),
        (lambda t, a, b: _charger(t, a, ChargerChange.CONNECTED), set()),  # nothing a verdict depends on changed
    ],
)  # fmt: skip
async def test_each_event_drops_what_it_changes_on_every_process(
    cache: CachedTokenFacts, inner: CountingFacts, bus: SwitchableBus, event: object, dropped: set[tuple[str, str]]
) -> None:
    tenant, elsewhere = uuid4(), uuid4()
    chargers = {"a": uuid4(), "b": uuid4()}
    await until_ready(cache, tenant)
    await until_ready(cache, elsewhere)
    keys = [("a", TOKEN), ("b", TOKEN), ("a", OTHER_TOKEN)]
    for name, value in keys:
        await cache.of_vehicle_token(tenant, chargers[name], value)
        await cache.of_vehicle_token(elsewhere, chargers[name], value)
    assert len(cache) == 6

    made = event(tenant, chargers["a"], chargers["b"])  # type: ignore[operator]
    await bus.publish(tenant, [made])  # as another process would: only through the subscription
    await settle()

    reads = inner.reads
    for name, value in keys:
        await cache.of_vehicle_token(tenant, chargers[name], value)
        await cache.of_vehicle_token(elsewhere, chargers[name], value)  # another tenant's facts are never dropped
    assert inner.reads - reads == len(dropped)
    assert len(cache) == 6


async def test_this_process_drops_what_it_commits_before_publishing(
    cache: CachedTokenFacts, bus: SwitchableBus
) -> None:
    """The units of work's bus drops the facts at once, before any subscriber has run."""
    tenant, charger = uuid4(), uuid4()
    await until_ready(cache, tenant)
    await cache.of_vehicle_token(tenant, charger, TOKEN)
    assert len(cache) == 1
    event = ChargerPairingChanged(tenant_id=tenant, charger_id=charger, session_id=uuid4(), waiting=True)
    await InvalidatingEventBus(bus, cache).publish(tenant, [event])  # the memory bus's publish never yields
    assert len(cache) == 0


async def test_a_read_overtaken_by_a_change_is_not_held(cache: CachedTokenFacts, inner: CountingFacts) -> None:
    """The read may predate the commit that the event announces: holding it would keep the old facts."""
    tenant, charger = uuid4(), uuid4()
    await until_ready(cache, tenant)
    inner.gate, inner.reading = asyncio.Event(), asyncio.Event()
    lookup = asyncio.create_task(cache.of_vehicle_token(tenant, charger, TOKEN))
    await inner.reading.wait()
    retired: list[DomainEvent] = [
        IdentifierRetired(tenant_id=tenant, identifier_id=uuid4(), vehicle_id=uuid4(), value=OTHER_TOKEN)
    ]
    cache.forget(tenant, retired)
    inner.gate.set()
    await lookup
    assert len(cache) == 0
    await cache.of_vehicle_token(tenant, charger, TOKEN)  # read again, and now held
    assert len(cache) == 1


async def test_the_least_recently_used_facts_go_first(inner: CountingFacts, bus: SwitchableBus) -> None:
    cache = CachedTokenFacts(inner, bus, max_entries=2, max_age_seconds=60)
    tenant, a, b, c = uuid4(), uuid4(), uuid4(), uuid4()
    await until_ready(cache, tenant)
    await cache.of_vehicle_token(tenant, a, TOKEN)
    await cache.of_vehicle_token(tenant, b, TOKEN)
    await cache.of_vehicle_token(tenant, a, TOKEN)  # a used again: b is now the oldest
    await cache.of_vehicle_token(tenant, c, TOKEN)
    assert len(cache) == 2
    reads = inner.reads
    await cache.of_vehicle_token(tenant, a, TOKEN)
    await cache.of_vehicle_token(tenant, c, TOKEN)
    assert inner.reads == reads
    await cache.of_vehicle_token(tenant, b, TOKEN)
    assert inner.reads == reads + 1
    # The evicted entry left no trace in the indexes: dropping its token drops only what is held.
    cache.forget(tenant, [IdentifierAdded(tenant_id=tenant, identifier_id=uuid4(), vehicle_id=uuid4(), value=TOKEN)])
    assert len(cache) == 0
    await cache.close()


async def test_facts_older_than_the_max_age_are_read_again(inner: CountingFacts, bus: SwitchableBus) -> None:
    clock = Clock()
    cache = CachedTokenFacts(inner, bus, max_entries=10, max_age_seconds=60, clock=clock)
    tenant, charger = uuid4(), uuid4()
    await until_ready(cache, tenant)
    await cache.of_vehicle_token(tenant, charger, TOKEN)
    reads = inner.reads
    clock.now += 59
    await cache.of_vehicle_token(tenant, charger, TOKEN)
    assert inner.reads == reads
    clock.now += 1
    await cache.of_vehicle_token(tenant, charger, TOKEN)
    assert inner.reads == reads + 1
    await cache.close()


async def test_a_disconnected_bus_drops_everything_and_every_read_goes_to_the_database(
    cache: CachedTokenFacts, inner: CountingFacts, bus: SwitchableBus
) -> None:
    tenant, charger = uuid4(), uuid4()
    await until_ready(cache, tenant)
    await cache.of_vehicle_token(tenant, charger, TOKEN)
    bus.up = False
    reads = inner.reads
    for _ in range(3):
        await cache.of_vehicle_token(tenant, charger, TOKEN)
    assert inner.reads == reads + 3 and len(cache) == 0 and not cache.ready(tenant)
    bus.up = True
    await cache.of_vehicle_token(tenant, charger, TOKEN)
    await cache.of_vehicle_token(tenant, charger, TOKEN)
    assert inner.reads == reads + 4  # held again, from a read made after the bus came back


async def test_a_subscription_that_missed_events_drops_the_tenant_until_it_has_subscribed_again(
    inner: CountingFacts,
) -> None:
    async with SwitchableBus(queue_size=1) as bus:
        cache = CachedTokenFacts(inner, bus, max_entries=10, max_age_seconds=60, retry_seconds=0.05)
        tenant, charger = uuid4(), uuid4()
        await until_ready(cache, tenant)
        await cache.of_vehicle_token(tenant, charger, TOKEN)
        flood = [_charger(tenant, uuid4(), ChargerChange.CONNECTED) for _ in range(3)]
        await bus.publish(tenant, flood)  # more than the subscription's queue takes: it is cut off
        # At once, before the cache's subscriber has even run: not used, and dropped.
        assert not cache.ready(tenant)
        reads = inner.reads
        await cache.of_vehicle_token(tenant, charger, TOKEN)
        assert inner.reads == reads + 1 and len(cache) == 0
        await eventually(lambda: cache.ready(tenant))
        await cache.of_vehicle_token(tenant, charger, TOKEN)
        await cache.of_vehicle_token(tenant, charger, TOKEN)
        assert inner.reads == reads + 2
        await cache.close()
