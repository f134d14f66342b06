"""OCPP 1.6J over a real socket: boot, heartbeat, status, Autocharge and RFID authorization, transactions."""

from __future__ import annotations

from ocpp.v16 import call

from domain.commands import RetireVehicle
from domain.model import AuthorizationStatus, ConnectionState, TransactionOrigin, TransactionStatus
from domain.services import vehicles
from tests.ocpp.conftest import Env, client

MAC = "0A1B2C3D4E5F"
T0 = "2026-11-21T08:00:00Z"


async def test_boot_heartbeat_and_status_are_stored(env: Env) -> None:
    charger = await env.charger()
    async with client(env) as cp:
        boot = await cp.call(call.BootNotification(charge_point_vendor="ACME", charge_point_model="DC-50"))
        assert (boot.status, boot.interval) == ("Accepted", 60)
        assert boot.current_time.endswith("Z")
        beat = await cp.call(call.Heartbeat())
        assert beat.current_time.endswith("Z")
        await cp.call(call.StatusNotification(connector_id=0, error_code="NoError", status="Available"))
        await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Preparing", timestamp=T0))
        row = env.charger_row()
        assert (row.vendor, row.model, row.ocpp_version) == ("ACME", "DC-50", "1.6")
        assert row.connection_state is ConnectionState.CONNECTED and row.last_seen_at is not None
        assert env.row("connectors", (charger.id, 0)).status == "Available"  # connector 0: the charger itself
        assert env.row("connectors", (charger.id, 1)).status == "Preparing"


async def test_autocharge_token_is_accepted_for_an_active_vehicle(env: Env) -> None:
    await env.charger()
    await env.vehicle(await env.user(), mac=MAC)
    async with client(env) as cp:
        answer = await cp.call(call.Authorize(id_tag=f"VID:{MAC}"))
    assert answer.id_tag_info["status"] == "Accepted"


async def test_unknown_vehicle_token_is_invalid_recorded_and_marks_the_charger(env: Env) -> None:
    charger = await env.charger()
    assert not charger.autocharge_supported
    async with client(env) as cp:
        answer = await cp.call(call.Authorize(id_tag="VID:AABBCCDDEEFF"))
    assert answer.id_tag_info["status"] == "Invalid"
    unrecognised = list(env.store.table("unrecognised").values())
    assert [u.value for u in unrecognised] == ["VID:AABBCCDDEEFF"]
    assert env.charger_row().autocharge_supported


async def test_a_retired_vehicle_is_blocked(env: Env) -> None:
    await env.charger()
    vehicle = await env.vehicle(await env.user(), mac=MAC)
    await vehicles.retire_vehicle(env.uow(), RetireVehicle(vehicle.id))
    async with client(env) as cp:
        answer = await cp.call(call.Authorize(id_tag=f"VID:{MAC}"))
    assert answer.id_tag_info["status"] == "Blocked"


async def test_another_tenants_vehicle_is_invalid_here(env: Env) -> None:
    await env.charger()
    await env.vehicle(await env.user(tenant=env.tenant_b), mac=MAC)
    async with client(env) as cp:
        answer = await cp.call(call.Authorize(id_tag=f"VID:{MAC}"))
    assert answer.id_tag_info["status"] == "Invalid"


async def test_rfid_start_is_attributed_to_the_users_only_vehicle(env: Env) -> None:
    await env.charger()
    user = await env.user()
    vehicle = await env.vehicle(user)
    await env.rfid(user, "04A1B2C3")
    async with client(env) as cp:
        auth = await cp.call(call.Authorize(id_tag="04A1B2C3"))
        start = await cp.call(call.StartTransaction(connector_id=1, id_tag="04A1B2C3", meter_start=1000, timestamp=T0))
    assert auth.id_tag_info["status"] == start.id_tag_info["status"] == "Accepted"
    (tx,) = env.transactions()
    assert (tx.origin, tx.user_id, tx.vehicle_id) == (TransactionOrigin.RFID, user.id, vehicle.id)
    assert int(tx.ocpp_transaction_id) == start.transaction_id


async def test_a_start_with_a_rejected_tag_is_stored_with_its_status(env: Env) -> None:
    await env.charger()
    async with client(env) as cp:
        start = await cp.call(call.StartTransaction(connector_id=1, id_tag="NOBODY", meter_start=0, timestamp=T0))
    assert start.id_tag_info["status"] == "Invalid"
    (tx,) = env.transactions()
    assert tx.authorization is AuthorizationStatus.INVALID
    assert int(tx.ocpp_transaction_id) == start.transaction_id > 0


async def test_a_retried_start_returns_the_same_transaction(env: Env) -> None:
    await env.charger()
    request = call.StartTransaction(connector_id=1, id_tag="NOBODY", meter_start=5, timestamp=T0)
    async with client(env) as cp:
        first = await cp.call(request, unique_id="start-1")
        same_frame = await cp.call(request, unique_id="start-1")
        same_start = await cp.call(
            call.StartTransaction(connector_id=1, id_tag="NOBODY", meter_start=5, timestamp="2026-11-21T08:00:00+00:00")
        )
    assert first.transaction_id == same_frame.transaction_id == same_start.transaction_id
    assert len(env.transactions()) == 1


async def test_meter_values_in_wh_and_kwh_and_the_stop(env: Env) -> None:
    await env.charger()
    await env.vehicle(await env.user(), mac=MAC)
    async with client(env) as cp:
        start = await cp.call(
            call.StartTransaction(connector_id=1, id_tag=f"VID:{MAC}", meter_start=1000, timestamp=T0)
        )
        await cp.call(
            call.MeterValues(
                connector_id=1,
                transaction_id=start.transaction_id,
                meter_value=[{"timestamp": "2026-11-21T08:05:00Z", "sampledValue": [{"value": "1500"}]}],
            )
        )
        assert env.transactions()[0].energy_wh == 500  # no measurand: Energy.Active.Import.Register, in Wh
        await cp.call(
            call.MeterValues(
                connector_id=1,
                transaction_id=start.transaction_id,
                meter_value=[
                    {
                        "timestamp": "2026-11-21T08:10:00Z",
                        "sampledValue": [
                            {"value": "230.1", "measurand": "Voltage", "unit": "V"},
                            {"value": "2.25", "measurand": "Energy.Active.Import.Register", "unit": "kWh"},
                        ],
                    }
                ],
            )
        )
        assert env.transactions()[0].energy_wh == 1250
        stop = await cp.call(
            call.StopTransaction(
                meter_stop=4000,
                timestamp="2026-11-21T08:30:00Z",
                transaction_id=start.transaction_id,
                id_tag=f"VID:{MAC}",
                reason="EVDisconnected",
                transaction_data=[
                    {"timestamp": "2026-11-21T08:29:00Z", "sampledValue": [{"value": "3.9", "unit": "kWh"}]}
                ],
            )
        )
    assert stop.id_tag_info["status"] == "Accepted"
    (tx,) = env.transactions()
    assert tx.origin is TransactionOrigin.AUTOCHARGE and tx.status is TransactionStatus.COMPLETED
    assert (tx.meter_stop_wh, tx.energy_wh, tx.stop_reason) == (4000, 3000, "EVDisconnected")


async def test_a_stop_without_id_tag_or_of_an_unknown_transaction_is_answered(env: Env) -> None:
    await env.charger()
    async with client(env) as cp:
        stop = await cp.call(call.StopTransaction(meter_stop=1, timestamp=T0, transaction_id=999))
    assert stop.id_tag_info is None


async def test_data_transfer_is_answered_unknown_vendor(env: Env) -> None:
    await env.charger()
    async with client(env) as cp:
        answer = await cp.call(call.DataTransfer(vendor_id="com.acme", message_id="x", data="y"))
    assert answer.status == "UnknownVendorId"
