from __future__ import annotations

import pytest

from infra.pubsub.presence import MemoryPresence


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def presence(clock: FakeClock) -> MemoryPresence:
    return MemoryPresence(clock)


async def test_a_claim_names_the_previous_holder(presence: MemoryPresence) -> None:
    assert await presence.claim("CP1", "node-a", ttl=30) is None
    assert await presence.claim("CP1", "node-b", ttl=30) == "node-a"
    assert await presence.holder("CP1") == "node-b"
    assert await presence.holder("CP2") is None


async def test_a_lease_lapses_unless_refreshed(presence: MemoryPresence, clock: FakeClock) -> None:
    await presence.claim("CP1", "node-a", ttl=10)
    clock.now += 8
    assert await presence.refresh("CP1", "node-a", ttl=10)
    clock.now += 8
    assert await presence.holder("CP1") == "node-a"
    clock.now += 3
    assert await presence.holder("CP1") is None
    assert not await presence.refresh("CP1", "node-a", ttl=10)


async def test_only_the_holder_refreshes_or_releases(presence: MemoryPresence) -> None:
    await presence.claim("CP1", "node-a", ttl=10)
    await presence.claim("CP1", "node-b", ttl=10)

    assert not await presence.refresh("CP1", "node-a", ttl=10)
    assert not await presence.release("CP1", "node-a")
    assert await presence.holder("CP1") == "node-b"
    assert await presence.release("CP1", "node-b")
    assert await presence.holder("CP1") is None
    assert not await presence.release("CP1", "node-b")


async def test_a_ttl_must_be_positive(presence: MemoryPresence) -> None:
    with pytest.raises(ValueError, match="ttl"):
        await presence.claim("CP1", "node-a", ttl=0)
