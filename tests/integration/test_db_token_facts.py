"""Authorize's one-statement read gives the same TokenFacts as a unit of work reads for judge(), on both databases."""

from __future__ import annotations

from domain.commands import AddVehicleIdentifier, RetireVehicle, StartPairing
from domain.ids import new_id
from domain.model import AuthorizationStatus, ConnectionState, TransactionStatus
from domain.services import pairing, vehicles
from infra.db.engine import Database
from infra.db.token_facts import SqlTokenFacts
from infra.db.unit_of_work import SqlUnitOfWorkFactory
from tests.builders import a_transaction
from tests.databases import Seed
from tests.unit.fakes import TokenFactsInUnitOfWork

MAC, OTHER = "0A1B2C3D4E5F", "AABBCCDDEEFF"


async def test_the_facts_match_the_repositories_in_every_case(
    seed: Seed, database: Database, uow_factory: SqlUnitOfWorkFactory
) -> None:
    sql, reference = SqlTokenFacts(database), TokenFactsInUnitOfWork(uow_factory)
    tenant, stranger = await seed.tenant(), await seed.tenant()
    charger = await seed.charger(tenant.id, autocharge_supported=True)
    unmarked = await seed.charger(tenant.id, autocharge_supported=False)
    pairing_on = await seed.charger(tenant.id, autocharge_supported=True, connection_state=ConnectionState.CONNECTED)
    theirs = await seed.charger(stranger.id)
    user = await seed.user(tenant.id)
    replaced, current = await seed.vehicle(user), await seed.vehicle(user)
    await vehicles.add_identifier(uow_factory(tenant.id), AddVehicleIdentifier(replaced.id, MAC))
    await vehicles.retire_vehicle(uow_factory(tenant.id), RetireVehicle(replaced.id))  # MAC now retired
    await vehicles.add_identifier(uow_factory(tenant.id), AddVehicleIdentifier(current.id, MAC))
    their_vehicle = await seed.vehicle(await seed.user(stranger.id))
    await vehicles.add_identifier(uow_factory(stranger.id), AddVehicleIdentifier(their_vehicle.id, OTHER))
    session = await pairing.start_pairing(uow_factory(tenant.id), StartPairing(current.id, pairing_on.id))

    cases = [
        (tenant.id, charger.id, "VID:" + MAC),  # one retired and one active identifier
        (tenant.id, charger.id, "VID:" + OTHER),  # another tenant's identifier: nothing known here
        (tenant.id, unmarked.id, "VID:" + MAC),  # not yet marked as reading EVCCIDs
        (tenant.id, pairing_on.id, "VID:" + MAC),  # a pairing session waiting
        (tenant.id, theirs.id, "VID:" + MAC),  # another tenant's charger: none
        (tenant.id, new_id(), "VID:" + MAC),  # no such charger: none
    ]
    for case in cases:
        assert await sql.of_vehicle_token(*case) == await reference.of_vehicle_token(*case), case

    facts = await sql.of_vehicle_token(tenant.id, charger.id, "VID:" + MAC)
    assert facts is not None and facts.autocharge_supported and facts.pairing is None
    assert [(i.vehicle_id, i.is_active) for i, _ in facts.known] == [(replaced.id, False), (current.id, True)]
    assert [v.id for _, v in facts.known if v is not None] == [replaced.id, current.id]
    waiting = await sql.of_vehicle_token(tenant.id, pairing_on.id, "VID:" + MAC)
    assert waiting is not None and waiting.pairing is not None and waiting.pairing_vehicle is not None
    assert (waiting.pairing.id, waiting.pairing_vehicle.id) == (session.id, current.id)
    unmarked_facts = await sql.of_vehicle_token(tenant.id, unmarked.id, "VID:" + MAC)
    assert unmarked_facts is not None and not unmarked_facts.autocharge_supported
    assert await sql.of_vehicle_token(tenant.id, theirs.id, "VID:" + MAC) is None


async def test_the_facts_name_another_charger_where_the_token_is_charging_now(
    seed: Seed, database: Database, uow_factory: SqlUnitOfWorkFactory
) -> None:
    sql, reference = SqlTokenFacts(database), TokenFactsInUnitOfWork(uow_factory)
    tenant, stranger = await seed.tenant(), await seed.tenant()
    charging, here, refused_on, done_on = [await seed.charger(tenant.id) for _ in range(4)]
    theirs = await seed.charger(stranger.id)
    vid = "VID:" + MAC
    async with uow_factory(tenant.id) as uow:
        await uow.transactions.add(a_transaction(charging, 1, id_tag=vid))
        await uow.transactions.add(
            a_transaction(refused_on, 2, id_tag="VID:" + OTHER, authorization=AuthorizationStatus.CONCURRENT_TX)
        )
        await uow.transactions.add(a_transaction(done_on, 3, id_tag="VID:" + OTHER, status=TransactionStatus.COMPLETED))
        await uow.commit()
    async with uow_factory(stranger.id) as uow:
        await uow.transactions.add(a_transaction(theirs, 4, id_tag="VID:" + OTHER))
        await uow.commit()

    cases = {
        (tenant.id, here.id, vid): charging.id,  # active and accepted on another charger
        (tenant.id, charging.id, vid): None,  # on the charger asking: a retry, or the same session
        (tenant.id, here.id, "VID:" + OTHER): None,  # refused, completed, or another tenant's
    }
    for case, in_use_on in cases.items():
        facts = await sql.of_vehicle_token(*case)
        assert facts is not None and facts.in_use_on == in_use_on, case
        assert facts == await reference.of_vehicle_token(*case), case
