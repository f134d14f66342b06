from __future__ import annotations

import pytest

from domain.commands import (
    AddVehicleIdentifier,
    Authorize,
    CancelPairing,
    ExpirePairingSessions,
    RetireVehicle,
    StartPairing,
    Token,
)
from domain.errors import Conflict, Invalid, Unavailable
from domain.events import TOKENS_TOPIC, ChargerPairingChanged, PairingSessionChanged
from domain.model import AuthorizationStatus, IdentifierSource, PairingFailure, PairingStatus
from domain.services import authorization, pairing, vehicles
from tests.unit.conftest import World
from tests.unit.fakes import TokenFactsInUnitOfWork

MAC = "0A1B2C3D4E5F"


async def _plug_in(world: World, charger_id: object, token: Token) -> authorization.Verdict:
    return await authorization.authorize(
        world.factory,
        TokenFactsInUnitOfWork(world.factory),
        Authorize(charger_id, token, tenant_id=world.tenant_a),
        world.clock,  # type: ignore[arg-type]
    )


def _statuses(world: World) -> list[PairingStatus]:
    return [e.session.status for e in world.store.published if isinstance(e, PairingSessionChanged)]


async def test_the_first_vehicle_token_on_the_charger_is_captured_and_accepted(world: World) -> None:
    charger = await world.charger()
    vehicle = await world.vehicle(await world.user())
    session = await pairing.start_pairing(world.uow(), StartPairing(vehicle.id, charger.id, 60), world.clock)
    assert session.status is PairingStatus.WAITING_FOR_VEHICLE

    verdict = await _plug_in(world, charger.id, Token.from_ocpp16("VID:" + MAC))

    assert verdict.status is AuthorizationStatus.ACCEPTED and verdict.vehicle_id == vehicle.id
    async with world.uow() as uow:
        stored = await uow.pairing.get(session.id)
        [identifier] = await uow.identifiers.for_vehicles([vehicle.id], include_retired=True)
    assert stored is not None and stored.status is PairingStatus.PAIRED and stored.identifier_id == identifier.id
    assert (identifier.value, identifier.source, identifier.captured_on_charger_id) == (
        "VID:" + MAC,
        IdentifierSource.PAIRING,
        charger.id,
    )
    assert _statuses(world) == [PairingStatus.WAITING_FOR_VEHICLE, PairingStatus.PAIRED]


async def test_pairing_replaces_the_vehicles_previous_identifier(world: World) -> None:
    charger = await world.charger()
    vehicle = await world.vehicle(await world.user())
    old = await vehicles.add_identifier(world.uow(), AddVehicleIdentifier(vehicle.id, "AABBCCDDEEFF"))
    await pairing.start_pairing(world.uow(), StartPairing(vehicle.id, charger.id, 60), world.clock)
    await _plug_in(world, charger.id, Token.from_ocpp201(MAC, "MacAddress"))
    assert (await _plug_in(world, charger.id, Token.from_ocpp16(old.value))).status is AuthorizationStatus.BLOCKED


async def test_a_token_active_on_another_vehicle_fails_the_session_and_changes_nothing(world: World) -> None:
    charger = await world.charger()
    user = await world.user()
    owner, newcomer = await world.vehicle(user, "OWN1"), await world.vehicle(user, "NEW1")
    await vehicles.add_identifier(world.uow(), AddVehicleIdentifier(owner.id, MAC))
    session = await pairing.start_pairing(world.uow(), StartPairing(newcomer.id, charger.id, 60), world.clock)

    verdict = await _plug_in(world, charger.id, Token.from_ocpp16("VID:" + MAC))

    assert verdict.vehicle_id == owner.id  # it is still that vehicle's token
    async with world.uow() as uow:
        stored = await uow.pairing.get(session.id)
        assert await uow.identifiers.for_vehicles([newcomer.id], include_retired=True) == []
    assert stored is not None and stored.status is PairingStatus.FAILED
    assert stored.failure_reason == PairingFailure.IDENTIFIER_IN_USE


async def test_an_rfid_tag_does_not_touch_the_session(world: World) -> None:
    charger = await world.charger()
    vehicle = await world.vehicle(await world.user())
    session = await pairing.start_pairing(world.uow(), StartPairing(vehicle.id, charger.id, 60), world.clock)
    await _plug_in(world, charger.id, Token.from_ocpp16("CARD-1"))
    async with world.uow() as uow:
        stored = await uow.pairing.get(session.id)
    assert stored is not None and stored.status is PairingStatus.WAITING_FOR_VEHICLE


async def test_one_waiting_session_per_charger(world: World) -> None:
    charger = await world.charger()
    user = await world.user()
    a, b = await world.vehicle(user, "A1"), await world.vehicle(user, "B1")
    await pairing.start_pairing(world.uow(), StartPairing(a.id, charger.id, 60), world.clock)
    with pytest.raises(Conflict):
        await pairing.start_pairing(world.uow(), StartPairing(b.id, charger.id, 60), world.clock)


async def test_an_overdue_session_does_not_block_a_new_one(world: World) -> None:
    charger = await world.charger()
    user = await world.user()
    a, b = await world.vehicle(user, "A1"), await world.vehicle(user, "B1")
    first = await pairing.start_pairing(world.uow(), StartPairing(a.id, charger.id, 5), world.clock)
    world.clock.advance(6)
    await pairing.start_pairing(world.uow(), StartPairing(b.id, charger.id, 60), world.clock)
    async with world.uow() as uow:
        stored = await uow.pairing.get(first.id)
    assert stored is not None and stored.status is PairingStatus.EXPIRED


async def test_start_is_refused_for_a_disconnected_charger_a_retired_vehicle_or_a_bad_timeout(world: World) -> None:
    offline = await world.charger("CP-OFF", connected=False)
    online = await world.charger("CP-ON")
    vehicle = await world.vehicle(await world.user())
    with pytest.raises(Unavailable):
        await pairing.start_pairing(world.uow(), StartPairing(vehicle.id, offline.id, 60), world.clock)
    for timeout in (4, 3601):
        with pytest.raises(Invalid, match="timeoutSeconds"):
            await pairing.start_pairing(world.uow(), StartPairing(vehicle.id, online.id, timeout), world.clock)
    await vehicles.retire_vehicle(world.uow(), RetireVehicle(vehicle.id), world.clock)
    with pytest.raises(Invalid, match="retired"):
        await pairing.start_pairing(world.uow(), StartPairing(vehicle.id, online.id, 60), world.clock)


async def test_start_is_refused_on_a_charger_without_autocharge(world: World) -> None:
    charger = await world.charger()
    async with world.uow() as uow:
        charger.autocharge_supported = False
        await uow.chargers.update(charger)
        await uow.commit()
    vehicle = await world.vehicle(await world.user())
    with pytest.raises(Invalid, match="Autocharge"):
        await pairing.start_pairing(world.uow(), StartPairing(vehicle.id, charger.id, 60), world.clock)


async def test_cancel_ends_the_session_and_later_tokens_are_not_captured(world: World) -> None:
    charger = await world.charger()
    vehicle = await world.vehicle(await world.user())
    session = await pairing.start_pairing(world.uow(), StartPairing(vehicle.id, charger.id, 60), world.clock)
    cancelled = await pairing.cancel_pairing(world.uow(), CancelPairing(session.id), world.clock)
    assert cancelled.status is PairingStatus.CANCELLED and cancelled.finished_at == world.clock.now
    assert (await _plug_in(world, charger.id, Token.from_ocpp16("VID:" + MAC))).status is AuthorizationStatus.INVALID


async def test_expire_due_expires_each_session_once_and_announces_it(world: World) -> None:
    charger = await world.charger()
    vehicle = await world.vehicle(await world.user())
    session = await pairing.start_pairing(world.uow(), StartPairing(vehicle.id, charger.id, 5), world.clock)
    world.clock.advance(5)
    due = ExpirePairingSessions(((world.tenant_a, session.id),))
    assert await pairing.expire_due(world.factory, due, world.clock) == 1
    assert await pairing.expire_due(world.factory, due, world.clock) == 0  # another process got there: no double push
    assert _statuses(world) == [PairingStatus.WAITING_FOR_VEHICLE, PairingStatus.EXPIRED]


async def test_a_session_of_a_vehicle_retired_meanwhile_fails(world: World) -> None:
    charger = await world.charger()
    vehicle = await world.vehicle(await world.user())
    session = await pairing.start_pairing(world.uow(), StartPairing(vehicle.id, charger.id, 60), world.clock)
    await vehicles.retire_vehicle(world.uow(), RetireVehicle(vehicle.id), world.clock)
    await _plug_in(world, charger.id, Token.from_ocpp16("VID:" + MAC))
    async with world.uow() as uow:
        stored = await uow.pairing.get(session.id)
    assert stored is not None and stored.failure_reason == PairingFailure.VEHICLE_RETIRED


async def test_each_session_change_is_also_announced_per_charger(world: World) -> None:
    charger = await world.charger()
    vehicle = await world.vehicle(await world.user())
    session = await pairing.start_pairing(world.uow(), StartPairing(vehicle.id, charger.id, 60), world.clock)
    await _plug_in(world, charger.id, Token.from_ocpp16("VID:" + MAC))

    announced = [e for e in world.store.published if isinstance(e, ChargerPairingChanged)]
    assert [(e.charger_id, e.session_id, e.waiting) for e in announced] == [
        (charger.id, session.id, True),
        (charger.id, session.id, False),
    ]
    assert {e.topic for e in announced} == {TOKENS_TOPIC}
