"""The unit fakes, extended with what the OCPP server needs: a directory over the store, a list journal, a bus."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.errors import Unavailable
from domain.events import DomainEvent
from domain.model import Charger, OcppLogEntry
from domain.queries import ChargerLogin
from tests.unit.fakes import FakeUnitOfWork, Store


class FakeDirectory:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.down = False

    async def charger_login(self, charge_point_id: str) -> ChargerLogin | None:
        if self.down:
            raise Unavailable("database down")
        chargers: list[Charger] = list(self.store.table("chargers").values())
        for charger in chargers:
            if charger.charge_point_id == charge_point_id:
                return ChargerLogin(charger.tenant_id, charger.id, charger.charge_point_id, charger.password_hash)
        return None

    async def ping(self) -> None:
        if self.down:
            raise Unavailable("database down")

    async def due_pairing_sessions(self, now: datetime) -> list[tuple[UUID, UUID]]:
        return []

    async def purge_logs(self, before: datetime) -> int:
        return 0


class ListJournal:
    def __init__(self) -> None:
        self.entries: list[OcppLogEntry] = []

    def append(self, entry: OcppLogEntry) -> None:
        self.entries.append(entry)

    async def flush(self) -> None:
        pass


class StubBus:
    async def publish(self, tenant_id: UUID, events: Sequence[DomainEvent]) -> None:
        pass

    @asynccontextmanager
    async def subscribe(self, tenant_id: UUID, topic: str) -> AsyncIterator[Any]:
        raise NotImplementedError
        yield


class Power:
    """The fake database's power switch, shared by every unit of work of one test."""

    def __init__(self) -> None:
        self.on = True


class FlakyUnitOfWork(FakeUnitOfWork):
    """A unit of work that raises Unavailable on opening while the power is off, as a dead database would."""

    def __init__(self, store: Store, tenant_id: UUID, power: Power) -> None:
        super().__init__(store, tenant_id)
        self.power = power

    async def __aenter__(self) -> FlakyUnitOfWork:
        if not self.power.on:
            raise Unavailable("database down")
        await super().__aenter__()
        return self
