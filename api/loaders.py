"""Per-request DataLoaders: one batched repository call per kind of lookup, whatever the page size."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, TypeVar
from uuid import UUID

from strawberry.dataloader import DataLoader

from domain import model as dm
from domain.errors import NotFound
from domain.ports import UnitOfWork
from domain.services.deps import Deps


class _HasId(Protocol):
    @property
    def id(self) -> UUID: ...


E = TypeVar("E", bound=_HasId)
T = TypeVar("T")
R = TypeVar("R")


def _by_id(keys: Sequence[UUID], found: Sequence[E]) -> list[E | None]:
    index = {entity.id: entity for entity in found}
    return [index.get(key) for key in keys]


def _grouped(keys: Sequence[UUID], found: Sequence[T], key_of: Callable[[T], UUID]) -> list[list[T]]:
    groups: dict[UUID, list[T]] = defaultdict(list)
    for item in found:
        groups[key_of(item)].append(item)
    return [groups.get(key, []) for key in keys]


async def require(loader: DataLoader[UUID, E | None], key: UUID, what: str) -> E:
    """A related row that must exist: NotFound only when it was deleted under the request."""
    entity = await loader.load(key)
    if entity is None:
        raise NotFound(f"{what} {key} not found")
    return entity


def require_then(
    loader: DataLoader[UUID, E | None], key: UUID, what: str, convert: Callable[[E], R]
) -> R | Awaitable[R]:
    """`convert(await require(loader, key, what))`, but at once when the loader already holds the entity.

    For resolvers of list items whose entities were primed: graphql-core completes a plain value in line, while
    an awaitable in a row sends the row and the whole list through coroutines, with a task per row.
    """
    future = loader.cache_map.get(key) if loader.cache else None
    if future is None or not future.done() or future.cancelled():
        return _converted(require(loader, key, what), convert)
    entity = future.result()  # raises what the batch raised, as awaiting it would
    if entity is None:
        raise NotFound(f"{what} {key} not found")
    return convert(entity)


async def _converted(entity: Awaitable[E], convert: Callable[[E], R]) -> R:
    return convert(await entity)


class Loaders:
    """Made per request (HTTP) or per connection (websocket, without a cache so events never see stale rows).

    Each batch opens its own unit of work: one database session cannot run two queries at once,
    and the loaders of one request run concurrently.
    """

    def __init__(self, deps: Deps, tenant_id: UUID, *, cache: bool = True) -> None:
        # The batch functions belong to another object: a DataLoader holding a bound method of the object that
        # holds it is a reference cycle, and each request's loaders, with every row in their caches, would then
        # wait for the cycle collector (a pause of milliseconds every few dozen requests) instead of being freed
        # as the request ends.
        batches = _Batches(deps, tenant_id)
        self.users: DataLoader[UUID, dm.User | None] = DataLoader(batches.users, cache=cache)
        self.vehicles: DataLoader[UUID, dm.Vehicle | None] = DataLoader(batches.vehicles, cache=cache)
        self.chargers: DataLoader[UUID, dm.Charger | None] = DataLoader(batches.chargers, cache=cache)
        self.identifiers: DataLoader[UUID, dm.VehicleIdentifier | None] = DataLoader(batches.identifiers, cache=cache)
        self.active_identifier_by_vehicle: DataLoader[UUID, dm.VehicleIdentifier | None] = DataLoader(
            batches.active_identifier_by_vehicle, cache=cache
        )
        self.identifiers_by_vehicle: DataLoader[UUID, list[dm.VehicleIdentifier]] = DataLoader(
            batches.identifiers_by_vehicle, cache=cache
        )
        self.vehicles_by_user: DataLoader[UUID, list[dm.Vehicle]] = DataLoader(batches.vehicles_by_user, cache=cache)
        self.rfid_tags_by_user: DataLoader[UUID, list[dm.RfidTag]] = DataLoader(batches.rfid_tags_by_user, cache=cache)
        self.transaction_counts: DataLoader[UUID, int] = DataLoader(batches.transaction_counts, cache=cache)
        self.connectors_by_charger: DataLoader[UUID, list[dm.Connector]] = DataLoader(
            batches.connectors_by_charger, cache=cache
        )
        self.settings_by_charger: DataLoader[UUID, list[dm.ChargerSetting]] = DataLoader(
            batches.settings_by_charger, cache=cache
        )
        self.autocharge_token_seen: DataLoader[UUID, bool] = DataLoader(batches.autocharge_token_seen, cache=cache)

    async def prime_chargers(self, uow: UnitOfWork, charger_ids: set[UUID]) -> None:
        """Read a page's chargers in the page's own unit of work, sparing the loader a session of its own."""
        if self.chargers.cache and charger_ids:
            found = await uow.chargers.get_many(list(charger_ids))
            self.chargers.prime_many({charger.id: charger for charger in found})


class _Batches:
    """The loaders' batch functions: one read, in a unit of work of its own, per batch of keys."""

    def __init__(self, deps: Deps, tenant_id: UUID) -> None:
        self._deps = deps
        self._tenant_id = tenant_id

    async def _read(self, query: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        async with self._deps.uow(self._tenant_id) as uow:
            return await query(uow)  # read only: leaving without commit rolls back nothing

    async def users(self, keys: list[UUID]) -> list[dm.User | None]:
        return _by_id(keys, await self._read(lambda uow: uow.users.get_many(keys)))

    async def vehicles(self, keys: list[UUID]) -> list[dm.Vehicle | None]:
        return _by_id(keys, await self._read(lambda uow: uow.vehicles.get_many(keys)))

    async def chargers(self, keys: list[UUID]) -> list[dm.Charger | None]:
        return _by_id(keys, await self._read(lambda uow: uow.chargers.get_many(keys)))

    async def identifiers(self, keys: list[UUID]) -> list[dm.VehicleIdentifier | None]:
        return _by_id(keys, await self._read(lambda uow: uow.identifiers.get_many(keys)))

    async def active_identifier_by_vehicle(self, keys: list[UUID]) -> list[dm.VehicleIdentifier | None]:
        found = await self._read(lambda uow: uow.identifiers.for_vehicles(keys, include_retired=False))
        return [group[0] if group else None for group in _grouped(keys, found, lambda i: i.vehicle_id)]

    async def identifiers_by_vehicle(self, keys: list[UUID]) -> list[list[dm.VehicleIdentifier]]:
        found = await self._read(lambda uow: uow.identifiers.for_vehicles(keys, include_retired=True))
        return _grouped(keys, found, lambda i: i.vehicle_id)

    async def vehicles_by_user(self, keys: list[UUID]) -> list[list[dm.Vehicle]]:
        found = await self._read(lambda uow: uow.vehicles.for_users(keys, include_retired=True))
        return _grouped(keys, found, lambda v: v.user_id)

    async def rfid_tags_by_user(self, keys: list[UUID]) -> list[list[dm.RfidTag]]:
        found = await self._read(lambda uow: uow.rfid_tags.for_users(keys))
        return _grouped(keys, found, lambda t: t.user_id)

    async def transaction_counts(self, keys: list[UUID]) -> list[int]:
        counts = await self._read(lambda uow: uow.transactions.count_by_vehicle(keys))
        return [counts.get(key, 0) for key in keys]

    async def connectors_by_charger(self, keys: list[UUID]) -> list[list[dm.Connector]]:
        found = await self._read(lambda uow: uow.connectors.for_chargers(keys))
        connectors = _grouped(keys, found, lambda c: c.charger_id)
        return [sorted(group, key=lambda c: c.connector_id) for group in connectors]

    async def settings_by_charger(self, keys: list[UUID]) -> list[list[dm.ChargerSetting]]:
        found = await self._read(lambda uow: uow.settings.for_chargers(keys))
        return _grouped(keys, found, lambda s: s.charger_id)

    async def autocharge_token_seen(self, keys: list[UUID]) -> list[bool]:
        seen = await self._read(lambda uow: uow.settings.autocharge_tokens_seen(keys))
        return [key in seen for key in keys]
