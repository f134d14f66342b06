from __future__ import annotations

from uuid import UUID

from domain.commands import AddRfidTag, AddVehicleIdentifier, Authorize, RetireVehicle, StartPairing, Token
from domain.model import AuthorizationStatus, TransactionOrigin
from domain.services import authorization, pairing, users, vehicles
from tests.unit.conftest import World
from tests.unit.fakes import FakeUnitOfWork, TokenFactsInUnitOfWork

MAC = "0A1B2C3D4E5F"


async def _authorize(world: World, charger_id: object, token: Token, tenant: object = None) -> authorization.Verdict:
    return await authorization.authorize(
        world.factory,
        TokenFactsInUnitOfWork(world.factory),
        Authorize(charger_id, token, tenant_id=tenant or world.tenant_a),  # type: ignore[arg-type]
        world.clock,  # type: ignore[arg-type]
    )


async def test_an_active_identifier_of_an_active_vehicle_is_accepted_in_every_spelling(world: World) -> None:
    charger = await world.charger()
    vehicle = await world.vehicle(await world.user())
    await vehicles.add_identifier(world.uow(), AddVehicleIdentifier(vehicle.id, MAC))
    for token in (
        Token.from_ocpp16("VID:0A1B2C3D4E5F"),
        Token.from_ocpp16("vid:0a:1b:2c:3d:4e:5f"),
        Token.from_ocpp16("VID:00000A1B2C3D4E5F"),
        Token.from_ocpp201("0A1B2C3D4E5F", "MacAddress"),
        Token.from_ocpp201("VID:0A-1B-2C-3D-4E-5F", "MacAddress"),
    ):
        verdict = await _authorize(world, charger.id, token)
        assert verdict.status is AuthorizationStatus.ACCEPTED, token
        assert (verdict.origin, verdict.vehicle_id, verdict.user_id) == (
            TransactionOrigin.AUTOCHARGE,
            vehicle.id,
            vehicle.user_id,
        )


async def test_an_unknown_vehicle_token_is_invalid_recorded_and_marks_the_charger(world: World) -> None:
    charger = await world.charger()
    async with world.uow() as uow:
        charger.autocharge_supported = False
        await uow.chargers.update(charger)
        await uow.commit()
    for _ in range(2):
        verdict = await _authorize(world, charger.id, Token.from_ocpp16("VID:0A1B2C3D4E5F"))
        assert verdict.status is AuthorizationStatus.INVALID
    async with world.uow() as uow:
        [seen] = await uow.unrecognised.latest(None, 10)
        stored = await uow.chargers.get(charger.id)
    assert (seen.value, seen.times_seen, seen.charger_id) == ("VID:0A1B2C3D4E5F", 2, charger.id)
    assert stored is not None and stored.autocharge_supported


async def test_a_retired_identifier_or_one_of_a_retired_vehicle_is_blocked(world: World) -> None:
    charger = await world.charger()
    user = await world.user()
    replaced = await world.vehicle(user, "OLD1")
    await vehicles.add_identifier(world.uow(), AddVehicleIdentifier(replaced.id, MAC))
    await vehicles.add_identifier(world.uow(), AddVehicleIdentifier(replaced.id, "AABBCCDDEEFF"))  # a new modem
    assert (await _authorize(world, charger.id, Token.from_ocpp16("VID:" + MAC))).status is AuthorizationStatus.BLOCKED
    await vehicles.retire_vehicle(world.uow(), RetireVehicle(replaced.id), world.clock)
    verdict = await _authorize(world, charger.id, Token.from_ocpp201("AABBCCDDEEFF", "MacAddress"))
    assert verdict.status is AuthorizationStatus.BLOCKED


async def test_another_tenants_identifier_or_tag_never_matches(world: World) -> None:
    charger = await world.charger()
    stranger = await world.user(tenant=world.tenant_b)
    their_vehicle = await world.vehicle(stranger)
    await vehicles.add_identifier(world.uow(world.tenant_b), AddVehicleIdentifier(their_vehicle.id, MAC))
    await users.add_rfid_tag(world.uow(world.tenant_b), AddRfidTag(stranger.id, "CARD-1"))
    assert (await _authorize(world, charger.id, Token.from_ocpp16("VID:" + MAC))).status is AuthorizationStatus.INVALID
    assert (await _authorize(world, charger.id, Token.from_ocpp16("CARD-1"))).status is AuthorizationStatus.INVALID


async def test_an_rfid_tag_is_accepted_with_the_users_only_vehicle(world: World) -> None:
    charger = await world.charger()
    user = await world.user()
    await users.add_rfid_tag(world.uow(), AddRfidTag(user.id, "CARD-1"))
    verdict = await _authorize(world, charger.id, Token.from_ocpp16("CARD-1"))
    assert (verdict.status, verdict.origin, verdict.user_id, verdict.vehicle_id) == (
        AuthorizationStatus.ACCEPTED,
        TransactionOrigin.RFID,
        user.id,
        None,
    )
    only = await world.vehicle(user, "ONE1")
    assert (await _authorize(world, charger.id, Token.from_ocpp16("CARD-1"))).vehicle_id == only.id
    await world.vehicle(user, "TWO2")
    assert (await _authorize(world, charger.id, Token.from_ocpp16("CARD-1"))).vehicle_id is None


async def test_an_unknown_rfid_tag_or_malformed_vehicle_token_is_invalid_and_not_recorded(world: World) -> None:
    charger = await world.charger()
    assert (await _authorize(world, charger.id, Token.from_ocpp16("NOBODY"))).status is AuthorizationStatus.INVALID
    assert (await _authorize(world, charger.id, Token.from_ocpp16("VID:XYZ"))).status is AuthorizationStatus.INVALID
    async with world.uow() as uow:
        assert await uow.unrecognised.latest(None, 10) == []


class _CountingFactory:
    """Units of work as the world makes them, counting those that committed something."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.commits = 0

    def __call__(self, tenant_id: UUID) -> FakeUnitOfWork:
        uow = self.world.uow(tenant_id)
        commit = uow.commit

        async def counted() -> None:
            self.commits += 1
            await commit()

        uow.commit = counted  # type: ignore[method-assign]
        return uow


async def test_a_paired_car_at_a_charger_known_to_read_evccids_is_judged_without_a_transaction(world: World) -> None:
    charger = await world.charger()
    async with world.uow() as uow:
        charger.autocharge_supported = False
        await uow.chargers.update(charger)
        await uow.commit()
    vehicle = await world.vehicle(await world.user())
    await vehicles.add_identifier(world.uow(), AddVehicleIdentifier(vehicle.id, MAC))
    counting = _CountingFactory(world)
    tokens = TokenFactsInUnitOfWork(world.factory)
    authorize = Authorize(charger.id, Token.from_ocpp16("VID:" + MAC), tenant_id=world.tenant_a)
    first = await authorization.authorize(counting, tokens, authorize, world.clock)  # type: ignore[arg-type]
    assert counting.commits == 1  # the first one marks the charger as reading EVCCIDs
    again = await authorization.authorize(counting, tokens, authorize, world.clock)  # type: ignore[arg-type]
    assert counting.commits == 1  # nothing left to record: one read, no transaction
    assert first == again and again.status is AuthorizationStatus.ACCEPTED and again.vehicle_id == vehicle.id


async def test_unknown_tokens_and_waiting_pairing_sessions_still_take_the_recording_path(world: World) -> None:
    charger = await world.charger()
    vehicle = await world.vehicle(await world.user())
    counting = _CountingFactory(world)
    tokens = TokenFactsInUnitOfWork(world.factory)
    unknown = Authorize(charger.id, Token.from_ocpp16("VID:AABBCCDDEEFF"), tenant_id=world.tenant_a)
    for _ in range(2):  # recorded every time it is seen
        await authorization.authorize(counting, tokens, unknown, world.clock)  # type: ignore[arg-type]
    assert counting.commits == 2
    await pairing.start_pairing(world.uow(), StartPairing(vehicle.id, charger.id, 300), world.clock)
    verdict = await authorization.authorize(counting, tokens, unknown, world.clock)  # type: ignore[arg-type]
    assert verdict.status is AuthorizationStatus.ACCEPTED and verdict.vehicle_id == vehicle.id  # captured


def test_tokens_are_classified_per_ocpp_version() -> None:
    assert Token.from_ocpp16("VID:0A1B2C3D4E5F").autocharge
    assert not Token.from_ocpp16("0A1B2C3D4E5F").autocharge  # on 1.6 only the prefix marks one
    assert Token.from_ocpp201("0A1B2C3D4E5F", "MacAddress").autocharge
    assert not Token.from_ocpp201("0A1B2C3D4E5F", "ISO14443").autocharge
