"""The database repeats the domain's uniqueness rules, and breaking one is a Conflict a person can act on."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.errors import Conflict, Unavailable
from domain.ids import new_id
from domain.model import IdentifierStatus, PairingSession, RfidTag, VehicleStatus
from infra.db.engine import Database
from infra.db.unit_of_work import SqlUnitOfWorkFactory
from tests.builders import T0, a_transaction, a_user, a_vehicle, an_identifier
from tests.databases import RecordingBus, Seed

VID = "VID:0A1B2C3D4E5F"


async def test_an_active_plate_is_unique_in_a_tenant_but_retired_duplicates_are_allowed(
    seed: Seed, uow_factory: SqlUnitOfWorkFactory
) -> None:
    tenant = await seed.tenant()
    user = await seed.user(tenant.id)
    first = await seed.vehicle(user, license_plate="AB12CD")
    with pytest.raises(Conflict, match="active vehicle with this license plate"):
        await seed.vehicle(user, license_plate="AB12CD")

    async with uow_factory(tenant.id) as uow:
        first.retire(T0)
        await uow.vehicles.update(first)
        await uow.commit()
    second = await seed.vehicle(user, license_plate="AB12CD")  # the plate is free again
    async with uow_factory(tenant.id) as uow:
        second.retire(T0)
        await uow.vehicles.update(second)
        await uow.commit()
    await seed.vehicle(user, license_plate="AB12CD", status=VehicleStatus.RETIRED)
    other_tenant = await seed.tenant()
    await seed.vehicle(await seed.user(other_tenant.id), license_plate="AB12CD")


async def test_an_active_identifier_value_is_unique_per_tenant(seed: Seed, uow_factory: SqlUnitOfWorkFactory) -> None:
    tenant, other = await seed.tenant(), await seed.tenant()
    user = await seed.user(tenant.id)
    car, van = await seed.vehicle(user), await seed.vehicle(user)
    async with uow_factory(tenant.id) as uow:
        await uow.identifiers.add(an_identifier(car, VID))
        await uow.commit()
    with pytest.raises(Conflict, match="already active on a vehicle"):
        async with uow_factory(tenant.id) as uow:
            await uow.identifiers.add(an_identifier(van, VID))
    async with uow_factory(tenant.id) as uow:  # a retired one with the same value is history, not a clash
        await uow.identifiers.add(an_identifier(van, VID, status=IdentifierStatus.RETIRED, retired_at=T0))
        await uow.commit()
    other_car = await seed.vehicle(await seed.user(other.id))
    async with uow_factory(other.id) as uow:
        await uow.identifiers.add(an_identifier(other_car, VID))
        await uow.commit()


async def test_a_vehicle_has_at_most_one_active_identifier(seed: Seed, uow_factory: SqlUnitOfWorkFactory) -> None:
    tenant = await seed.tenant()
    car = await seed.vehicle(await seed.user(tenant.id))
    old = an_identifier(car, VID)
    async with uow_factory(tenant.id) as uow:
        await uow.identifiers.add(old)
        await uow.commit()
    with pytest.raises(Conflict, match="already has an active identifier"):
        async with uow_factory(tenant.id) as uow:
            await uow.identifiers.add(an_identifier(car, "VID:0A1B2C3D4E60"))
    async with uow_factory(tenant.id) as uow:
        old.retire(T0)
        await uow.identifiers.update(old)
        await uow.identifiers.add(an_identifier(car, "VID:0A1B2C3D4E60"))
        await uow.commit()


async def test_an_rfid_tag_is_unique_per_tenant(seed: Seed, uow_factory: SqlUnitOfWorkFactory) -> None:
    tenant, other = await seed.tenant(), await seed.tenant()
    alice, bob = await seed.user(tenant.id), await seed.user(tenant.id)
    carol = await seed.user(other.id)

    def tag(user_id: object, tenant_id: object) -> RfidTag:
        return RfidTag(id=new_id(), tenant_id=tenant_id, user_id=user_id, id_tag="04A2B3C4", created_at=T0)  # type: ignore[arg-type]

    async with uow_factory(tenant.id) as uow:
        await uow.rfid_tags.add(tag(alice.id, tenant.id))
        await uow.commit()
    with pytest.raises(Conflict, match="RFID tag is already registered"):
        async with uow_factory(tenant.id) as uow:
            await uow.rfid_tags.add(tag(bob.id, tenant.id))
    async with uow_factory(other.id) as uow:
        await uow.rfid_tags.add(tag(carol.id, other.id))
        await uow.commit()


async def test_email_per_tenant_and_charge_point_id_system_wide(seed: Seed) -> None:
    tenant, other = await seed.tenant(), await seed.tenant()
    await seed.user(tenant.id, email="ada@example.com")
    await seed.user(other.id, email="ada@example.com")
    with pytest.raises(Conflict, match="user with this email"):
        await seed.user(tenant.id, email="ada@example.com")
    await seed.charger(tenant.id, charge_point_id="CP-1")
    with pytest.raises(Conflict, match="this chargePointId is not available"):
        await seed.charger(other.id, charge_point_id="CP-1")
    with pytest.raises(Conflict, match="slug already exists"):
        await seed.tenant(slug=tenant.slug)


async def test_one_waiting_pairing_session_per_charger(seed: Seed, uow_factory: SqlUnitOfWorkFactory) -> None:
    tenant = await seed.tenant()
    charger, car = await seed.charger(tenant.id), await seed.vehicle(await seed.user(tenant.id))

    def session() -> PairingSession:
        return PairingSession(
            id=new_id(),
            tenant_id=tenant.id,
            vehicle_id=car.id,
            charger_id=charger.id,
            started_at=T0,
            expires_at=T0 + timedelta(minutes=5),
        )

    async with uow_factory(tenant.id) as uow:
        await uow.pairing.add(session())
        await uow.commit()
    with pytest.raises(Conflict, match="already waiting on this charger"):
        async with uow_factory(tenant.id) as uow:
            await uow.pairing.add(session())


async def test_a_start_is_recorded_once_per_charger(seed: Seed, uow_factory: SqlUnitOfWorkFactory) -> None:
    tenant = await seed.tenant()
    charger = await seed.charger(tenant.id)
    async with uow_factory(tenant.id) as uow:
        await uow.transactions.add(a_transaction(charger, 1))
        await uow.commit()
    with pytest.raises(Conflict, match="start is already recorded"):
        async with uow_factory(tenant.id) as uow:
            await uow.transactions.add(a_transaction(charger, 2, start_key="start-1"))
    with pytest.raises(Conflict, match="already has a transaction with this transactionId"):
        async with uow_factory(tenant.id) as uow:
            await uow.transactions.add(a_transaction(charger, 3, ocpp_transaction_id="1"))


async def test_a_reference_to_nothing_is_a_conflict(seed: Seed) -> None:
    tenant = await seed.tenant()
    ghost = a_user(tenant.id)  # never written
    with pytest.raises(Conflict, match="refers to something that does not exist"):
        await seed.vehicle(ghost)


async def test_a_failed_unit_leaves_nothing_half_written(seed: Seed, uow_factory: SqlUnitOfWorkFactory) -> None:
    tenant = await seed.tenant()
    owner = await seed.user(tenant.id)
    await seed.vehicle(owner, license_plate="AB12CD")
    newcomer = a_user(tenant.id)

    async def add_user_and_taken_plate() -> None:
        async with uow_factory(tenant.id) as uow:
            await uow.users.add(newcomer)
            await uow.vehicles.add(a_vehicle(newcomer, license_plate="AB12CD"))
            await uow.commit()

    with pytest.raises(Conflict):
        await add_user_and_taken_plate()
    async with uow_factory(tenant.id) as uow:
        assert await uow.users.get(newcomer.id) is None
    async with uow_factory(tenant.id) as uow:  # leaving without commit rolls back too
        await uow.users.add(newcomer)
    async with uow_factory(tenant.id) as uow:
        assert await uow.users.get(newcomer.id) is None


async def test_an_unreachable_database_is_unavailable(tmp_path: object) -> None:
    for url in ("postgresql+asyncpg://postgres@127.0.0.1:1/none", f"sqlite+aiosqlite:///{tmp_path}/missing/dir/db"):
        database = Database(url)
        try:
            with pytest.raises(Unavailable, match="database unavailable"):
                await database.ping()
            with pytest.raises(Unavailable, match="database unavailable"):
                async with SqlUnitOfWorkFactory(database.session_factory, RecordingBus())(new_id()) as uow:
                    await uow.users.get(new_id())
        finally:
            await database.dispose()
