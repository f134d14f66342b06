from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from domain.commands import AddVehicle, CreateUser, RegisterCharger, ReportConnected
from domain.ids import new_id
from domain.model import Charger, ConnectionState, User, Vehicle
from domain.services import chargers, users, vehicles
from tests.unit.fakes import FakeUnitOfWork, Store


@dataclass
class FakeClock:
    now: datetime = field(default_factory=lambda: datetime(2026, 11, 21, 8, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class World:
    """One store with two tenants; `uow()` opens tenant A's unit of work unless told otherwise."""

    store: Store
    clock: FakeClock
    tenant_a: UUID
    tenant_b: UUID

    def uow(self, tenant: UUID | None = None) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.store, tenant or self.tenant_a)

    @property
    def factory(self) -> Callable[[UUID], FakeUnitOfWork]:
        return lambda tenant_id: FakeUnitOfWork(self.store, tenant_id)

    async def user(self, email: str = "driver@example.com", tenant: UUID | None = None) -> User:
        return await users.create_user(self.uow(tenant), CreateUser(email=email, name="Driver"), self.clock)

    async def vehicle(self, user: User, plate: str = "AB-123-CD") -> Vehicle:
        return await vehicles.add_vehicle(self.uow(user.tenant_id), AddVehicle(user.id, plate), self.clock)

    async def charger(self, cpid: str = "CP-1", tenant: UUID | None = None, connected: bool = True) -> Charger:
        charger = await chargers.register_charger(
            self.uow(tenant), RegisterCharger(cpid, "Depot 1", autocharge_supported=True), self.clock
        )
        if connected:
            charger = await chargers.charger_connected(self.uow(tenant), ReportConnected(charger.id, "1.6"), self.clock)
            assert charger.connection_state is ConnectionState.CONNECTED
        return charger


@pytest.fixture
def world() -> World:
    return World(Store(), FakeClock(), new_id(), new_id())
