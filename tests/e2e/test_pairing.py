"""Vehicle pairing end to end: an admin on GraphQL (HTTP and graphql-transport-ws), a car on an OCPP charger."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from autocharge.main import Autocharge
from autocharge.simulator import IdToken, OcppVersion
from tests.api.wsclient import GraphQLWs
from tests.e2e.harness import Api, TenantAccess, charger, eventually

MAC = "0A1B2C3D4E5F"
VID = "VID:0A1B2C3D4E5F"
VERSIONS: list[OcppVersion] = ["1.6", "2.0.1"]

START = (
    "mutation($v: ID!, $c: ID!, $t: Int! = 300) {"
    " startVehiclePairing(vehicleId: $v, chargerId: $c, timeoutSeconds: $t) { id status startedAt expiresAt } }"
)
CANCEL = "mutation($s: ID!) { cancelVehiclePairing(sessionId: $s) { id status finishedAt } }"
SESSION_FIELDS = (
    "id status failureReason expiresAt finishedAt vehicle { id } charger { id }"
    " identifier { value status source capturedOn { id } }"
)
PROGRESS = f"subscription($s: ID!) {{ pairingProgress(sessionId: $s) {{ {SESSION_FIELDS} }} }}"
SESSION = f"query($s: ID!) {{ pairingSession(id: $s) {{ {SESSION_FIELDS} }} }}"
IDENTIFIERS = (
    "query($v: ID!) { vehicle(id: $v) { activeIdentifier { value }"
    " identifiers { value status source retiredAt capturedOn { id } } } }"
)


@dataclass(frozen=True)
class Fleet:
    """One charger, one driver and the driver's car, as an admin registers them."""

    api: Api
    charger_id: str
    user_id: str
    vehicle_id: str


async def a_fleet(api: Api, cpid: str = "CP-1", autocharge: bool = True, email: str = "dana@acme.example") -> Fleet:
    charger_id = await api.register_charger(cpid, autocharge=autocharge)
    user_id = await api.create_user(email)
    vehicle_id = await api.add_vehicle(user_id, "AB-123-CD")
    return Fleet(api, charger_id, user_id, vehicle_id)


async def start_pairing(fleet: Fleet, seconds: int | None = None, api: Api | None = None) -> dict[str, Any]:
    variables: dict[str, Any] = {"v": fleet.vehicle_id, "c": fleet.charger_id}
    if seconds is not None:
        variables["t"] = seconds
    data = await (api or fleet.api)(START, **variables)
    return dict(data["startVehiclePairing"])


async def start_error(fleet: Fleet, seconds: int | None = None, api: Api | None = None) -> str:
    variables: dict[str, Any] = {"v": fleet.vehicle_id, "c": fleet.charger_id}
    if seconds is not None:
        variables["t"] = seconds
    return await (api or fleet.api).error_code(START, **variables)


async def session_of(api: Api, session_id: str) -> dict[str, Any]:
    return dict((await api(SESSION, s=session_id))["pairingSession"])


async def progress(ws: GraphQLWs) -> dict[str, Any]:
    return dict((await ws.next_data())["pairingProgress"])


async def receive_within(ws: GraphQLWs, seconds: float) -> dict[str, Any]:
    """The next protocol message, for waits longer than the client's usual five seconds."""
    async with asyncio.timeout(seconds):
        message: dict[str, Any] = json.loads(await ws.connection.recv())
    return message


async def identifiers_of(api: Api, vehicle_id: str) -> dict[str, Any]:
    return dict((await api(IDENTIFIERS, v=vehicle_id))["vehicle"])


# --- pairing succeeds ---


@pytest.mark.parametrize("version", VERSIONS)
async def test_pairing_progress_pushes_waiting_then_paired_then_completes(
    server: Autocharge, acme: TenantAccess, version: OcppVersion
) -> None:
    fleet = await a_fleet(acme.admin)
    async with charger(server, "CP-1", version) as station, acme.read_only.ws() as ws:
        await station.boot()
        session = await start_pairing(fleet)
        op = await ws.subscribe(PROGRESS, {"s": session["id"]})
        waiting = await progress(ws)
        assert (waiting["id"], waiting["status"], waiting["identifier"]) == (session["id"], "WAITING_FOR_VEHICLE", None)

        await station.run_session(MAC)

        paired = await progress(ws)
        assert paired["status"] == "PAIRED"
        assert paired["identifier"] == {
            "value": VID,
            "status": "ACTIVE",
            "source": "PAIRING",
            "capturedOn": {"id": fleet.charger_id},
        }
        assert (paired["vehicle"]["id"], paired["charger"]["id"], paired["failureReason"]) == (
            fleet.vehicle_id,
            fleet.charger_id,
            None,
        )
        assert paired["finishedAt"] is not None
        assert await ws.receive() == {"id": op, "type": "complete"}


@pytest.mark.parametrize("version", VERSIONS)
async def test_pairing_stores_the_identifier_from_that_charger_and_retires_the_vehicle_s_previous_one(
    server: Autocharge, acme: TenantAccess, version: OcppVersion
) -> None:
    fleet = await a_fleet(acme.admin)
    await acme.admin.add_identifier(fleet.vehicle_id, "VID:AAAAAAAAAAAA")  # the modem the car had before
    async with charger(server, "CP-1", version) as station:
        await station.boot()
        await start_pairing(fleet)
        await station.run_session(MAC)

    vehicle = await identifiers_of(acme.admin, fleet.vehicle_id)
    assert vehicle["activeIdentifier"] == {"value": VID}
    by_value = {identifier["value"]: identifier for identifier in vehicle["identifiers"]}
    assert set(by_value) == {VID, "VID:AAAAAAAAAAAA"}
    captured, previous = by_value[VID], by_value["VID:AAAAAAAAAAAA"]
    assert (captured["status"], captured["source"], captured["capturedOn"], captured["retiredAt"]) == (
        "ACTIVE",
        "PAIRING",
        {"id": fleet.charger_id},
        None,
    )
    assert (previous["status"], previous["source"], previous["capturedOn"]) == ("RETIRED", "MANUAL", None)
    assert previous["retiredAt"] is not None


@pytest.mark.parametrize("version", VERSIONS)
async def test_the_authorize_that_pairs_is_accepted_and_its_transaction_is_autocharge_for_the_vehicle(
    server: Autocharge, acme: TenantAccess, version: OcppVersion
) -> None:
    fleet = await a_fleet(acme.admin)
    async with charger(server, "CP-1", version) as station:
        await station.boot()
        await start_pairing(fleet)
        result = await station.run_session(MAC, meter_values=2)

    assert (result.authorization, result.start_status, result.completed) == ("Accepted", "Accepted", True)
    [tx] = await acme.admin.transactions()
    assert (tx["origin"], tx["status"], tx["idTag"], tx["vehicle"]["id"], tx["user"]["id"], tx["energyWh"]) == (
        "AUTOCHARGE",
        "COMPLETED",
        VID,
        fleet.vehicle_id,
        fleet.user_id,
        2000,
    )
    assert tx["ocppTransactionId"] == result.transaction_id


async def test_a_vehicle_paired_on_ocpp16_is_authorised_on_ocpp201_with_the_same_mac(
    server: Autocharge, acme: TenantAccess
) -> None:
    fleet = await a_fleet(acme.admin)
    other_charger = await acme.admin.register_charger("CP-2")
    async with charger(server, "CP-1", "1.6") as old:
        await old.boot()
        await start_pairing(fleet)
        assert (await old.run_session(MAC)).completed

    async with charger(server, "CP-2", "2.0.1") as new:
        await new.boot()
        # The 2.0.1 charger spells the same EVCCID its own way: a MacAddress token with colons.
        result = await new.run_session(IdToken("0a:1b:2c:3d:4e:5f", "MacAddress"))

    assert (result.authorization, result.completed) == ("Accepted", True)
    [on_201] = await acme.admin.transactions(chargerId=other_charger)
    assert (on_201["origin"], on_201["idTag"], on_201["vehicle"]["id"]) == ("AUTOCHARGE", VID, fleet.vehicle_id)


# --- pairing ends without a vehicle ---


async def test_a_waiting_session_expires_by_itself_and_the_subscriber_hears_it_within_a_second(
    server: Autocharge, acme: TenantAccess
) -> None:
    fleet = await a_fleet(acme.admin)
    async with charger(server, "CP-1") as station, acme.read_only.ws() as ws:
        await station.boot()
        session = await start_pairing(fleet, seconds=5)
        await ws.subscribe(PROGRESS, {"s": session["id"]})
        assert (await progress(ws))["status"] == "WAITING_FOR_VEHICLE"

        # Nobody sends anything now: no request, no frame. Only the server's own timer can end the session.
        message = await receive_within(ws, 8)
        heard_at = datetime.now(UTC)
        assert (await ws.receive())["type"] == "complete"

    assert message["type"] == "next"
    expired = message["payload"]["data"]["pairingProgress"]
    expires_at = datetime.fromisoformat(session["expiresAt"])
    assert expired["status"] == "EXPIRED"
    assert expires_at <= datetime.fromisoformat(expired["finishedAt"]) <= heard_at
    assert heard_at - expires_at < timedelta(seconds=1)


async def test_cancelling_pushes_cancelled_and_a_later_token_is_not_captured(
    server: Autocharge, acme: TenantAccess
) -> None:
    fleet = await a_fleet(acme.admin)
    async with charger(server, "CP-1") as station, acme.read_only.ws() as ws:
        await station.boot()
        session = await start_pairing(fleet)
        op = await ws.subscribe(PROGRESS, {"s": session["id"]})
        assert (await progress(ws))["status"] == "WAITING_FOR_VEHICLE"

        cancelled = (await acme.admin(CANCEL, s=session["id"]))["cancelVehiclePairing"]
        assert (cancelled["status"], cancelled["finishedAt"] is not None) == ("CANCELLED", True)
        pushed = await progress(ws)
        assert (pushed["status"], pushed["identifier"]) == ("CANCELLED", None)
        assert await ws.receive() == {"id": op, "type": "complete"}

        result = await station.run_session(MAC)

    assert result.authorization == "Invalid"  # an unknown vehicle, as if no pairing had been started
    assert (await identifiers_of(acme.admin, fleet.vehicle_id))["identifiers"] == []
    assert (await session_of(acme.admin, session["id"]))["status"] == "CANCELLED"


# --- pairing refused ---


async def test_a_second_pairing_on_a_charger_with_a_waiting_session_is_a_conflict(
    server: Autocharge, acme: TenantAccess
) -> None:
    fleet = await a_fleet(acme.admin)
    other_car = await acme.admin.add_vehicle(fleet.user_id, "ZZ-999-ZZ")
    async with charger(server, "CP-1") as station:
        await station.boot()
        first = await start_pairing(fleet)
        second = Fleet(acme.admin, fleet.charger_id, fleet.user_id, other_car)
        assert await start_error(second) == "CONFLICT"
    assert (await session_of(acme.admin, first["id"]))["status"] == "WAITING_FOR_VEHICLE"


async def test_pairing_a_retired_vehicle_is_a_validation_error(server: Autocharge, acme: TenantAccess) -> None:
    fleet = await a_fleet(acme.admin)
    await acme.admin("mutation($v: ID!) { retireVehicle(vehicleId: $v) { id } }", v=fleet.vehicle_id)
    async with charger(server, "CP-1") as station:
        await station.boot()
        assert await start_error(fleet) == "VALIDATION"


async def test_pairing_on_a_charger_without_autocharge_is_a_validation_error(
    server: Autocharge, acme: TenantAccess
) -> None:
    fleet = await a_fleet(acme.admin, autocharge=False)
    async with charger(server, "CP-1") as station:
        await station.boot()
        assert await start_error(fleet) == "VALIDATION"


@pytest.mark.parametrize("seconds", [4, 3601])
async def test_a_timeout_outside_5_to_3600_seconds_is_a_validation_error(
    server: Autocharge, acme: TenantAccess, seconds: int
) -> None:
    fleet = await a_fleet(acme.admin)
    async with charger(server, "CP-1") as station:
        await station.boot()
        assert await start_error(fleet, seconds) == "VALIDATION"


@pytest.mark.parametrize("seconds", [5, 3600])
async def test_a_timeout_of_5_or_3600_seconds_is_accepted(server: Autocharge, acme: TenantAccess, seconds: int) -> None:
    fleet = await a_fleet(acme.admin)
    async with charger(server, "CP-1") as station:
        await station.boot()
        session = await start_pairing(fleet, seconds)
    assert session["status"] == "WAITING_FOR_VEHICLE"


async def test_pairing_on_a_charger_that_is_not_connected_is_unavailable(
    server: Autocharge, acme: TenantAccess
) -> None:
    fleet = await a_fleet(acme.admin)
    assert await start_error(fleet) == "UNAVAILABLE"  # never connected
    async with charger(server, "CP-1") as station:
        await station.boot()

    async def disconnected() -> bool:  # the server records the close after the socket is gone
        data = await fleet.api("query($c: ID!) { charger(id: $c) { connectionState } }", c=fleet.charger_id)
        return bool(data["charger"]["connectionState"] == "DISCONNECTED")

    await eventually(disconnected)
    assert await start_error(fleet) == "UNAVAILABLE"  # connected once, gone now


async def test_a_read_only_key_may_neither_start_nor_cancel_a_pairing(server: Autocharge, acme: TenantAccess) -> None:
    fleet = await a_fleet(acme.admin)
    async with charger(server, "CP-1") as station:
        await station.boot()
        assert await start_error(fleet, api=acme.read_only) == "FORBIDDEN"
        session = await start_pairing(fleet)
        assert await acme.read_only.error_code(CANCEL, s=session["id"]) == "FORBIDDEN"
    assert (await session_of(acme.read_only, session["id"]))["status"] == "WAITING_FOR_VEHICLE"


# --- what a plug-in during pairing does ---


async def test_a_token_active_on_another_vehicle_fails_the_pairing_and_changes_nothing(
    server: Autocharge, acme: TenantAccess
) -> None:
    fleet = await a_fleet(acme.admin)
    owner = await acme.admin.add_vehicle(await acme.admin.create_user("owen@acme.example"), "OW-111-NR")
    await acme.admin.add_identifier(owner, MAC)
    await acme.admin.add_identifier(fleet.vehicle_id, "VID:AAAAAAAAAAAA")
    before = await identifiers_of(acme.admin, fleet.vehicle_id), await identifiers_of(acme.admin, owner)
    async with charger(server, "CP-1") as station, acme.read_only.ws() as ws:
        await station.boot()
        session = await start_pairing(fleet)
        op = await ws.subscribe(PROGRESS, {"s": session["id"]})
        assert (await progress(ws))["status"] == "WAITING_FOR_VEHICLE"

        result = await station.run_session(MAC)

        failed = await progress(ws)
        assert (failed["status"], failed["failureReason"], failed["identifier"]) == (
            "FAILED",
            "IDENTIFIER_IN_USE",
            None,
        )
        assert await ws.receive() == {"id": op, "type": "complete"}
    after = await identifiers_of(acme.admin, fleet.vehicle_id), await identifiers_of(acme.admin, owner)
    assert after == before
    # The token still belongs to its owner, who charges as before.
    assert result.authorization == "Accepted"
    [tx] = await acme.admin.transactions()
    assert tx["vehicle"]["id"] == owner


async def test_an_rfid_tag_presented_during_pairing_leaves_the_session_waiting(
    server: Autocharge, acme: TenantAccess
) -> None:
    fleet = await a_fleet(acme.admin)
    await acme.admin.create_user("rita@acme.example", rfid="04A2B3C4D5")
    async with charger(server, "CP-1") as station, acme.read_only.ws() as ws:
        await station.boot()
        session = await start_pairing(fleet)
        await ws.subscribe(PROGRESS, {"s": session["id"]})
        assert (await progress(ws))["status"] == "WAITING_FOR_VEHICLE"

        rfid = await station.run_session(IdToken("04A2B3C4D5", "ISO14443"))
        assert (rfid.authorization, rfid.completed) == ("Accepted", True)  # the card charges, as always
        assert (await session_of(acme.admin, session["id"]))["status"] == "WAITING_FOR_VEHICLE"
        assert (await identifiers_of(acme.admin, fleet.vehicle_id))["identifiers"] == []

        # The car, plugged in next, is still the one that pairs; the RFID session pushed nothing before it.
        await station.run_session(MAC)
        assert (await progress(ws))["status"] == "PAIRED"
