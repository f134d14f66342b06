"""The unit of work: events leave only after a successful commit, in the order they were recorded."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from domain.errors import Conflict
from domain.events import ChargerChange, ChargerStatusChanged, PairingSessionChanged
from domain.ids import new_id
from domain.model import ConnectionState, PairingSession, PairingStatus
from domain.ports import UnitOfWork, UnitOfWorkFactory
from infra.db.unit_of_work import SqlUnitOfWorkFactory
from tests.builders import T0, a_charger
from tests.databases import RecordingBus, Seed


def test_the_factory_and_unit_satisfy_the_ports(uow_factory: SqlUnitOfWorkFactory) -> None:
    factory: UnitOfWorkFactory = uow_factory
    unit: UnitOfWork = factory(new_id())
    assert unit.tenant_id is not None


async def test_events_are_published_after_commit_in_recorded_order(
    seed: Seed, uow_factory: SqlUnitOfWorkFactory, bus: RecordingBus
) -> None:
    tenant = await seed.tenant()
    charger = a_charger(tenant.id)
    booted = ChargerStatusChanged(tenant_id=tenant.id, change=ChargerChange.BOOTED, charger=charger)
    connected = ChargerStatusChanged(tenant_id=tenant.id, change=ChargerChange.CONNECTED, charger=charger)
    updated = ChargerStatusChanged(tenant_id=tenant.id, change=ChargerChange.UPDATED, charger=charger)
    async with uow_factory(tenant.id) as uow:
        await uow.chargers.add(charger)
        uow.publish(booted)
        uow.publish(connected)
        charger.connection_state = ConnectionState.CONNECTED
        await uow.chargers.update(charger)
        uow.publish(updated)
        assert bus.published == []
        await uow.commit()
    assert bus.published == [(tenant.id, [booted, connected, updated])]


async def test_nothing_is_published_without_a_commit(
    seed: Seed, uow_factory: SqlUnitOfWorkFactory, bus: RecordingBus
) -> None:
    tenant = await seed.tenant()
    charger = a_charger(tenant.id)
    async with uow_factory(tenant.id) as uow:
        await uow.chargers.add(charger)
        uow.publish(ChargerStatusChanged(tenant_id=tenant.id, change=ChargerChange.BOOTED, charger=charger))
        uow.publish(ChargerStatusChanged(tenant_id=tenant.id, change=ChargerChange.UPDATED, charger=charger))
    async with uow_factory(tenant.id) as uow:
        uow.publish(ChargerStatusChanged(tenant_id=tenant.id, change=ChargerChange.UPDATED, charger=charger))
        await uow.rollback()
        await uow.commit()

    async def publish_then_conflict() -> None:
        async with uow_factory(tenant.id) as uow:
            uow.publish(ChargerStatusChanged(tenant_id=tenant.id, change=ChargerChange.UPDATED, charger=charger))
            await uow.chargers.add(a_charger(tenant.id, charge_point_id="X"))
            await uow.chargers.add(a_charger(tenant.id, charge_point_id="X"))
            await uow.commit()

    with pytest.raises(Conflict):
        await publish_then_conflict()
    assert bus.published == []


async def test_transition_is_compare_and_set(seed: Seed, uow_factory: SqlUnitOfWorkFactory, bus: RecordingBus) -> None:
    tenant = await seed.tenant()
    charger, car = await seed.charger(tenant.id), await seed.vehicle(await seed.user(tenant.id))
    stored = PairingSession(
        id=new_id(),
        tenant_id=tenant.id,
        vehicle_id=car.id,
        charger_id=charger.id,
        started_at=T0,
        expires_at=T0 + timedelta(minutes=5),
    )
    async with uow_factory(tenant.id) as uow:
        await uow.pairing.add(stored)
        await uow.commit()

    async def finish(status: PairingStatus, started: asyncio.Event, go: asyncio.Event) -> bool:
        async with uow_factory(tenant.id) as uow:
            session = await uow.pairing.get(stored.id)
            assert session is not None and session.is_waiting
            started.set()
            await go.wait()  # both have read WAITING before either writes
            session.finish(status, T0 + timedelta(minutes=1))
            won = await uow.pairing.transition(session, PairingStatus.WAITING_FOR_VEHICLE)
            if won:  # as domain.services.pairing does: only a change that happened is announced
                uow.publish(PairingSessionChanged(tenant_id=tenant.id, session=session))
            await uow.commit()
            return won

    ready = [asyncio.Event(), asyncio.Event()]
    go = asyncio.Event()
    paired = asyncio.create_task(finish(PairingStatus.PAIRED, ready[0], go))
    cancelled = asyncio.create_task(finish(PairingStatus.CANCELLED, ready[1], go))
    await asyncio.gather(*(event.wait() for event in ready))
    go.set()
    results = await asyncio.gather(paired, cancelled)
    assert sorted(results) == [False, True]
    winner = PairingStatus.PAIRED if results[0] else PairingStatus.CANCELLED
    async with uow_factory(tenant.id) as uow:
        final = await uow.pairing.get(stored.id)
        assert final is not None and final.status is winner and final.finished_at is not None
        assert await uow.pairing.waiting_on_charger(charger.id) is None
    # Only the winner's event went out: the loser's change never happened.
    assert [e.session.status for e in bus.events if isinstance(e, PairingSessionChanged)] == [winner]
