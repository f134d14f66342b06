from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest

from domain.commands import (
    AddRfidTag,
    AddVehicleIdentifier,
    RemoteStartTransaction,
    RemoteStopTransaction,
    ReportMeterValues,
    StartTransaction,
    StopTransaction,
    Token,
)
from domain.errors import Unavailable
from domain.events import TransactionChange, TransactionChanged
from domain.model import AuthorizationStatus, TransactionOrigin, TransactionStatus
from domain.services import remote, transactions, users, vehicles
from tests.unit.conftest import World
from tests.unit.fakes import FakeCommands


def _start(
    tenant_id: UUID,
    charger_id: object,
    token: Token | None,
    key: str = "k1",
    ocpp_id: str | None = None,
    meter: int = 1000,
    at: object = None,
) -> StartTransaction:
    return StartTransaction(charger_id, 1, token, meter, at, key, ocpp_id, tenant_id=tenant_id)  # type: ignore[arg-type]


async def test_an_autocharge_start_has_its_origin_vehicle_and_user(world: World) -> None:
    charger = await world.charger()
    vehicle = await world.vehicle(await world.user())
    await vehicles.add_identifier(world.uow(), AddVehicleIdentifier(vehicle.id, "0A1B2C3D4E5F"))
    tx, verdict = await transactions.start_transaction(
        world.factory, _start(world.tenant_a, charger.id, Token.from_ocpp16("VID:0A1B2C3D4E5F"), at=world.clock.now)
    )
    assert verdict.accepted
    assert (tx.origin, tx.vehicle_id, tx.user_id, tx.status) == (
        TransactionOrigin.AUTOCHARGE,
        vehicle.id,
        vehicle.user_id,
        TransactionStatus.ACTIVE,
    )
    assert int(tx.ocpp_transaction_id) > 0


async def test_a_retried_start_returns_the_first_transaction(world: World) -> None:
    charger = await world.charger()
    first, _ = await transactions.start_transaction(
        world.factory, _start(world.tenant_a, charger.id, Token.from_ocpp16("X"), at=world.clock.now)
    )
    again, _ = await transactions.start_transaction(
        world.factory, _start(world.tenant_a, charger.id, Token.from_ocpp16("X"), at=world.clock.now)
    )
    assert again.id == first.id and again.ocpp_transaction_id == first.ocpp_transaction_id
    async with world.uow() as uow:
        from domain.pagination import PageRequest
        from domain.queries import TransactionFilter

        assert (await uow.transactions.page(PageRequest(), TransactionFilter())).total_count == 1


async def test_a_start_with_a_rejected_token_is_stored_with_its_status(world: World) -> None:
    charger = await world.charger()
    tx, verdict = await transactions.start_transaction(
        world.factory, _start(world.tenant_a, charger.id, Token.from_ocpp16("NOBODY"), at=world.clock.now)
    )
    assert verdict.status is AuthorizationStatus.INVALID
    assert tx.authorization is AuthorizationStatus.INVALID and tx.user_id is None


async def test_energy_follows_meter_values_and_the_stop(world: World) -> None:
    charger = await world.charger()
    user = await world.user()
    await users.add_rfid_tag(world.uow(), AddRfidTag(user.id, "CARD-1"))
    only = await world.vehicle(user)
    tx, _ = await transactions.start_transaction(
        world.factory, _start(world.tenant_a, charger.id, Token.from_ocpp16("CARD-1"), at=world.clock.now)
    )
    assert (tx.origin, tx.vehicle_id) == (TransactionOrigin.RFID, only.id)  # the single vehicle, without Autocharge
    metered = await transactions.report_meter_values(
        world.factory,
        ReportMeterValues(charger.id, tx.ocpp_transaction_id, 3500, world.clock.now, tenant_id=world.tenant_a),
    )
    assert metered is not None and metered[0].energy_wh == 2500
    stop = StopTransaction(
        charger.id, tx.ocpp_transaction_id, 6000, world.clock.now + timedelta(hours=1), "EVDisconnected"
    )
    stopped = await transactions.stop_transaction(world.uow(), stop)
    assert stopped is not None and (stopped.status, stopped.energy_wh, stopped.stop_reason) == (
        TransactionStatus.COMPLETED,
        5000,
        "EVDisconnected",
    )
    again = await transactions.stop_transaction(world.uow(), stop)
    assert again is not None and again.energy_wh == 5000
    changes = [e.change for e in world.store.published if isinstance(e, TransactionChanged)]
    assert changes == [TransactionChange.STARTED, TransactionChange.METER_VALUES, TransactionChange.STOPPED]


async def test_a_token_presented_after_a_201_start_attributes_the_transaction(world: World) -> None:
    charger = await world.charger()
    vehicle = await world.vehicle(await world.user())
    await vehicles.add_identifier(world.uow(), AddVehicleIdentifier(vehicle.id, "0A1B2C3D4E5F"))
    tx, _ = await transactions.start_transaction(
        world.factory, _start(world.tenant_a, charger.id, None, "tx-9", "tx-9", at=world.clock.now)
    )
    assert tx.id_tag == ""
    result = await transactions.report_meter_values(
        world.factory,
        ReportMeterValues(
            charger.id,
            "tx-9",
            None,
            world.clock.now,
            Token.from_ocpp201("0A1B2C3D4E5F", "MacAddress"),
            tenant_id=world.tenant_a,
        ),
    )
    assert result is not None
    updated, verdict = result
    assert verdict is not None and verdict.accepted
    assert (updated.origin, updated.vehicle_id) == (TransactionOrigin.AUTOCHARGE, vehicle.id)


async def test_a_remote_start_is_recognised_and_has_origin_remote(world: World) -> None:
    charger = await world.charger()
    user = await world.user()
    only = await world.vehicle(user)
    commands = FakeCommands()
    assert await remote.remote_start(world.uow(), commands, RemoteStartTransaction(charger.id, 1, user.id), world.clock)
    [(kind, (cpid, connector, id_tag))] = commands.sent
    assert (kind, cpid, connector, len(id_tag)) == ("start", "CP-1", 1, 20)
    tx, verdict = await transactions.start_transaction(
        world.factory, _start(world.tenant_a, charger.id, Token.from_ocpp16(id_tag), at=world.clock.now), world.clock
    )
    assert verdict.accepted
    assert (tx.origin, tx.user_id, tx.vehicle_id) == (TransactionOrigin.REMOTE, user.id, only.id)
    assert await remote.remote_stop(world.uow(), commands, RemoteStopTransaction(tx.id))
    assert commands.sent[-1] == ("stop", ("CP-1", tx.ocpp_transaction_id))


async def test_remote_start_on_a_disconnected_charger_is_unavailable(world: World) -> None:
    charger = await world.charger(connected=False)
    user = await world.user()
    with pytest.raises(Unavailable):
        await remote.remote_start(
            world.uow(), FakeCommands(), RemoteStartTransaction(charger.id, 1, user.id), world.clock
        )


async def test_a_different_token_presented_mid_transaction_is_judged_on_its_own(world: World) -> None:
    charger = await world.charger()
    vehicle = await world.vehicle(await world.user())
    await vehicles.add_identifier(world.uow(), AddVehicleIdentifier(vehicle.id, "0A1B2C3D4E5F"))
    token = Token.from_ocpp201("0A1B2C3D4E5F", "MacAddress")
    await transactions.start_transaction(
        world.factory, _start(world.tenant_a, charger.id, token, "tx-1", "tx-1", at=world.clock.now)
    )
    stranger = Token.from_ocpp201("NOBODY-CARD", "ISO14443")
    result = await transactions.report_meter_values(
        world.factory, ReportMeterValues(charger.id, "tx-1", 2000, world.clock.now, stranger, tenant_id=world.tenant_a)
    )
    assert result is not None
    transaction, verdict = result
    assert verdict is not None and verdict.status is AuthorizationStatus.INVALID
    assert (transaction.origin, transaction.vehicle_id, transaction.authorization) == (
        TransactionOrigin.AUTOCHARGE,
        vehicle.id,
        AuthorizationStatus.ACCEPTED,
    )


async def test_a_token_first_presented_mid_transaction_can_be_captured_by_pairing(world: World) -> None:
    from domain.commands import StartPairing
    from domain.model import PairingStatus
    from domain.services import pairing

    charger = await world.charger()
    vehicle = await world.vehicle(await world.user())
    session = await pairing.start_pairing(world.uow(), StartPairing(vehicle.id, charger.id, 60), world.clock)
    await transactions.start_transaction(
        world.factory, _start(world.tenant_a, charger.id, None, "tx-2", "tx-2", at=world.clock.now)
    )
    token = Token.from_ocpp201("0A1B2C3D4E5F", "MacAddress")
    result = await transactions.report_meter_values(
        world.factory,
        ReportMeterValues(charger.id, "tx-2", None, world.clock.now, token, tenant_id=world.tenant_a),
        world.clock,
    )
    assert result is not None
    transaction, verdict = result
    assert verdict is not None and verdict.accepted
    assert (transaction.origin, transaction.vehicle_id) == (TransactionOrigin.AUTOCHARGE, vehicle.id)
    async with world.uow() as uow:
        stored = await uow.pairing.get(session.id)
    assert stored is not None and stored.status is PairingStatus.PAIRED
