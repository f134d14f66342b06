"""Who may charge: every authorization rule, driven by a simulated charger on OCPP 1.6 and 2.0.1 over real sockets."""

from __future__ import annotations

import pytest

from autocharge.main import Autocharge
from autocharge.simulator import IdToken, token_for_mac
from tests.e2e.harness import TenantAccess, charger

MAC = "0A1B2C3D4E5F"
VID = f"VID:{MAC}"
VERSIONS = ["1.6", "2.0.1"]

RETIRE_VEHICLE = "mutation($v: ID!) { retireVehicle(vehicleId: $v) { status } }"
RETIRE_IDENTIFIER = "mutation($i: ID!) { retireVehicleIdentifier(identifierId: $i) { status } }"
UNRECOGNISED = """query($c: ID) { unrecognisedIdentifiers(chargerId: $c) {
    value macAddress timesSeen lastSeenAt charger { chargePointId } } }"""
START_PAIRING = """mutation($v: ID!, $c: ID!) { startVehiclePairing(vehicleId: $v, chargerId: $c, timeoutSeconds: 60) {
    id status } }"""
PAIRING = "query($s: ID!) { pairingSession(id: $s) { status identifier { value source } } }"


def card(tag: str) -> IdToken:
    return IdToken(tag, "ISO14443")  # 1.6 sends only the idTag; 2.0.1 also the card's type


async def vehicle_with_mac(tenant: TenantAccess, mac: str = MAC, plate: str = "AB-123-CD") -> tuple[str, str]:
    """A driver's vehicle with the MAC as its active identifier: (vehicle id, identifier id)."""
    user = await tenant.admin.create_user(f"{plate.lower()}@fleet.example")
    vehicle = await tenant.admin.add_vehicle(user, plate)
    identifier = await tenant.admin.add_identifier(vehicle, mac)
    return vehicle, str(identifier["id"])


async def authorize_mac(server: Autocharge, cpid: str, version: str, mac: str = MAC) -> str:
    async with charger(server, cpid, version) as station:
        await station.boot()
        return await station.authorize(token_for_mac(mac, version))


async def test_an_active_vehicles_mac_added_once_is_accepted_on_16_as_vid_and_on_201_as_mac_address(
    server: Autocharge, acme: TenantAccess
) -> None:
    await acme.admin.register_charger("CP-16")
    await acme.admin.register_charger("CP-201")
    await vehicle_with_mac(acme, "0a:1b:2c:3d:4e:5f")

    async with charger(server, "CP-16", "1.6") as old, charger(server, "CP-201", "2.0.1") as new:
        await old.boot()
        await new.boot()
        on_16 = await old.authorize(IdToken(VID, "MacAddress"))  # 1.6: the idTag "VID:..."
        on_201 = await new.authorize(IdToken(MAC, "MacAddress"))  # 2.0.1: an IdToken of type MacAddress

    assert (on_16, on_201) == ("Accepted", "Accepted")


@pytest.mark.parametrize(("paired_on", "charged_on"), [("1.6", "2.0.1"), ("2.0.1", "1.6")])
async def test_a_mac_paired_on_one_version_authorises_on_the_other(
    server: Autocharge, acme: TenantAccess, paired_on: str, charged_on: str
) -> None:
    pairing_charger = await acme.admin.register_charger("CP-PAIR")
    await acme.admin.register_charger("CP-CHARGE")
    user = await acme.admin.create_user("dana@acme.example")
    vehicle = await acme.admin.add_vehicle(user, "AB-123-CD")

    async with charger(server, "CP-PAIR", paired_on) as station:
        await station.boot()
        started = await acme.admin(START_PAIRING, v=vehicle, c=pairing_charger)
        await station.authorize(token_for_mac(MAC, paired_on))
    session = (await acme.admin(PAIRING, s=started["startVehiclePairing"]["id"]))["pairingSession"]
    assert session == {"status": "PAIRED", "identifier": {"value": VID, "source": "PAIRING"}}

    assert await authorize_mac(server, "CP-CHARGE", charged_on) == "Accepted"


@pytest.mark.parametrize("version", VERSIONS)
async def test_an_unknown_mac_is_refused_then_listed_in_unrecognised_identifiers(
    server: Autocharge, acme: TenantAccess, version: str
) -> None:
    charger_id = await acme.admin.register_charger("CP-1")

    first = await authorize_mac(server, "CP-1", version)
    second = await authorize_mac(server, "CP-1", version)

    assert (first, second) == ("Invalid", "Invalid")
    [listed] = (await acme.read_only(UNRECOGNISED, c=charger_id))["unrecognisedIdentifiers"]
    assert {k: v for k, v in listed.items() if k != "lastSeenAt"} == {
        "value": VID,
        "macAddress": "0A:1B:2C:3D:4E:5F",
        "timesSeen": 2,
        "charger": {"chargePointId": "CP-1"},
    }


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_retired_vehicles_mac_is_blocked(server: Autocharge, acme: TenantAccess, version: str) -> None:
    await acme.admin.register_charger("CP-1")
    vehicle, _ = await vehicle_with_mac(acme)
    assert await authorize_mac(server, "CP-1", version) == "Accepted"

    await acme.admin(RETIRE_VEHICLE, v=vehicle)

    assert await authorize_mac(server, "CP-1", version) == "Blocked"


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_retired_identifier_is_blocked(server: Autocharge, acme: TenantAccess, version: str) -> None:
    await acme.admin.register_charger("CP-1")
    _, identifier = await vehicle_with_mac(acme)

    await acme.admin(RETIRE_IDENTIFIER, i=identifier)

    assert await authorize_mac(server, "CP-1", version) == "Blocked"


@pytest.mark.parametrize("version", VERSIONS)
async def test_a_replaced_identifier_is_blocked_and_its_replacement_accepted(
    server: Autocharge, acme: TenantAccess, version: str
) -> None:
    await acme.admin.register_charger("CP-1")
    vehicle, _ = await vehicle_with_mac(acme)

    await acme.admin.add_identifier(vehicle, "A453EE033156")

    assert await authorize_mac(server, "CP-1", version, MAC) == "Blocked"
    assert await authorize_mac(server, "CP-1", version, "A453EE033156") == "Accepted"


@pytest.mark.parametrize("version", VERSIONS)
async def test_another_tenants_vehicle_mac_is_refused(
    server: Autocharge, acme: TenantAccess, globex: TenantAccess, version: str
) -> None:
    await vehicle_with_mac(acme)
    await globex.admin.register_charger("GX-1")

    assert await authorize_mac(server, "GX-1", version) == "Invalid"


@pytest.mark.parametrize("version", VERSIONS)
async def test_an_rfid_session_has_origin_rfid_and_the_users_only_active_vehicle(
    server: Autocharge, acme: TenantAccess, version: str
) -> None:
    await acme.admin.register_charger("CP-1")
    user = await acme.admin.create_user("dana@acme.example", rfid="CARD-0042")
    old = await acme.admin.add_vehicle(user, "OLD-1")
    await acme.admin(RETIRE_VEHICLE, v=old)
    await acme.admin.add_vehicle(user, "NEW-1")

    async with charger(server, "CP-1", version) as station:
        await station.boot()
        result = await station.run_session(card("CARD-0042"), meter_values=1)

    assert result.completed
    [tx] = await acme.admin.transactions()
    assert (tx["origin"], tx["idTag"], tx["user"]["id"], tx["vehicle"]["licensePlate"]) == (
        "RFID",
        "CARD-0042",
        user,
        "NEW1",
    )


@pytest.mark.parametrize("version", VERSIONS)
async def test_an_rfid_session_of_a_user_with_two_active_vehicles_has_no_vehicle(
    server: Autocharge, acme: TenantAccess, version: str
) -> None:
    await acme.admin.register_charger("CP-1")
    user = await acme.admin.create_user("dana@acme.example", rfid="CARD-0042")
    await acme.admin.add_vehicle(user, "CAR-1")
    await acme.admin.add_vehicle(user, "CAR-2")

    async with charger(server, "CP-1", version) as station:
        await station.boot()
        result = await station.run_session(card("CARD-0042"), meter_values=1)

    assert result.completed
    [tx] = await acme.admin.transactions()
    assert (tx["origin"], tx["user"]["id"], tx["vehicle"]) == ("RFID", user, None)
