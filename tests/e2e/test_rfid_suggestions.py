"""Learning from an RFID tap over real sockets: a card tapped after a rejected vehicle token suggests its owner."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from autocharge.main import Autocharge
from domain.commands import Authorize, Token
from domain.services import authorization
from tests.e2e.harness import TenantAccess, running
from tests.e2e.harness import test_settings as settings_for
from tests.e2e.presented_tokens import card, presenting, vehicle_token

MAC = "0A1B2C3D4E5F"
VERSIONS = ["1.6", "2.0.1"]
UNRECOGNISED = """query { unrecognisedIdentifiers { value charger { chargePointId }
    suggestedUser { id email } suggestedVehicle { id licensePlate } } }"""


async def driver_with_card(tenant: TenantAccess, *plates: str) -> tuple[str, list[str]]:
    user = await tenant.admin.create_user("dana@acme.example", rfid="CARD-0042")
    return user, [await tenant.admin.add_vehicle(user, plate) for plate in plates]


async def unrecognised(tenant: TenantAccess) -> list[dict[str, Any]]:
    return list((await tenant.read_only(UNRECOGNISED))["unrecognisedIdentifiers"])


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_card_tapped_after_a_rejected_car_suggests_its_user_and_vehicle_until_the_admin_confirms(
    server: Autocharge, acme: TenantAccess, version: str
) -> None:
    await acme.admin.register_charger("CP-1")
    user, [car] = await driver_with_card(acme, "NEW-1")

    async with presenting(server, "CP-1", version) as station:
        rejected = await station.authorize(vehicle_token(MAC))
        tapped = await station.authorize(card("CARD-0042"))
        [suggested] = await unrecognised(acme)
        still_rejected = await station.authorize(vehicle_token(MAC))  # nothing is paired by the suggestion
        await acme.admin.add_identifier(str(suggested["suggestedVehicle"]["id"]), suggested["value"])
        confirmed = await station.authorize(vehicle_token(MAC))

    assert (rejected, tapped, still_rejected, confirmed) == ("Invalid", "Accepted", "Invalid", "Accepted")
    assert suggested == {
        "value": f"VID:{MAC}",
        "charger": {"chargePointId": "CP-1"},
        "suggestedUser": {"id": user, "email": "dana@acme.example"},
        "suggestedVehicle": {"id": car, "licensePlate": "NEW1"},
    }
    assert await unrecognised(acme) == []  # confirmed: no longer unrecognised


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_user_with_two_vehicles_to_pair_is_suggested_without_a_vehicle(
    server: Autocharge, acme: TenantAccess, version: str
) -> None:
    await acme.admin.register_charger("CP-1")
    user, _ = await driver_with_card(acme, "CAR-1", "CAR-2")

    async with presenting(server, "CP-1", version) as station:
        await station.authorize(vehicle_token(MAC))
        _, transaction_id = await station.start(card("CARD-0042"))  # presented in the start itself
        await station.stop(transaction_id)

    [row] = await unrecognised(acme)
    assert (row["suggestedUser"], row["suggestedVehicle"]) == ({"id": user, "email": "dana@acme.example"}, None)


@pytest.mark.parametrize("version", VERSIONS)
async def test_no_suggestion_from_another_charger_an_unknown_card_or_a_tap_over_60_s_later(
    server: Autocharge, acme: TenantAccess, version: str
) -> None:
    await acme.admin.register_charger("CP-1")
    old_charger = await acme.admin.register_charger("CP-OLD")
    await acme.admin.register_charger("CP-2")
    await driver_with_card(acme, "NEW-1")
    # The car rejected on CP-OLD 61 s ago: the same use case, on the server's own database, with its clock set back.
    past = server.deps.clock() - timedelta(seconds=61)
    rejection = Authorize(UUID(old_charger), Token.from_ocpp16(f"VID:{MAC}"), tenant_id=acme.tenant.id)
    await authorization.authorize(server.deps.uow, server.deps.tokens, rejection, lambda: past)

    async with presenting(server, "CP-1", version) as cp1, presenting(server, "CP-2", version) as cp2:
        async with presenting(server, "CP-OLD", version) as late:
            assert await late.authorize(card("CARD-0042")) == "Accepted"  # over 60 s after its rejection
        assert await cp1.authorize(vehicle_token("A453EE033156")) == "Invalid"
        assert await cp2.authorize(card("CARD-0042")) == "Accepted"  # another charger
        assert await cp1.authorize(card("CARD-9999")) == "Invalid"  # a card nobody has

    rows = await unrecognised(acme)
    assert sorted(row["charger"]["chargePointId"] for row in rows) == ["CP-1", "CP-OLD"]
    assert [(row["suggestedUser"], row["suggestedVehicle"]) for row in rows] == [(None, None)] * 2


async def test_a_tap_on_another_process_of_the_cluster_suggests_on_every_process(
    server: Autocharge, acme: TenantAccess, database_url: str
) -> None:
    """The rejection and the tap are handled by different processes on one database, as after a reconnection."""
    await acme.admin.register_charger("CP-1")
    user, [car] = await driver_with_card(acme, "NEW-1")

    async with running(settings_for(database_url)) as other:
        async with presenting(server, "CP-1", "1.6") as station:
            assert await station.authorize(vehicle_token(MAC)) == "Invalid"
        async with presenting(other, "CP-1", "2.0.1") as station:  # reconnected to the other process
            assert await station.authorize(card("CARD-0042")) == "Accepted"

    [row] = await unrecognised(acme)  # asked of the first process
    assert (row["suggestedUser"]["id"], row["suggestedVehicle"]["id"]) == (user, car)


async def test_a_suggested_vehicle_retired_since_the_tap_is_no_longer_suggested(
    server: Autocharge, acme: TenantAccess
) -> None:
    await acme.admin.register_charger("CP-1")
    user, [car] = await driver_with_card(acme, "NEW-1")
    async with presenting(server, "CP-1", "1.6") as station:
        await station.authorize(vehicle_token(MAC))
        await station.authorize(card("CARD-0042"))
    [before] = await unrecognised(acme)

    await acme.admin("mutation($v: ID!) { retireVehicle(vehicleId: $v) { status } }", v=car)

    [after] = await unrecognised(acme)
    assert (before["suggestedUser"]["id"], before["suggestedVehicle"]["id"]) == (user, car)
    assert (after["suggestedUser"]["id"], after["suggestedVehicle"]) == (user, None)
