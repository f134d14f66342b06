"""The verdict cache on a real database and a real Redis: Authorize served from memory still sees retirements,
pairing sessions and a token charging elsewhere, on this process at once and on another within a second."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import pytest
from redis.asyncio import Redis

from domain.commands import AddVehicleIdentifier, Authorize, RetireVehicleIdentifier, StartPairing, StartTransaction
from domain.commands import Token as Presented
from domain.model import AuthorizationStatus, Charger, ConnectionState, PairingStatus, VehicleIdentifier
from domain.services import authorization, pairing, transactions, vehicles
from domain.services.authorization import Verdict
from infra.db.engine import Database
from infra.db.token_facts import SqlTokenFacts
from infra.db.unit_of_work import SqlUnitOfWorkFactory
from infra.pubsub.redis import RedisEventBus
from infra.verdicts import CachedTokenFacts, InvalidatingEventBus
from tests.databases import Seed
from tests.redis_support import DOWN_URL

pytestmark = pytest.mark.redis

MAC = "0A1B2C3D4E5F"
TOKEN = Presented.from_ocpp16("VID:" + MAC)


@dataclass
class Process:
    """What `autocharge serve` composes for Authorize: a bus, a cache, units of work that publish through both."""

    bus: RedisEventBus
    verdicts: CachedTokenFacts
    uow: SqlUnitOfWorkFactory

    async def authorize(self, tenant_id: UUID, charger: Charger) -> Verdict:
        return await authorization.authorize(self.uow, self.verdicts, Authorize(charger.id, TOKEN, tenant_id=tenant_id))

    async def held(self, tenant_id: UUID, charger: Charger) -> None:
        """Authorize until the verdict comes from memory: the tenant's subscriptions are confirmed in the background."""
        for _ in range(200):
            hits = self.verdicts.lookups["hit"]
            await self.authorize(tenant_id, charger)
            if self.verdicts.lookups["hit"] > hits:
                return
            await asyncio.sleep(0.01)
        raise AssertionError("never served from memory")


@asynccontextmanager
async def process(database: Database, url: str, prefix: str) -> AsyncIterator[Process]:
    async with RedisEventBus(url, prefix=prefix, max_backoff=0.1) as bus:
        verdicts = CachedTokenFacts(
            SqlTokenFacts(database), bus, max_entries=100, max_age_seconds=300, retry_seconds=0.05
        )
        try:
            yield Process(
                bus, verdicts, SqlUnitOfWorkFactory(database.session_factory, InvalidatingEventBus(bus, verdicts))
            )
        finally:
            await verdicts.close()


@pytest.fixture
async def a(database: Database, redis_url: str, prefix: str) -> AsyncIterator[Process]:
    async with process(database, redis_url, prefix) as a:
        yield a


@pytest.fixture
async def b(database: Database, redis_url: str, prefix: str) -> AsyncIterator[Process]:
    async with process(database, redis_url, prefix) as b:
        yield b


@dataclass
class Fleet:
    tenant_id: UUID
    here: Charger
    there: Charger
    vehicle_id: UUID
    identifier: VehicleIdentifier


@pytest.fixture
async def fleet(seed: Seed, uow_factory: SqlUnitOfWorkFactory) -> Fleet:
    tenant = await seed.tenant()
    here, there = [
        await seed.charger(tenant.id, autocharge_supported=True, connection_state=ConnectionState.CONNECTED)
        for _ in range(2)
    ]
    vehicle = await seed.vehicle(await seed.user(tenant.id))
    identifier = await vehicles.add_identifier(uow_factory(tenant.id), AddVehicleIdentifier(vehicle.id, MAC))
    return Fleet(tenant.id, here, there, vehicle.id, identifier)


async def within_a_second(check: Callable[[], Awaitable[bool]]) -> float:
    """How long until `check` holds; fails after a second."""
    started = time.monotonic()
    while not await check():
        assert time.monotonic() - started < 1.0, "not within a second"
        await asyncio.sleep(0.01)
    return time.monotonic() - started


def a_start(charger: Charger) -> StartTransaction:
    return StartTransaction(
        charger.id, 1, TOKEN, 0, datetime.now(UTC), start_key=f"start-{charger.id}", tenant_id=charger.tenant_id
    )


# --- another process: through Redis, within a second ---


async def test_a_retirement_on_one_process_is_refused_on_the_other_within_a_second(
    a: Process, b: Process, fleet: Fleet
) -> None:
    await b.held(fleet.tenant_id, fleet.here)
    assert (await b.authorize(fleet.tenant_id, fleet.here)).status is AuthorizationStatus.ACCEPTED

    await vehicles.retire_identifier(a.uow(fleet.tenant_id), RetireVehicleIdentifier(fleet.identifier.id))

    async def refused() -> bool:
        return (await b.authorize(fleet.tenant_id, fleet.here)).status is AuthorizationStatus.BLOCKED

    await within_a_second(refused)


async def test_a_token_starting_to_charge_on_one_process_is_concurrent_on_the_other_within_a_second(
    a: Process, b: Process, fleet: Fleet
) -> None:
    await b.held(fleet.tenant_id, fleet.here)
    await transactions.start_transaction(a.uow, a_start(fleet.there))

    async def concurrent() -> bool:
        verdict = await b.authorize(fleet.tenant_id, fleet.here)
        return verdict.status is AuthorizationStatus.CONCURRENT_TX and verdict.in_use_on == fleet.there.id

    await within_a_second(concurrent)


async def test_a_pairing_started_on_one_process_captures_on_the_other_within_a_second(
    a: Process, b: Process, fleet: Fleet, seed: Seed
) -> None:
    await b.held(fleet.tenant_id, fleet.here)
    other = await seed.vehicle(await seed.user(fleet.tenant_id))
    await vehicles.retire_identifier(a.uow(fleet.tenant_id), RetireVehicleIdentifier(fleet.identifier.id))
    await b.held(fleet.tenant_id, fleet.here)  # now the retired token's verdict is held
    session = await pairing.start_pairing(a.uow(fleet.tenant_id), StartPairing(other.id, fleet.here.id, 60))

    async def captured() -> bool:
        verdict = await b.authorize(fleet.tenant_id, fleet.here)
        return verdict.status is AuthorizationStatus.ACCEPTED and verdict.vehicle_id == other.id

    await within_a_second(captured)
    async with a.uow(fleet.tenant_id) as uow:
        stored = await uow.pairing.get(session.id)
    assert stored is not None and stored.status is PairingStatus.PAIRED


# --- this process: the very next Authorize ---


async def test_on_the_committing_process_the_next_authorize_sees_each_change(a: Process, fleet: Fleet) -> None:
    await a.held(fleet.tenant_id, fleet.here)
    await transactions.start_transaction(a.uow, a_start(fleet.there))
    assert (await a.authorize(fleet.tenant_id, fleet.here)).status is AuthorizationStatus.CONCURRENT_TX

    await a.held(fleet.tenant_id, fleet.here)
    await vehicles.retire_identifier(a.uow(fleet.tenant_id), RetireVehicleIdentifier(fleet.identifier.id))
    assert (await a.authorize(fleet.tenant_id, fleet.here)).status is AuthorizationStatus.BLOCKED

    await a.held(fleet.tenant_id, fleet.here)
    session = await pairing.start_pairing(a.uow(fleet.tenant_id), StartPairing(fleet.vehicle_id, fleet.here.id, 60))
    await a.authorize(fleet.tenant_id, fleet.here)  # captured, though still refused: it charges on `there`
    async with a.uow(fleet.tenant_id) as uow:
        stored = await uow.pairing.get(session.id)
    assert stored is not None and stored.status is PairingStatus.PAIRED


# --- no bus, nothing held ---


async def test_without_redis_nothing_is_held_and_every_authorize_reads_the_database(
    database: Database, uow_factory: SqlUnitOfWorkFactory, fleet: Fleet
) -> None:
    async with process(database, DOWN_URL, "unreachable") as cut_off:
        for _ in range(5):
            assert (await cut_off.authorize(fleet.tenant_id, fleet.here)).accepted
            await asyncio.sleep(0.02)
        # Committed where no event can reach this process: it still refuses at once.
        await vehicles.retire_identifier(uow_factory(fleet.tenant_id), RetireVehicleIdentifier(fleet.identifier.id))
        assert (await cut_off.authorize(fleet.tenant_id, fleet.here)).status is AuthorizationStatus.BLOCKED
        assert len(cut_off.verdicts) == 0 and cut_off.verdicts.lookups["hit"] == 0
        assert cut_off.verdicts.lookups["bypassed"] == 6


async def test_a_lost_redis_connection_drops_what_was_held(
    database: Database, uow_factory: SqlUnitOfWorkFactory, fleet: Fleet, redis_url: str, prefix: str
) -> None:
    """Events published while the connection is down are lost for good: nothing held before may be used after."""
    name = f"{prefix}-verdicts"
    async with process(database, f"{redis_url}?client_name={name}", prefix) as b:
        await b.held(fleet.tenant_id, fleet.here)
        # A retirement whose event never reaches B, as if published while B was disconnected.
        await vehicles.retire_identifier(uow_factory(fleet.tenant_id), RetireVehicleIdentifier(fleet.identifier.id))
        assert (await b.authorize(fleet.tenant_id, fleet.here)).accepted  # B cannot know yet: held, and no event

        raw = Redis.from_url(redis_url)
        try:
            [listener] = [c for c in await raw.client_list(_type="pubsub") if c["name"] == name]
            await raw.client_kill_filter(_id=listener["id"])
        finally:
            await raw.aclose()

        async def refused() -> bool:
            return (await b.authorize(fleet.tenant_id, fleet.here)).status is AuthorizationStatus.BLOCKED

        await within_a_second(refused)
        assert (await b.authorize(fleet.tenant_id, fleet.here)).status is AuthorizationStatus.BLOCKED
