"""API keys are looked up once per TTL: accepted keys are remembered, refusals never are."""

from __future__ import annotations

import pytest

from api.auth import PrincipalCache
from domain.errors import Unauthenticated
from domain.ids import new_id
from domain.model import ApiRole, Principal
from tests.api.fakes_api import FakeDirectory

KEY = "ak_test-key"


class CountingDirectory(FakeDirectory):
    def __init__(self) -> None:
        super().__init__()
        self.lookups = 0

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
