"""require_then: a value at once when the DataLoader already holds it, an awaitable when it must load; and a
request's loaders, with what they cached, freed as the request ends."""

from __future__ import annotations

import gc
import inspect
from uuid import UUID

import pytest
from strawberry.dataloader import DataLoader

from api.loaders import Loaders, require_then
from domain.errors import NotFound
from domain.ids import new_id
from domain.model import Charger
from tests.api import factories
from tests.api.harness import Api
from tests.builders import a_charger


def a_named_charger(name: str) -> Charger:
    return a_charger(new_id(), charge_point_id=name, name=name)


class Counting:
    def __init__(self, *chargers: Charger) -> None:
        self.rows = {charger.id: charger for charger in chargers}
        self.batches: list[list[UUID]] = []

    async def __call__(self, keys: list[UUID]) -> list[Charger | None]:
        self.batches.append(keys)
        return [self.rows.get(key) for key in keys]


def name(charger: Charger) -> str:
    return charger.charge_point_id


async def test_a_primed_entity_comes_back_at_once_without_a_batch() -> None:
    charger = a_named_charger("CP-1")
    load = Counting(charger)
    loader: DataLoader[UUID, Charger | None] = DataLoader(load)
    loader.prime(charger.id, charger)
    assert require_then(loader, charger.id, "charger", name) == "CP-1"
    assert load.batches == []


async def test_an_entity_not_yet_loaded_is_awaited_then_held() -> None:
    charger = a_named_charger("CP-1")
    load = Counting(charger)
    loader: DataLoader[UUID, Charger | None] = DataLoader(load)
    pending = require_then(loader, charger.id, "charger", name)
    assert inspect.isawaitable(pending)
    assert await pending == "CP-1"
    assert require_then(loader, charger.id, "charger", name) == "CP-1"  # the loader's cache has it now
    assert load.batches == [[charger.id]]


async def test_a_missing_entity_is_not_found_either_way() -> None:
    gone = new_id()
    loader: DataLoader[UUID, Charger | None] = DataLoader(Counting())
    pending = require_then(loader, gone, "charger", name)
    assert inspect.isawaitable(pending)
    with pytest.raises(NotFound, match=f"charger {gone} not found"):
        await pending
    with pytest.raises(NotFound, match=f"charger {gone} not found"):
        require_then(loader, gone, "charger", name)


async def test_without_a_cache_every_call_loads() -> None:
    charger = a_named_charger("CP-1")
    load = Counting(charger)
    loader: DataLoader[UUID, Charger | None] = DataLoader(load, cache=False)
    for _ in range(2):
        pending = require_then(loader, charger.id, "charger", name)
        assert inspect.isawaitable(pending)
        assert await pending == "CP-1"
    assert load.batches == [[charger.id], [charger.id]]


async def test_a_requests_loaders_are_freed_when_it_ends_without_the_cycle_collector(api: Api) -> None:
    charger = await factories.charger(api)
    car = await factories.vehicle(api, await factories.user(api))
    await factories.transaction(api, charger, car)
    query = "query($v: ID!) { vehicle(id: $v) { user { email } transactions { edges { node { charger { name } } } } } }"
    gc.collect()
    gc.disable()
    try:
        await api.data(query, {"v": str(car.id)})
        assert not [o for o in gc.get_objects() if isinstance(o, Loaders)]
    finally:
        gc.enable()
