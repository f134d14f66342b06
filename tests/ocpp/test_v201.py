"""OCPP 2.0.1 over a real socket: boot, status, MacAddress authorization, TransactionEvent Started/Updated/Ended."""

from __future__ import annotations

from typing import Any

from ocpp.v201 import call

from domain.model import ConnectionState, TransactionOrigin, TransactionStatus
from tests.ocpp.conftest import Env, client

MAC = "0A1B2C3D4E5F"
T0 = "2026-11-21T08:00:00Z"


def energy(value: float, unit: str = "Wh", at: str = T0, **extra: Any) -> list[dict[str, Any]]:
    return [{"timestamp": at, "sampledValue": [{"value": value, "unitOfMeasure": {"unit": unit}, **extra}]}]


def event(event_type: str, seq: int, **fields: Any) -> call.TransactionEvent:
    return call.TransactionEvent(
        event_type=event_type,
        timestamp=fields.pop("timestamp", T0),
        trigger_reason=fields.pop("trigger_reason", "Authorized"),
        seq_no=seq,
        transaction_info=fields.pop("transaction_info", {"transactionId": "TX-1"}),
        **fields,
    )


async def test_boot_heartbeat_and_status_are_stored(env: Env) -> None:
    charger = await env.charger()
    async with client(env, version="2.0.1") as cp:
        boot = await cp.call(
            call.BootNotification(
                charging_station={"model": "HPC-300", "vendorName": "ACME", "firmwareVersion": "2.1"},
                reason="PowerUp",
            )
        )
        assert (boot.status, boot.interval) == ("Accepted", 60)
        await cp.call(call.Heartbeat())
        await cp.call(call.StatusNotification(timestamp=T0, connector_status="Occupied", evse_id=1, connector_id=1))
        row = env.charger_row()
        assert (row.vendor, row.model, row.firmware_version, row.ocpp_version) == ("ACME", "HPC-300", "2.1", "2.0.1")
        assert row.connection_state is ConnectionState.CONNECTED
        assert env.row("connectors", (charger.id, 1)).status == "Occupied"


async def test_the_same_mac_is_accepted_on_both_versions(env: Env) -> None:
    await env.charger()
    await env.vehicle(await env.user(), mac=MAC)
    async with client(env, version="1.6") as cp16:
        answer16 = await cp16.call(call_v16_authorize(f"VID:{MAC}"))
    async with client(env, version="2.0.1") as cp201:
        answer201 = await cp201.call(call.Authorize(id_token={"idToken": "0a:1b:2c:3d:4e:5f", "type": "MacAddress"}))
    assert answer16.id_tag_info["status"] == answer201.id_token_info["status"] == "Accepted"


def call_v16_authorize(id_tag: str) -> Any:
    from ocpp.v16 import call as call16

    return call16.Authorize(id_tag=id_tag)


async def test_an_unknown_mac_address_is_invalid(env: Env) -> None:
    await env.charger()
    async with client(env, version="2.0.1") as cp:
        answer = await cp.call(call.Authorize(id_token={"idToken": "AABBCCDDEEFF", "type": "MacAddress"}))
    assert answer.id_token_info["status"] == "Invalid"
    assert env.charger_row().autocharge_supported


async def test_transaction_started_updated_ended(env: Env) -> None:
    await env.charger()
    vehicle = await env.vehicle(await env.user(), mac=MAC)
    token = {"idToken": MAC, "type": "MacAddress"}
    async with client(env, version="2.0.1") as cp:
        started = await cp.call(
            event(
                "Started",
                0,
                evse={"id": 1, "connectorId": 1},
                id_token=token,
                meter_value=energy(1000, context="Transaction.Begin"),
            )
        )
        assert started.id_token_info["status"] == "Accepted"
        updated = await cp.call(
            event(
                "Updated",
                1,
                trigger_reason="MeterValuePeriodic",
                meter_value=energy(2.5, "kWh", "2026-11-21T08:10:00Z"),
            )
        )
        assert updated.id_token_info is None  # no idToken in the request, none in the answer
        assert env.transactions()[0].energy_wh == 1500
        ended = await cp.call(
            event(
                "Ended",
                2,
                timestamp="2026-11-21T08:30:00Z",
                trigger_reason="EVDeparted",
                transaction_info={"transactionId": "TX-1", "stoppedReason": "EVDisconnected"},
                id_token=token,
                meter_value=[
                    {
                        "timestamp": "2026-11-21T08:30:00Z",
                        "sampledValue": [
                            {"value": 4, "unitOfMeasure": {"unit": "kWh"}, "measurand": "Energy.Active.Import.Register"}
                        ],
                    }
                ],
            )
        )
        assert ended.id_token_info["status"] == "Accepted"
    (tx,) = env.transactions()
    assert (tx.origin, tx.vehicle_id, tx.ocpp_transaction_id) == (TransactionOrigin.AUTOCHARGE, vehicle.id, "TX-1")
    assert (tx.status, tx.meter_start_wh, tx.meter_stop_wh, tx.energy_wh) == (
        TransactionStatus.COMPLETED,
        1000,
        4000,
        3000,
    )
    assert tx.stop_reason == "EVDisconnected" and tx.connector_id == 1


async def test_a_token_presented_after_the_start_attributes_the_transaction(env: Env) -> None:
    await env.charger()
    user = await env.user()
    await env.rfid(user, "RFID-77")
    async with client(env, version="2.0.1") as cp:
        started = await cp.call(event("Started", 0, trigger_reason="CablePluggedIn", evse={"id": 2}))
        assert started.id_token_info is None
        updated = await cp.call(event("Updated", 1, id_token={"idToken": "RFID-77", "type": "ISO14443"}))
        assert updated.id_token_info["status"] == "Accepted"
        again = await cp.call(event("Started", 0, trigger_reason="CablePluggedIn", evse={"id": 2}))  # a retry
        assert again.id_token_info is None
    (tx,) = env.transactions()
    assert (tx.user_id, tx.origin, tx.connector_id) == (user.id, TransactionOrigin.RFID, 2)


async def test_meter_values_in_multiplied_units(env: Env) -> None:
    await env.charger()
    async with client(env, version="2.0.1") as cp:
        await cp.call(event("Started", 0, meter_value=energy(100)))
        reading = [
            {"timestamp": T0, "sampledValue": [{"value": 1.2, "unitOfMeasure": {"unit": "Wh", "multiplier": 3}}]}
        ]
        await cp.call(event("Updated", 1, meter_value=reading))
        await cp.call(call.MeterValues(evse_id=1, meter_value=energy(5000)))  # outside a transaction: only logged
    assert env.transactions()[0].energy_wh == 1100


async def test_an_event_for_a_transaction_never_started_here_is_kept(env: Env) -> None:
    await env.charger()
    async with client(env, version="2.0.1") as cp:
        await cp.call(event("Ended", 5, transaction_info={"transactionId": "LOST", "stoppedReason": "Local"}))
    (tx,) = env.transactions()
    assert (tx.ocpp_transaction_id, tx.status) == ("LOST", TransactionStatus.COMPLETED)


async def test_a_no_authorization_token_is_answered_accepted_and_attributes_nothing(env: Env) -> None:
    await env.charger()
    async with client(env, version="2.0.1") as cp:
        started = await cp.call(event("Started", 0, id_token={"idToken": "", "type": "NoAuthorization"}))
    assert started.id_token_info["status"] == "Accepted"
    (tx,) = env.transactions()
    assert (tx.id_tag, tx.user_id) == ("", None)
