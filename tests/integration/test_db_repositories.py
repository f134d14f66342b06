"""Repositories round-trip entities, see only their tenant's rows, and do the few atomic tricks the domain needs."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from domain.errors import Invalid, NotFound
from domain.ids import new_id
from domain.model import (
    ConnectionState,
    Connector,
    RemoteStart,
    RfidTag,
    TransactionOrigin,
    TransactionStatus,
    VehicleStatus,
)
from domain.pagination import PageRequest
from domain.queries import ChargingSummary, TransactionFilter
from infra.db.engine import Database
from infra.db.frame_journal import BatchedFrameJournal
from infra.db.unit_of_work import SqlUnitOfWorkFactory
from tests.builders import T0, a_log_entry, a_transaction, a_user, an_identifier
from tests.databases import RecordingBus, Seed

VID = "VID:0A1B2C3D4E5F"


async def test_entities_round_trip_with_enums_and_utc_datetimes(seed: Seed, uow_factory: SqlUnitOfWorkFactory) -> None:
    tenant = await seed.tenant()
    charger = await seed.charger(tenant.id, password_hash="h", connection_state=ConnectionState.CONNECTED)
    car = await seed.vehicle(await seed.user(tenant.id), make="Renault", model="Zoe")
    identifier = an_identifier(car, VID, captured_on_charger_id=charger.id)
    transaction = a_transaction(charger, 7, vehicle_id=car.id, origin=TransactionOrigin.AUTOCHARGE)
    async with uow_factory(tenant.id) as uow:
        await uow.identifiers.add(identifier)
        await uow.transactions.add(transaction)
        await uow.commit()
    async with uow_factory(tenant.id) as uow:
        assert await uow.chargers.get(charger.id) == charger
        assert await uow.vehicles.get(car.id) == car
        assert await uow.identifiers.get(identifier.id) == identifier
        stored = await uow.transactions.get(transaction.id)
    assert stored == transaction
    assert stored is not None and stored.started_at.tzinfo is not None and stored.origin is TransactionOrigin.AUTOCHARGE


async def test_a_repository_never_sees_another_tenants_rows(seed: Seed, uow_factory: SqlUnitOfWorkFactory) -> None:
    mine, theirs = await seed.tenant(), await seed.tenant()
    user = await seed.user(theirs.id, email="bob@example.com")
    car = await seed.vehicle(user, license_plate="XY99")
    charger = await seed.charger(theirs.id)
    transaction = a_transaction(charger, 1)
    async with uow_factory(theirs.id) as uow:
        await uow.identifiers.add(identifier := an_identifier(car, VID))
        await uow.rfid_tags.add(RfidTag(id=new_id(), tenant_id=theirs.id, user_id=user.id, id_tag="T1", created_at=T0))
        await uow.transactions.add(transaction)
        await uow.commit()

    async with uow_factory(mine.id) as uow:
        assert await uow.users.get(user.id) is None
        assert await uow.users.get_many([user.id]) == []
        assert await uow.users.by_email("bob@example.com") is None
        assert (await uow.users.page(PageRequest())).total_count == 0
        assert await uow.vehicles.active_by_plate("XY99") is None
        assert await uow.vehicles.for_users([user.id], include_retired=True) == []
        assert await uow.identifiers.by_value(VID) == []
        assert await uow.identifiers.by_value_with_vehicles(VID) == []
        assert await uow.identifiers.for_vehicles([car.id], include_retired=True) == []
        assert await uow.rfid_tags.by_tag("T1") is None
        assert await uow.chargers.by_charge_point_id(charger.charge_point_id) is None
        assert await uow.transactions.get(transaction.id) is None
        assert await uow.transactions.by_ocpp_id(charger.id, "1") is None
        assert (await uow.transactions.page(PageRequest(), TransactionFilter())).items == []
        assert await uow.transactions.count_by_vehicle([car.id]) == {car.id: 0}
        with pytest.raises(NotFound):  # an update cannot reach across either
            await uow.chargers.update(replace(charger, tenant_id=mine.id))
        with pytest.raises(Invalid):
            await uow.users.add(a_user(theirs.id))
    async with uow_factory(theirs.id) as uow:
        assert await uow.identifiers.by_value(VID) == [identifier]
        assert await uow.identifiers.by_value_with_vehicles(VID) == [(identifier, car)]


async def test_lookups_by_user_and_vehicle(seed: Seed, uow_factory: SqlUnitOfWorkFactory) -> None:
    tenant = await seed.tenant()
    user = await seed.user(tenant.id)
    active, retired = await seed.vehicle(user), await seed.vehicle(user, status=VehicleStatus.RETIRED, retired_at=T0)
    old = an_identifier(active, VID, captured_at=T0)
    new = an_identifier(active, "VID:0A1B2C3D4E60", captured_at=T0 + timedelta(days=1))
    tag = RfidTag(id=new_id(), tenant_id=tenant.id, user_id=user.id, id_tag="T1", created_at=T0)
    async with uow_factory(tenant.id) as uow:
        await uow.identifiers.add(old)
        old.retire(T0 + timedelta(hours=1))
        await uow.identifiers.update(old)
        await uow.identifiers.add(new)
        await uow.rfid_tags.add(tag)
        await uow.commit()
    async with uow_factory(tenant.id) as uow:
        assert await uow.vehicles.for_users([user.id], include_retired=False) == [active]
        assert await uow.vehicles.for_users([user.id], include_retired=True) == [active, retired]
        assert await uow.identifiers.for_vehicles([active.id], include_retired=True) == [new, old]  # newest first
        assert await uow.identifiers.for_vehicles([active.id], include_retired=False) == [new]
        assert await uow.rfid_tags.for_users([user.id]) == [tag]
        await uow.rfid_tags.remove(tag)
        await uow.commit()
    async with uow_factory(tenant.id) as uow:
        assert await uow.rfid_tags.by_tag("T1") is None


async def test_next_ocpp_number_never_repeats(seed: Seed, uow_factory: SqlUnitOfWorkFactory) -> None:
    tenant, other = await seed.tenant(), await seed.tenant()

    async def take(tenant_id: object, count: int) -> list[int]:
        async with uow_factory(tenant_id) as uow:  # type: ignore[arg-type]
            numbers = [await uow.transactions.next_ocpp_number() for _ in range(count)]
            await uow.commit()
            return numbers

    batches = [await take(tenant.id, 5), await take(other.id, 5)]
    batches += await asyncio.gather(*(take(tenant.id, 3) for _ in range(4)))
    numbers = [n for batch in batches for n in batch]
    assert len(set(numbers)) == len(numbers) == 22
    assert all(isinstance(n, int) and n > 0 for n in numbers)


async def test_unrecognised_identifiers_are_counted_by_upsert(seed: Seed, uow_factory: SqlUnitOfWorkFactory) -> None:
    tenant = await seed.tenant()
    north, south = await seed.charger(tenant.id), await seed.charger(tenant.id)
    async with uow_factory(tenant.id) as uow:
        await uow.unrecognised.record(north.id, VID, T0)
        await uow.unrecognised.record(north.id, VID, T0 + timedelta(minutes=1))
        await uow.unrecognised.record(south.id, "VID:FFFFFFFFFFFF", T0 + timedelta(minutes=2))
        await uow.commit()
    async with uow_factory(tenant.id) as uow:
        await uow.unrecognised.record(north.id, VID, T0 + timedelta(minutes=3))
        await uow.commit()
    async with uow_factory(tenant.id) as uow:
        latest = await uow.unrecognised.latest(None, 10)
        assert [(u.charger_id, u.value, u.times_seen) for u in latest] == [
            (north.id, VID, 3),
            (south.id, "VID:FFFFFFFFFFFF", 1),
        ]
        assert latest[0].first_seen_at == T0 and latest[0].last_seen_at == T0 + timedelta(minutes=3)
        assert [u.value for u in await uow.unrecognised.latest(south.id, 10)] == ["VID:FFFFFFFFFFFF"]
        await uow.unrecognised.forget(VID)
        await uow.commit()
    async with uow_factory(tenant.id) as uow:
        assert [u.value for u in await uow.unrecognised.latest(None, 10)] == ["VID:FFFFFFFFFFFF"]


async def test_a_suggestion_is_stored_on_the_chargers_latest_unrecognised_row_and_survives_its_next_sighting(
    seed: Seed, uow_factory: SqlUnitOfWorkFactory
) -> None:
    tenant, other = await seed.tenant(), await seed.tenant()
    north, south = await seed.charger(tenant.id), await seed.charger(tenant.id)
    user = await seed.user(tenant.id)
    vehicle = await seed.vehicle(user)
    async with uow_factory(tenant.id) as uow:
        await uow.unrecognised.record(north.id, "VID:AABBCCDDEEFF", T0)
        await uow.unrecognised.record(north.id, VID, T0 + timedelta(seconds=10))
        await uow.unrecognised.record(south.id, "VID:A453EE033156", T0 + timedelta(seconds=20))
        await uow.commit()
    async with uow_factory(tenant.id) as uow:
        assert await uow.unrecognised.last_on_charger(north.id, since=T0 + timedelta(seconds=11)) is None
        rejected = await uow.unrecognised.last_on_charger(north.id, since=T0)
        assert rejected is not None and rejected.value == VID  # the most recent of the charger's rows
        suggested = replace(
            rejected,
            suggested_user_id=user.id,
            suggested_vehicle_id=vehicle.id,
            suggested_at=T0 + timedelta(seconds=30),
        )
        await uow.unrecognised.suggest(suggested)
        await uow.commit()
    async with uow_factory(other.id) as uow:  # another tenant's unit of work sees nothing of it
        assert await uow.unrecognised.last_on_charger(north.id, since=T0) is None
    async with uow_factory(tenant.id) as uow:
        await uow.unrecognised.record(north.id, VID, T0 + timedelta(seconds=40))
        await uow.commit()
    async with uow_factory(tenant.id) as uow:
        rows = {(u.charger_id, u.value): u for u in await uow.unrecognised.latest(None, 10)}
    seen_again = rows[(north.id, VID)]
    assert (seen_again.suggested_user_id, seen_again.suggested_vehicle_id, seen_again.times_seen) == (
        user.id,
        vehicle.id,
        2,
    )
    assert seen_again.suggested_at == T0 + timedelta(seconds=30)
    others = [rows[(north.id, "VID:AABBCCDDEEFF")], rows[(south.id, "VID:A453EE033156")]]
    assert [(u.suggested_user_id, u.suggested_at) for u in others] == [(None, None), (None, None)]


async def test_connectors_upsert(seed: Seed, uow_factory: SqlUnitOfWorkFactory) -> None:
    tenant = await seed.tenant()
    charger = await seed.charger(tenant.id)
    async with uow_factory(tenant.id) as uow:
        for status, minute in (("Available", 0), ("Charging", 1)):
            connector = Connector(
                tenant_id=tenant.id,
                charger_id=charger.id,
                connector_id=1,
                status=status,
                updated_at=T0 + timedelta(minutes=minute),
            )
            await uow.connectors.upsert(connector)
        await uow.commit()
    async with uow_factory(tenant.id) as uow:
        assert await uow.connectors.for_chargers([charger.id]) == [connector]


async def test_transactions_lookups_counts_and_summary(seed: Seed, uow_factory: SqlUnitOfWorkFactory) -> None:
    tenant = await seed.tenant()
    charger = await seed.charger(tenant.id)
    car = await seed.vehicle(await seed.user(tenant.id))
    done = a_transaction(charger, 1, vehicle_id=car.id, origin=TransactionOrigin.AUTOCHARGE)
    running = a_transaction(charger, 2, vehicle_id=car.id, meter_last_wh=1500)
    async with uow_factory(tenant.id) as uow:
        await uow.transactions.add(done)
        await uow.transactions.add(running)
        done.status, done.stopped_at, done.meter_stop_wh = (
            TransactionStatus.COMPLETED,
            done.started_at + timedelta(hours=1),
            9000,
        )
        await uow.transactions.update(done)
        await uow.commit()
    async with uow_factory(tenant.id) as uow:
        assert await uow.transactions.by_start_key(charger.id, "start-2") == running
        assert await uow.transactions.by_ocpp_id(charger.id, "1") == done
        assert await uow.transactions.count_by_vehicle([car.id]) == {car.id: 2}
        everything = await uow.transactions.summary(car.id, None, None)
        assert everything == ChargingSummary(sessions=2, autocharge_sessions=1, energy_wh=8500, charging_seconds=3600)
        later = await uow.transactions.summary(car.id, running.started_at, None)
        assert later == ChargingSummary(sessions=1, autocharge_sessions=0, energy_wh=500, charging_seconds=0)


async def test_a_remote_start_is_pending_until_used_or_expired(seed: Seed, uow_factory: SqlUnitOfWorkFactory) -> None:
    tenant = await seed.tenant()
    charger, user = await seed.charger(tenant.id), await seed.user(tenant.id)
    start = RemoteStart(
        id=new_id(),
        tenant_id=tenant.id,
        charger_id=charger.id,
        connector_id=1,
        user_id=user.id,
        id_tag="ONE-OFF",
        created_at=T0,
        expires_at=T0 + timedelta(minutes=2),
    )
    transaction = a_transaction(charger, 1, origin=TransactionOrigin.REMOTE, user_id=user.id)
    async with uow_factory(tenant.id) as uow:
        await uow.remote_starts.add(start)
        await uow.commit()
    async with uow_factory(tenant.id) as uow:
        assert await uow.remote_starts.pending(charger.id, "ONE-OFF", T0 + timedelta(minutes=1)) == start
        assert await uow.remote_starts.pending(charger.id, "ONE-OFF", T0 + timedelta(minutes=3)) is None
        await uow.transactions.add(transaction)
        start.transaction_id = transaction.id
        await uow.remote_starts.update(start)
        await uow.commit()
    async with uow_factory(tenant.id) as uow:
        assert await uow.remote_starts.pending(charger.id, "ONE-OFF", T0 + timedelta(minutes=1)) is None


async def test_logs_are_read_newest_first(
    seed: Seed, uow_factory: SqlUnitOfWorkFactory, database: Database, bus: RecordingBus
) -> None:
    tenant = await seed.tenant()
    charger = await seed.charger(tenant.id)
    entries = [a_log_entry(charger, action=action) for action in ("BootNotification", "Heartbeat", "Heartbeat")]
    journal = BatchedFrameJournal(database, bus)
    await journal.start()
    for entry in entries:
        journal.append(entry)
    await journal.stop()
    async with uow_factory(tenant.id) as uow:
        assert list((await uow.logs.page(charger.id, PageRequest())).items) == entries[::-1]
        heartbeats = await uow.logs.page(charger.id, PageRequest(first=1), action="Heartbeat")
        assert list(heartbeats.items) == [entries[2]] and heartbeats.has_next and heartbeats.total_count == 2
