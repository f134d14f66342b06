"""Learning from an RFID tap: a known card tapped soon after a rejected vehicle token suggests its owner."""

from __future__ import annotations

from uuid import UUID

from domain.commands import AddRfidTag, AddVehicleIdentifier, Authorize, RetireVehicle, StartTransaction, Token
from domain.model import UnrecognisedIdentifier
from domain.services import authorization, transactions, users, vehicles
from tests.unit.conftest import World
from tests.unit.fakes import TokenFactsInUnitOfWork

MAC = "0A1B2C3D4E5F"
CAR = Token.from_ocpp16("VID:" + MAC)
CARD = Token.from_ocpp16("CARD-0042")


async def _authorize(world: World, charger_id: UUID, token: Token) -> authorization.Verdict:
    return await authorization.authorize(
        world.factory,
        TokenFactsInUnitOfWork(world.factory),
        Authorize(charger_id, token, tenant_id=world.tenant_a),
        world.clock,  # type: ignore[arg-type]
    )


async def _unrecognised(world: World) -> UnrecognisedIdentifier:
    async with world.uow() as uow:
        [row] = await uow.unrecognised.latest(None, 10)
    return row


async def _driver_with_card(world: World, *plates: str) -> tuple[UUID, list[UUID]]:
    user = await world.user()
    await users.add_rfid_tag(world.uow(), AddRfidTag(user.id, "CARD-0042"))
    return user.id, [(await world.vehicle(user, plate)).id for plate in plates]


async def test_a_card_tapped_within_60_s_suggests_its_user_and_their_only_unidentified_vehicle(world: World) -> None:
    charger = await world.charger()
    user, [car] = await _driver_with_card(world, "NEW-1")
    await _authorize(world, charger.id, CAR)
    world.clock.advance(60)

    assert (await _authorize(world, charger.id, CARD)).accepted

    row = await _unrecognised(world)
    assert (row.suggested_user_id, row.suggested_vehicle_id, row.suggested_at) == (user, car, world.clock.now)
    async with world.uow() as uow:  # nothing paired: the admin confirms
        assert await uow.identifiers.for_vehicles([car], include_retired=True) == []


async def test_the_vehicle_is_suggested_only_when_exactly_one_active_vehicle_lacks_an_identifier(world: World) -> None:
    charger = await world.charger()
    user, [identified, retired, unidentified, second] = await _driver_with_card(world, "A1", "B2", "C3", "D4")
    await vehicles.add_identifier(world.uow(), AddVehicleIdentifier(identified, "AABBCCDDEEFF"))
    await vehicles.retire_vehicle(world.uow(), RetireVehicle(retired))
    await _authorize(world, charger.id, CAR)

    await _authorize(world, charger.id, CARD)
    two_candidates = await _unrecognised(world)
    await vehicles.retire_vehicle(world.uow(), RetireVehicle(second))
    await _authorize(world, charger.id, CARD)
    one_candidate = await _unrecognised(world)

    assert (two_candidates.suggested_user_id, two_candidates.suggested_vehicle_id) == (user, None)
    assert (one_candidate.suggested_user_id, one_candidate.suggested_vehicle_id) == (user, unidentified)


async def test_a_card_presented_in_a_transaction_start_suggests_too(world: World) -> None:
    charger = await world.charger()
    user, _ = await _driver_with_card(world)
    await _authorize(world, charger.id, CAR)

    start = StartTransaction(charger.id, 1, CARD, 0, world.clock.now, "k1", tenant_id=world.tenant_a)
    await transactions.start_transaction(world.factory, start, world.clock)

    assert (await _unrecognised(world)).suggested_user_id == user


async def test_no_suggestion_after_60_s_on_another_charger_or_for_an_unknown_card(world: World) -> None:
    charger, other = await world.charger("CP-1"), await world.charger("CP-2")
    await _driver_with_card(world, "NEW-1")
    await _authorize(world, charger.id, CAR)
    world.clock.advance(1)

    await _authorize(world, other.id, CARD)  # another charger
    await _authorize(world, charger.id, Token.from_ocpp16("CARD-9999"))  # a card nobody has
    world.clock.advance(60)
    await _authorize(world, charger.id, CARD)  # 61 s after the rejection

    row = await _unrecognised(world)
    assert (row.suggested_user_id, row.suggested_vehicle_id, row.suggested_at) == (None, None, None)


async def test_confirming_with_add_vehicle_identifier_pairs_and_drops_the_suggestion(world: World) -> None:
    charger = await world.charger()
    _, [car] = await _driver_with_card(world, "NEW-1")
    await _authorize(world, charger.id, CAR)
    await _authorize(world, charger.id, CARD)
    row = await _unrecognised(world)
    assert row.suggested_vehicle_id == car

    await vehicles.add_identifier(world.uow(), AddVehicleIdentifier(car, row.value))

    async with world.uow() as uow:
        assert await uow.unrecognised.latest(None, 10) == []
    assert (await _authorize(world, charger.id, CAR)).vehicle_id == car
