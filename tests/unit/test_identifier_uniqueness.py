"""Identifiers that cannot identify one car (all zero, broadcast, multicast) are refused on every path."""

from __future__ import annotations

import pytest

from domain.commands import AddVehicleIdentifier, Authorize, StartPairing, Token
from domain.errors import Invalid
from domain.ids import new_id
from domain.model import AuthorizationStatus, IdentifierSource, PairingFailure, PairingStatus, VehicleIdentifier
from domain.services import authorization, pairing, vehicles
from tests.unit.conftest import World
from tests.unit.fakes import TokenFactsInUnitOfWork

NOT_UNIQUE = ["VID:000000000000", "VID:FFFFFFFFFFFF", "VID:01005E0000FB"]


async def _authorize(world: World, charger_id: object, token: Token) -> authorization.Verdict:
    return await authorization.authorize(
        world.factory,
        TokenFactsInUnitOfWork(world.factory),
        Authorize(charger_id, token, tenant_id=world.tenant_a),
        world.clock,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("value", NOT_UNIQUE)
async def test_adding_one_by_hand_is_a_validation_error_and_stores_nothing(world: World, value: str) -> None:
    vehicle = await world.vehicle(await world.user())

    with pytest.raises(Invalid, match="cannot identify one vehicle"):
        await vehicles.add_identifier(world.uow(), AddVehicleIdentifier(vehicle.id, value))

    async with world.uow() as uow:
        assert await uow.identifiers.for_vehicles([vehicle.id], include_retired=True) == []


@pytest.mark.parametrize("value", NOT_UNIQUE)
async def test_capturing_one_fails_the_pairing_with_not_unique(world: World, value: str) -> None:
    charger = await world.charger()
    vehicle = await world.vehicle(await world.user())
    session = await pairing.start_pairing(world.uow(), StartPairing(vehicle.id, charger.id, 60), world.clock)

    verdict = await _authorize(world, charger.id, Token.from_ocpp16(value))

    assert verdict.status is AuthorizationStatus.INVALID
    async with world.uow() as uow:
        stored = await uow.pairing.get(session.id)
        assert await uow.identifiers.for_vehicles([vehicle.id], include_retired=True) == []
    assert stored is not None
    assert (stored.status, stored.failure_reason) == (PairingStatus.FAILED, PairingFailure.NOT_UNIQUE)


@pytest.mark.parametrize("value", NOT_UNIQUE)
async def test_authorize_with_one_is_invalid_and_not_listed_as_unrecognised(world: World, value: str) -> None:
    charger = await world.charger()

    for token in (Token.from_ocpp16(value), Token.from_ocpp201(value[4:], "MacAddress")):
        assert (await _authorize(world, charger.id, token)).status is AuthorizationStatus.INVALID

    async with world.uow() as uow:
        assert await uow.unrecognised.latest(None, 10) == []


@pytest.mark.parametrize("value", NOT_UNIQUE)
async def test_one_stored_before_the_rule_never_matches_its_vehicle(world: World, value: str) -> None:
    charger = await world.charger()
    vehicle = await world.vehicle(await world.user())
    async with world.uow() as uow:  # written past the service, as data from before the rule would be
        await uow.identifiers.add(
            VehicleIdentifier(
                id=new_id(),
                tenant_id=world.tenant_a,
                vehicle_id=vehicle.id,
                value=value,
                source=IdentifierSource.MANUAL,
                captured_at=world.clock(),
            )
        )
        await uow.commit()

    verdict = await _authorize(world, charger.id, Token.from_ocpp16(value))

    assert (verdict.status, verdict.vehicle_id) == (AuthorizationStatus.INVALID, None)
