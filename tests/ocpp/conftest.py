from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import pytest
from ocpp.v16 import ChargePoint as Client16
from ocpp.v201 import ChargePoint as Client201
from prometheus_client import CollectorRegistry
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from domain.commands import AddRfidTag, AddVehicle, AddVehicleIdentifier, CreateUser, RegisterCharger
from domain.ids import new_id
from domain.model import Charger, OcppLogEntry, Transaction, User, Vehicle
from domain.services import chargers, users, vehicles
from domain.services.deps import Deps
from ocpp_server import ConnectionRegistry, OcppServer
from tests.ocpp.fakes_ocpp import FakeDirectory, FlakyUnitOfWork, ListJournal, Power, StubBus
from tests.unit.fakes import Store, TokenFactsInUnitOfWork

SUBPROTOCOL = {"1.6": "ocpp1.6", "2.0.1": "ocpp2.0.1"}


@dataclass
class Env:
    """A running OCPP server on an ephemeral port, over the in-memory store; tenant A unless told otherwise."""

    store: Store = field(default_factory=Store)
    power: Power = field(default_factory=Power)
    journal: ListJournal = field(default_factory=ListJournal)
    registry: ConnectionRegistry = field(default_factory=ConnectionRegistry)
    metrics: CollectorRegistry = field(default_factory=CollectorRegistry)
    tenant_a: UUID = field(default_factory=new_id)
    tenant_b: UUID = field(default_factory=new_id)
    servers: list[OcppServer] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.directory = FakeDirectory(self.store)

        def uow(tenant_id: UUID) -> FlakyUnitOfWork:
            return FlakyUnitOfWork(self.store, tenant_id, self.power)

        self.deps = Deps(
            uow=uow,
            directory=self.directory,
            bus=StubBus(),
            journal=self.journal,
            commands=self.registry,
            tokens=TokenFactsInUnitOfWork(uow),
        )

    async def start(self, **overrides: Any) -> OcppServer:
        options: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": 0,
            "heartbeat_interval_seconds": 60,
            "charger_idle_timeout_seconds": 30,
            "max_frame_bytes": 8192,
            "command_timeout_seconds": 2,
            # A second server in one test gets its own registry: metric names are unique per registry.
            "metrics_registry": self.metrics if not self.servers else CollectorRegistry(),
        } | overrides
        server = OcppServer(self.deps, self.registry, **options)
        await server.start()
        self.servers.append(server)
        return server

    @property
    def port(self) -> int:
        return self.servers[-1].port

    def uow(self, tenant: UUID | None = None) -> FlakyUnitOfWork:
        return FlakyUnitOfWork(self.store, tenant or self.tenant_a, self.power)

    async def charger(self, cpid: str = "CP-1", tenant: UUID | None = None, password: str | None = None) -> Charger:
        return await chargers.register_charger(self.uow(tenant), RegisterCharger(cpid, "Depot", password=password))

    async def user(self, email: str = "driver@example.com", tenant: UUID | None = None) -> User:
        return await users.create_user(self.uow(tenant), CreateUser(email=email, name="Driver"))

    async def vehicle(self, user: User, plate: str = "AB-123-CD", mac: str | None = None) -> Vehicle:
        vehicle = await vehicles.add_vehicle(self.uow(user.tenant_id), AddVehicle(user.id, plate))
        if mac is not None:
            await vehicles.add_identifier(self.uow(user.tenant_id), AddVehicleIdentifier(vehicle.id, mac))
        return vehicle

    async def rfid(self, user: User, tag: str) -> None:
        await users.add_rfid_tag(self.uow(user.tenant_id), AddRfidTag(user.id, tag))

    def row(self, table: str, key: Any) -> Any:
        return self.store.table(table)[key]

    def charger_row(self, cpid: str = "CP-1") -> Charger:
        return next(c for c in self.store.table("chargers").values() if c.charge_point_id == cpid)

    def transactions(self) -> list[Transaction]:
        return sorted(self.store.table("transactions").values(), key=lambda t: t.id)

    def entries(self, cpid: str = "CP-1") -> list[OcppLogEntry]:
        return [e for e in self.journal.entries if e.charge_point_id == cpid]

    def metric(self, name: str, **labels: str) -> float:
        return self.metrics.get_sample_value(name, labels) or 0.0


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    world = Env()
    await world.start()
    try:
        yield world
    finally:
        for server in world.servers:
            await server.stop()


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@contextlib.asynccontextmanager
async def raw_socket(
    env: Env, cpid: str = "CP-1", version: str = "1.6", headers: dict[str, str] | None = None
) -> AsyncIterator[ClientConnection]:
    async with connect(
        f"ws://127.0.0.1:{env.port}/ocpp/{cpid}",
        subprotocols=[SUBPROTOCOL[version]],  # type: ignore[list-item]
        additional_headers=headers,
        max_size=None,
    ) as ws:
        yield ws


@contextlib.asynccontextmanager
async def client(
    env: Env,
    cpid: str = "CP-1",
    version: str = "1.6",
    cls: type[Any] | None = None,
    headers: dict[str, str] | None = None,
) -> AsyncIterator[Any]:
    """A charger simulated with the ocpp package's own client ChargePoint, its receive loop running."""
    charge_point_class = cls or (Client16 if version == "1.6" else Client201)
    async with raw_socket(env, cpid, version, headers) as ws:
        cp = charge_point_class(cpid, ws, response_timeout=5)
        loop = asyncio.create_task(cp.start())
        try:
            yield cp
        finally:
            loop.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                await loop


async def eventually(predicate: Any, within: float = 3.0) -> None:
    """Wait for something the server does after answering (e.g. on disconnect): there is no event to wait on."""
    async with asyncio.timeout(within):
        while not predicate():  # noqa: ASYNC110
            await asyncio.sleep(0.01)
