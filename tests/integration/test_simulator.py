"""The simulated charger against a small central system built on the `ocpp` package, over real sockets."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest
from ocpp import v16, v201
from websockets.asyncio.server import serve

from autocharge.simulator import (
    EXIT_CONNECTION,
    EXIT_OK,
    EXIT_PROTOCOL,
    EXIT_REJECTED,
    ChargerDisconnected,
    ConnectionRejected,
    IdToken,
    SimulatedCharger,
    Step,
    simulate,
)
from tests.integration.central_system import MAC, RFID, VID, Central


@pytest.fixture
async def central() -> AsyncIterator[Central]:
    system = Central(accepted={VID, MAC, RFID})
    async with serve(
        system.handler,
        "127.0.0.1",
        0,
        subprotocols=["ocpp1.6", "ocpp2.0.1"],  # type: ignore[list-item]
        process_request=system.process_request,
    ) as server:
        port = server.sockets[0].getsockname()[1]
        system.base_url = f"ws://127.0.0.1:{port}/ocpp"
        yield system


def _url(central: Central, identity: str = "CP-1") -> str:
    return f"{central.base_url}/{identity}"


def _status16(status: str) -> tuple[str, dict[str, Any]]:
    return ("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": status})


def _status201(status: str) -> tuple[str, dict[str, Any]]:
    return ("StatusNotification", {"connectorStatus": status, "evseId": 1, "connectorId": 1})


def _energy16(wh: int, context: str = "Sample.Periodic") -> list[dict[str, Any]]:
    sample = {"value": str(wh), "context": context, "measurand": "Energy.Active.Import.Register", "unit": "Wh"}
    return [{"sampledValue": [sample]}]


def _energy201(wh: int, context: str) -> list[dict[str, Any]]:
    sample = {
        "value": wh,
        "context": context,
        "measurand": "Energy.Active.Import.Register",
        "unitOfMeasure": {"unit": "Wh"},
    }
    return [{"sampledValue": [sample]}]


# --- a full Autocharge session ---


async def test_a_full_session_on_16_sends_the_vid_id_tag_and_the_readings(central: Central) -> None:
    steps: list[Step] = []
    async with SimulatedCharger(_url(central), "1.6", reporter=steps.append) as charger:
        assert await charger.boot() == "Accepted"
        await charger.status(1, "Available")
        result = await charger.run_session("0a:1b:2c:3d:4e:5f", meter_values=2, energy_per_step_wh=500)

    assert result.completed
    assert (result.transaction_id, result.meter_start, result.meter_stop, result.energy_wh) == ("1", 0, 1000, 1000)
    assert central.calls() == [
        ("BootNotification", {"chargePointVendor": "Autocharge", "chargePointModel": "Simulator DC"}),
        _status16("Available"),
        _status16("Preparing"),
        ("Authorize", {"idTag": VID}),
        ("StartTransaction", {"connectorId": 1, "idTag": VID, "meterStart": 0}),
        _status16("Charging"),
        ("MeterValues", {"connectorId": 1, "transactionId": 1, "meterValue": _energy16(500)}),
        ("MeterValues", {"connectorId": 1, "transactionId": 1, "meterValue": _energy16(1000)}),
        ("StopTransaction", {"meterStop": 1000, "transactionId": 1, "reason": "Local"}),
        _status16("Finishing"),
        _status16("Available"),
    ]
    lines = [str(step) for step in steps]
    assert lines[lines.index(f"[CP-1] -> Authorize idTag={VID}") + 1] == "[CP-1] <- Accepted"
    assert "[CP-1] <- Accepted transactionId=1" in lines


async def test_a_full_session_on_201_sends_a_mac_address_id_token(central: Central) -> None:
    async with SimulatedCharger(_url(central), "2.0.1") as charger:
        assert await charger.boot() == "Accepted"
        result = await charger.run_session(VID, meter_values=1, energy_per_step_wh=750)

    assert result.completed
    transaction_id = result.transaction_id
    assert transaction_id
    id_token = {"idToken": MAC, "type": "MacAddress"}
    evse = {"id": 1, "connectorId": 1}
    assert central.calls() == [
        (
            "BootNotification",
            {"chargingStation": {"vendorName": "Autocharge", "model": "Simulator DC"}, "reason": "PowerUp"},
        ),
        _status201("Occupied"),
        ("Authorize", {"idToken": id_token}),
        (
            "TransactionEvent",
            {
                "eventType": "Started",
                "triggerReason": "Authorized",
                "seqNo": 0,
                "transactionInfo": {"transactionId": transaction_id, "chargingState": "Charging"},
                "idToken": id_token,
                "evse": evse,
                "meterValue": _energy201(0, "Transaction.Begin"),
            },
        ),
        (
            "TransactionEvent",
            {
                "eventType": "Updated",
                "triggerReason": "MeterValuePeriodic",
                "seqNo": 1,
                "transactionInfo": {"transactionId": transaction_id, "chargingState": "Charging"},
                "meterValue": _energy201(750, "Sample.Periodic"),
            },
        ),
        (
            "TransactionEvent",
            {
                "eventType": "Ended",
                "triggerReason": "StopAuthorized",
                "seqNo": 2,
                "transactionInfo": {
                    "transactionId": transaction_id,
                    "chargingState": "EVConnected",
                    "stoppedReason": "Local",
                },
                "evse": evse,
                "meterValue": _energy201(750, "Transaction.End"),
            },
        ),
        _status201("Available"),
    ]


async def test_sessions_follow_each_other_on_one_energy_register(central: Central) -> None:
    async with SimulatedCharger(_url(central), "1.6") as charger:
        first = await charger.run_session(MAC, meter_values=1, energy_per_step_wh=100)
        second = await charger.run_session(MAC, meter_values=1, energy_per_step_wh=100)
    assert (first.transaction_id, second.transaction_id) == ("1", "2")
    assert (second.meter_start, second.meter_stop) == (100, 200)


# --- rejected ---


@pytest.mark.parametrize(("version", "plugged"), [("1.6", "Preparing"), ("2.0.1", "Occupied")])
async def test_a_rejected_token_is_never_charged_and_the_vehicle_unplugs(
    central: Central, version: str, plugged: str
) -> None:
    central.accepted = set()
    lines: list[str] = []
    code = await simulate(_url(central), MAC, version, sessions=2, out=lines.append)

    assert code == EXIT_REJECTED
    assert [action for action, _ in central.calls()] == [
        "BootNotification",
        "StatusNotification",
        "StatusNotification",
        "Authorize",
        "StatusNotification",
    ]
    statuses = [p.get("status") or p.get("connectorStatus") for a, p in central.calls() if a == "StatusNotification"]
    assert statuses == ["Available", plugged, "Available"]
    assert "[CP-1] <- Invalid" in lines
    assert lines[-1].startswith("error: session 1: Authorize was rejected (Invalid)")


# --- simulate(), the CLI's entry ---


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_simulate_prints_every_step_and_exits_0(central: Central, version: str) -> None:
    lines: list[str] = []
    code = await simulate(_url(central), MAC, version, sessions=2, meter_values=3, out=lines.append)

    assert code == EXIT_OK, lines
    token, authorize = (VID, f"idTag={VID}") if version == "1.6" else (MAC, f"idToken={MAC} type=MacAddress")
    assert lines[-1] == f"done: 2 Autocharge session(s) on CP-1 with {token}, 6000 Wh charged"
    authorize = f"[CP-1] -> Authorize {authorize}"
    assert lines.count(authorize) == 2
    assert lines[lines.index(authorize) + 1] == "[CP-1] <- Accepted"


async def test_simulate_refuses_a_malformed_mac_before_connecting(central: Central) -> None:
    lines: list[str] = []
    assert await simulate(_url(central), "0A1B", out=lines.append) == 2
    assert lines[0].startswith("error: '0A1B' has 4 hex digits")
    assert central.authorization_headers == []


# --- handshake: Basic auth, 401, 404, nobody there ---


async def test_basic_auth_sends_the_charge_point_id_and_password(central: Central) -> None:
    central.password = "s3cret"
    lines: list[str] = []
    assert await simulate(_url(central), MAC, password="s3cret", out=lines.append) == EXIT_OK
    assert central.authorization_headers == ["Basic Q1AtMTpzM2NyZXQ="]  # base64("CP-1:s3cret")


@pytest.mark.parametrize(
    ("password", "hint"), [("wrong", "the password is wrong"), (None, "give the charger's password with --password")]
)
async def test_a_401_says_the_password_is_the_problem(central: Central, password: str | None, hint: str) -> None:
    central.password = "s3cret"
    lines: list[str] = []
    assert await simulate(_url(central), MAC, password=password, out=lines.append) == EXIT_CONNECTION
    assert lines == [
        f"error: the server refused the connection: HTTP 401 Unauthorized ({hint}; the username sent is 'CP-1')"
    ]


async def test_a_404_says_the_charge_point_is_unknown(central: Central) -> None:
    with pytest.raises(ConnectionRejected, match="HTTP 404 Not Found") as refused:
        async with SimulatedCharger(_url(central, "CP-9")):
            pass
    assert refused.value.status_code == 404
    assert "no charge point 'CP-9'" in str(refused.value)


async def test_nobody_listening_is_a_connection_error() -> None:
    # Take a free port and release it, so that nothing listens there.
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    lines: list[str] = []
    assert await simulate(f"ws://127.0.0.1:{port}/ocpp/CP-1", MAC, out=lines.append) == EXIT_CONNECTION
    assert lines[0].startswith(f"error: cannot connect to ws://127.0.0.1:{port}/ocpp/CP-1")


# --- the connection failing mid-way ---


async def test_a_dropped_connection_fails_the_waiting_call_at_once(central: Central) -> None:
    central.drop_on = "Authorize"
    async with SimulatedCharger(_url(central), "1.6", response_timeout=30) as charger:
        with pytest.raises(ChargerDisconnected, match="Authorize"):
            await asyncio.wait_for(charger.authorize(IdToken(VID)), 5)


async def test_a_callerror_is_reported_as_a_protocol_failure(central: Central) -> None:
    central.unimplemented = {"Authorize"}
    lines: list[str] = []
    assert await simulate(_url(central), MAC, out=lines.append) == EXIT_PROTOCOL
    assert lines[-2].startswith("[CP-1] <- CALLERROR NotImplementedError")
    assert lines[-1].startswith("error: Authorize failed: NotImplementedError")


# --- remote start and stop ---


async def _station(central: Central, identity: str = "CP-1") -> Any:
    await asyncio.wait_for(central.connected.wait(), 5)
    return central.stations[identity]


def _index(central: Central, kind: int, action: str | None = None, unique_id: str | None = None) -> int:
    """Where a frame from the charger is in the recorded order."""
    for n, (direction, message) in enumerate(central.frames):
        ours = direction == "in" and message[0] == kind
        if ours and action in (None, message[2]) and unique_id in (None, message[1]):
            return n
    raise AssertionError(f"no {action or unique_id} from the charger")


async def test_remote_start_and_stop_on_16(central: Central) -> None:
    async with SimulatedCharger(_url(central), "1.6") as charger:
        await charger.boot()
        station = await _station(central)

        answer = await station.call(v16.call.RemoteStartTransaction(id_tag=RFID, connector_id=1))
        assert answer.status == "Accepted"
        started = await asyncio.wait_for(charger.remote_starts.get(), 5)
        assert (started.connector, started.transaction_id, started.token, started.status) == (
            1,
            "1",
            IdToken(RFID, "Central"),
            "Accepted",
        )
        # The connector is taken now, so a second start is refused.
        busy = await station.call(v16.call.RemoteStartTransaction(id_tag=RFID, connector_id=1))
        assert busy.status == "Rejected"

        assert (await station.call(v16.call.RemoteStopTransaction(transaction_id=99))).status == "Rejected"
        answer = await station.call(v16.call.RemoteStopTransaction(transaction_id=1))
        assert answer.status == "Accepted"
        stopped = await asyncio.wait_for(charger.remote_stops.get(), 5)
        assert (stopped.transaction_id, stopped.status) == ("1", "Remote")
        assert charger.errors == []

    assert central.calls()[1:] == [
        _status16("Preparing"),
        ("StartTransaction", {"connectorId": 1, "idTag": RFID, "meterStart": 0}),
        _status16("Charging"),
        ("StopTransaction", {"meterStop": 0, "transactionId": 1, "reason": "Remote"}),
        _status16("Finishing"),
        _status16("Available"),
    ]
    # The charger answers the command before it acts on it.
    remote_start_id = next(m[1] for d, m in central.frames if d == "out" and m[0] == 2)
    assert _index(central, 3, unique_id=remote_start_id) < _index(central, 2, "StartTransaction")


async def test_remote_start_and_stop_on_201(central: Central) -> None:
    async with SimulatedCharger(_url(central), "2.0.1") as charger:
        await charger.boot()
        station = await _station(central)

        rfid = v201.datatypes.IdTokenType(id_token=RFID, type="ISO14443")
        request = v201.call.RequestStartTransaction(id_token=rfid, remote_start_id=7, evse_id=1)
        assert (await station.call(request)).status == "Accepted"
        started = await asyncio.wait_for(charger.remote_starts.get(), 5)
        assert (started.token, started.status) == (IdToken(RFID, "ISO14443"), "Accepted")

        stop = v201.call.RequestStopTransaction(transaction_id=started.transaction_id)
        assert (await station.call(stop)).status == "Accepted"
        await asyncio.wait_for(charger.remote_stops.get(), 5)
        unknown = v201.call.RequestStopTransaction(transaction_id=started.transaction_id)
        assert (await station.call(unknown)).status == "Rejected"

    calls = central.calls()[1:]
    assert [action for action, _ in calls] == [
        "StatusNotification",
        "TransactionEvent",
        "TransactionEvent",
        "StatusNotification",
    ]
    begin, end = calls[1][1], calls[2][1]
    assert (begin["eventType"], begin["triggerReason"]) == ("Started", "RemoteStart")
    assert begin["transactionInfo"] == {
        "transactionId": started.transaction_id,
        "chargingState": "Charging",
        "remoteStartId": 7,
    }
    assert begin["idToken"] == {"idToken": RFID, "type": "ISO14443"}
    assert (end["eventType"], end["triggerReason"], end["transactionInfo"]["stoppedReason"]) == (
        "Ended",
        "RemoteStop",
        "Remote",
    )


async def test_a_remote_stop_ends_a_running_autocharge_session(central: Central) -> None:
    charging = asyncio.Event()

    def report(step: Step) -> None:
        if step.text.startswith("MeterValues"):
            charging.set()

    async with SimulatedCharger(_url(central), "1.6", reporter=report) as charger:
        session = asyncio.create_task(charger.run_session(MAC, meter_values=1000, interval=0.01))
        station = await _station(central)
        await asyncio.wait_for(charging.wait(), 5)
        assert (await station.call(v16.call.RemoteStopTransaction(transaction_id=1))).status == "Accepted"
        result = await asyncio.wait_for(session, 5)
        await asyncio.wait_for(charger.remote_stops.get(), 5)

    assert result.stop_reason == "Remote"
    assert 0 < result.meter_values < 1000
    actions = [(a, p.get("status") or p.get("reason")) for a, p in central.calls()]
    assert actions[-3:] == [
        ("StopTransaction", "Remote"),
        ("StatusNotification", "Finishing"),
        ("StatusNotification", "Available"),
    ]
    assert sum(1 for a, _ in actions if a == "StopTransaction") == 1


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_heartbeat_returns_the_servers_time(central: Central, version: str) -> None:
    async with SimulatedCharger(_url(central), version) as charger:  # type: ignore[arg-type]
        assert datetime.fromisoformat(await charger.heartbeat()).tzinfo is not None
    assert [action for action, _ in central.calls()] == ["Heartbeat"]
