"""API keys are looked up once per TTL: accepted keys are remembered, refusals never are."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import datetime, timedelta
from uuid import UUID

import pytest

from api.auth import PrincipalCache
from domain.errors import Unauthenticated
from domain.events import API_KEYS_TOPIC, ApiKeyRevoked
from domain.ids import new_id
from domain.model import ApiRole, Principal
from domain.secrets import hash_api_key
from domain.services.api_keys import KeyUsage
from infra.pubsub.memory import MemoryEventBus
from tests.api.fakes_api import FakeDirectory
from tests.api.harness import FakeClock

KEY = "ak_test-key"


class CountingDirectory(FakeDirectory):
    def __init__(self) -> None:
        super().__init__()
        self.lookups = 0
        self.used: dict[UUID, datetime] = {}

    async def record_key_use(self, last_used: Mapping[UUID, datetime]) -> None:
        self.used.update(last_used)

    async def principal_for_key(self, key_hash: str) -> Principal | None:
        self.lookups += 1
        return await super().principal_for_key(key_hash)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def a_principal() -> Principal:
    return Principal(tenant_id=new_id(), tenant_name="Acme", role=ApiRole.READ_ONLY)


async def test_an_accepted_key_is_looked_up_once_per_ttl() -> None:
    directory, clock, principal = CountingDirectory(), Clock(), a_principal()
    directory.add_key(KEY, principal)
    cache = PrincipalCache(directory, ttl=30, clock=clock)
    assert await cache.authenticate(KEY) == principal
    clock.now += 29
    assert await cache.authenticate(f" {KEY} ") == principal
    assert directory.lookups == 1
    directory.principals.clear()  # revoked: refused once the entry has expired
    clock.now += 2
    with pytest.raises(Unauthenticated, match="invalid or revoked API key"):
        await cache.authenticate(KEY)
    assert directory.lookups == 2


async def test_refusals_are_not_remembered_and_a_missing_key_is_refused_without_a_lookup() -> None:
    directory, principal = CountingDirectory(), a_principal()
    cache = PrincipalCache(directory, ttl=30, clock=Clock())
    with pytest.raises(Unauthenticated, match="invalid or revoked"):
        await cache.authenticate(KEY)
    directory.add_key(KEY, principal)  # created a moment later: works at once
    assert await cache.authenticate(KEY) == principal
    with pytest.raises(Unauthenticated, match="missing API key"):
        await cache.authenticate(None)
    assert directory.lookups == 2


async def test_the_cache_is_bounded_and_a_ttl_of_zero_looks_up_every_time() -> None:
    directory, clock = CountingDirectory(), Clock()
    keys = [f"ak_{n}" for n in range(5)]
    for key in keys:
        directory.add_key(key, a_principal())
    bounded = PrincipalCache(directory, ttl=30, max_entries=2, clock=clock)
    for key in keys:
        await bounded.authenticate(key)
    assert len(bounded._entries) == 2
    uncached = PrincipalCache(directory, ttl=0, clock=clock)
    for _ in range(3):
        await uncached.authenticate(keys[0])
    assert directory.lookups == 5 + 3


async def test_a_revocation_heard_on_the_bus_drops_the_key_at_once_and_other_keys_stay_remembered() -> None:
    directory, clock = CountingDirectory(), Clock()
    tenant = new_id()
    revoked, kept = (Principal(tenant, "Acme", ApiRole.ADMIN, key_id=new_id()) for _ in range(2))
    directory.add_key(KEY, revoked)
    directory.add_key("ak_other", kept)
    async with MemoryEventBus() as bus:
        cache = PrincipalCache(directory, ttl=30, clock=clock, bus=bus)
        await cache.authenticate(KEY)
        await cache.authenticate("ak_other")
        assert bus.subscribers(tenant, API_KEYS_TOPIC) == 1  # one listener per tenant, not per key
        directory.principals.pop(hash_api_key(KEY))  # as the database has it after the revocation
        await bus.publish(tenant, [ApiKeyRevoked(tenant_id=tenant, key_id=revoked.key_id)])  # type: ignore[arg-type]
        await asyncio.sleep(0)  # the listener runs
        with pytest.raises(Unauthenticated, match="invalid or revoked"):
            await cache.authenticate(KEY)
        assert await cache.authenticate("ak_other") == kept
        assert directory.lookups == 3  # two first uses, and the revoked key's lookup: the kept one was remembered
        await cache.close()
        assert bus.subscribers(tenant, API_KEYS_TOPIC) == 0


async def test_when_the_bus_cuts_the_listener_off_the_tenants_keys_are_looked_up_again() -> None:
    directory, clock = CountingDirectory(), Clock()
    principal = Principal(new_id(), "Acme", ApiRole.ADMIN, key_id=new_id())
    directory.add_key(KEY, principal)
    bus = MemoryEventBus()
    cache = PrincipalCache(directory, ttl=30, clock=clock, bus=bus)
    await cache.authenticate(KEY)
    await bus.close()  # events may be missed from now on
    await asyncio.sleep(0)
    await cache.authenticate(KEY)
    assert directory.lookups == 2
    await cache.close()


async def test_an_expired_key_is_refused_even_when_remembered_and_each_use_is_recorded() -> None:
    directory, clock, wall = CountingDirectory(), Clock(), FakeClock()
    principal = Principal(new_id(), "Acme", ApiRole.ADMIN, key_id=new_id(), expires_at=wall.now + timedelta(seconds=60))
    directory.add_key(KEY, principal)
    usage = KeyUsage(directory, wall)
    cache = PrincipalCache(directory, ttl=30, clock=clock, usage=usage, now=wall)
    assert await cache.authenticate(KEY) == principal
    wall.advance(59)
    assert await cache.authenticate(KEY) == principal
    assert directory.lookups == 1
    await usage.flush()
    assert directory.used == {principal.key_id: wall.now}
    wall.advance(1)
    with pytest.raises(Unauthenticated, match="expired"):
        await cache.authenticate(KEY)
    clock.now += 31  # looked up again: the database's answer has expired too
    with pytest.raises(Unauthenticated, match="expired"):
        await cache.authenticate(KEY)
