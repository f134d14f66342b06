"""Identifiers many cars share (all zero, broadcast, multicast) are refused by the API, pairing and Authorize."""

from __future__ import annotations

import pytest

from autocharge.main import Autocharge
from tests.e2e.harness import TenantAccess
from tests.e2e.presented_tokens import presenting, vehicle_token
from tests.e2e.test_pairing import SESSION, a_fleet, identifiers_of, start_pairing

VERSIONS = ["1.6", "2.0.1"]
NOT_UNIQUE = {"000000000000": "all bytes are zero", "FFFFFFFFFFFF": "broadcast", "01005E0000FB": "multicast"}
UNRECOGNISED = "query { unrecognisedIdentifiers { value } }"
ADD = "mutation($v: ID!, $x: String!) { addVehicleIdentifier(vehicleId: $v, value: $x) { id } }"


@pytest.mark.parametrize(("mac", "why"), NOT_UNIQUE.items())
async def test_add_vehicle_identifier_answers_validation_saying_why(
    server: Autocharge, acme: TenantAccess, mac: str, why: str
) -> None:
    fleet = await a_fleet(acme.admin)

    body = await acme.admin.raw(ADD, v=fleet.vehicle_id, x=f"vid:{mac.lower()}")

    [error] = body["errors"]
    assert error["extensions"]["code"] == "VALIDATION"
    assert f"VID:{mac} cannot identify one vehicle" in error["message"] and why in error["message"]
    assert (await identifiers_of(acme.admin, fleet.vehicle_id))["identifiers"] == []


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("mac", NOT_UNIQUE)
async def test_pairing_ends_failed_not_unique_and_stores_nothing(
    server: Autocharge, acme: TenantAccess, version: str, mac: str
) -> None:
    fleet = await a_fleet(acme.admin)

    async with presenting(server, "CP-1", version) as station:
        session = await start_pairing(fleet)
        status = await station.authorize(vehicle_token(mac))

    stored = (await acme.admin(SESSION, s=session["id"]))["pairingSession"]
    assert status == "Invalid"
    assert (stored["status"], stored["failureReason"], stored["identifier"]) == ("FAILED", "NOT_UNIQUE", None)
    assert (await identifiers_of(acme.admin, fleet.vehicle_id))["identifiers"] == []


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("mac", NOT_UNIQUE)
async def test_authorize_never_matches_and_the_token_is_not_offered_for_pairing(
    server: Autocharge, acme: TenantAccess, version: str, mac: str
) -> None:
    await acme.admin.register_charger("CP-1")

    async with presenting(server, "CP-1", version) as station:
        authorized = await station.authorize(vehicle_token(mac))
        started, _ = await station.start(vehicle_token(mac))

    assert (authorized, started) == ("Invalid", "Invalid")
    assert (await acme.admin(UNRECOGNISED))["unrecognisedIdentifiers"] == []
    [transaction] = await acme.admin.transactions()
    assert (transaction["user"], transaction["vehicle"]) == (None, None)
