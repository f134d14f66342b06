"""Concurrent use: a token charging on one charger is answered ConcurrentTx on another, and nowhere else."""

from __future__ import annotations

from uuid import UUID

import pytest

from domain.commands import AddRfidTag, AddVehicleIdentifier, Authorize, StartTransaction, StopTransaction, Token
from domain.model import AuthorizationStatus, Charger, TransactionStatus
from domain.services import authorization, transactions, users, vehicles
from tests.unit.conftest import World
from tests.unit.fakes import TokenFactsInUnitOfWork

MAC = "0A1B2C3D4E5F"
VEHICLE = Token.from_ocpp16("VID:" + MAC)
CARD = Token.from_ocpp16("CARD-0042")


async def _authorize(world: World, charger_id: UUID, token: Token) -> authorization.Verdict:
    return await authorization.authorize(
        world.factory,
        TokenFactsInUnitOfWork(world.factory),
        Authorize(charger_id, token, tenant_id=world.tenant_a),
        world.clock,  # type: ignore[arg-type]
    )


async def _start(world: World, charger: Charger, token: Token, key: str, connector: int = 1) -> authorization.Verdict:
    command = StartTransaction(charger.id, connector, token, 1000, world.clock.now, key, tenant_id=world.tenant_a)
    _, verdict = await transactions.start_transaction(world.factory, command, world.clock)
    return verdict


async def _stop(world: World, charger: Charger, key: str) -> None:
    async with world.uow() as uow:
        started = await uow.transactions.by_start_key(charger.id, key)
    assert started is not None
    stop = StopTransaction(charger.id, started.ocpp_transaction_id, 2000, world.clock.now, "Local")
    await transactions.stop_transaction(world.uow(), stop)


async def _known_tokens(world: World) -> None:
    user = await world.user()
    vehicle = await world.vehicle(user)
    await vehicles.add_identifier(world.uow(), AddVehicleIdentifier(vehicle.id, MAC))
    await users.add_rfid_tag(world.uow(), AddRfidTag(user.id, "CARD-0042"))


@pytest.mark.parametrize("token", [VEHICLE, CARD], ids=["vehicle", "rfid"])
async def test_a_token_charging_on_one_charger_is_concurrent_on_another_in_authorize_and_start(
    world: World, token: Token
) -> None:
    await _known_tokens(world)
    depot, street = await world.charger("CP-DEPOT"), await world.charger("CP-STREET")
    assert (await _start(world, depot, token, "depot-1")).accepted

    authorized = await _authorize(world, street.id, token)
    started = await _start(world, street, token, "street-1")

    assert (authorized.status, authorized.in_use_on) == (AuthorizationStatus.CONCURRENT_TX, depot.id)
    assert (started.status, started.in_use_on) == (AuthorizationStatus.CONCURRENT_TX, depot.id)
    async with world.uow() as uow:
        refused = await uow.transactions.by_start_key(street.id, "street-1")
    assert refused is not None and refused.authorization is AuthorizationStatus.CONCURRENT_TX
    assert (refused.user_id, refused.vehicle_id) == (None, None)  # not the driver's session


async def test_the_unit_of_work_path_applies_the_same_rule_as_the_token_facts(world: World) -> None:
    await _known_tokens(world)
    depot = await world.charger("CP-DEPOT")
    unmarked = await world.charger("CP-NEW")
    async with world.uow() as uow:  # not yet known to read EVCCIDs: Authorize takes the unit of work's path
        unmarked.autocharge_supported = False
        await uow.chargers.update(unmarked)
        await uow.commit()
    await _start(world, depot, VEHICLE, "depot-1")

    verdict = await _authorize(world, unmarked.id, VEHICLE)

    assert (verdict.status, verdict.in_use_on) == (AuthorizationStatus.CONCURRENT_TX, depot.id)


@pytest.mark.parametrize("token", [VEHICLE, CARD], ids=["vehicle", "rfid"])
async def test_on_its_own_charger_a_token_is_never_concurrent(world: World, token: Token) -> None:
    await _known_tokens(world)
    depot = await world.charger("CP-DEPOT")
    first = await _start(world, depot, token, "depot-1")

    retried = await _start(world, depot, token, "depot-1")  # the same start, sent again
    restarted = await _start(world, depot, token, "depot-2")  # the same connector, a start with other fields
    tapped_to_stop = await _authorize(world, depot.id, token)

    statuses = [v.status for v in (first, retried, restarted, tapped_to_stop)]
    assert statuses == [AuthorizationStatus.ACCEPTED] * 4
    async with world.uow() as uow:
        assert await uow.transactions.by_start_key(depot.id, "depot-1") is not None


@pytest.mark.parametrize("token", [VEHICLE, CARD], ids=["vehicle", "rfid"])
async def test_once_the_session_ends_the_token_is_accepted_elsewhere_and_refused_starts_never_block(
    world: World, token: Token
) -> None:
    await _known_tokens(world)
    depot, street, mall = await world.charger("CP-DEPOT"), await world.charger("CP-STREET"), await world.charger("M")
    await _start(world, depot, token, "depot-1")
    assert (await _start(world, street, token, "street-1")).status is AuthorizationStatus.CONCURRENT_TX

    await _stop(world, depot, "depot-1")

    # The refused start on the street charger is still ACTIVE (its charger never stopped it), yet blocks nothing.
    async with world.uow() as uow:
        refused = await uow.transactions.by_start_key(street.id, "street-1")
    assert refused is not None and refused.status is TransactionStatus.ACTIVE
    assert (await _authorize(world, mall.id, token)).status is AuthorizationStatus.ACCEPTED
    assert (await _start(world, mall, token, "mall-1")).status is AuthorizationStatus.ACCEPTED
