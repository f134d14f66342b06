"""Charging sessions as chargers report them: retries never duplicate, energy counts in either unit, nothing lost."""

from __future__ import annotations

from typing import Any

import pytest
from ocpp.v16 import call as call16
from ocpp.v16 import datatypes as types16
from ocpp.v201 import call as call201
from ocpp.v201 import datatypes as types201

from autocharge.main import Autocharge
from tests.e2e.harness import TenantAccess, charger, exchange, ocpp_charge_point, raw_connection

MAC = "0A1B2C3D4E5F"
VID = f"VID:{MAC}"
T0 = "2026-01-05T08:00:00Z"
START_16 = {"connectorId": 1, "idTag": VID, "meterStart": 1000, "timestamp": T0}


async def autocharge_vehicle(tenant: TenantAccess) -> str:
    user = await tenant.admin.create_user("dana@acme.example")
    vehicle = await tenant.admin.add_vehicle(user, "AB-123-CD")
    await tenant.admin.add_identifier(vehicle, MAC)
    return vehicle


def at(minute: int) -> str:
    return f"2026-01-05T08:{minute:02d}:00Z"


# --- OCPP 1.6: StartTransaction retried ---


async def test_a_start_transaction_resent_with_the_same_unique_id_gets_the_same_answer_and_one_transaction(
    server: Autocharge, acme: TenantAccess
) -> None:
    await acme.admin.register_charger("CP-1")
    await autocharge_vehicle(acme)

    async with raw_connection(server, "CP-1") as ws:
        first = await exchange(ws, [2, "start-1", "StartTransaction", START_16])
        again = await exchange(ws, [2, "start-1", "StartTransaction", START_16])

    assert first[:2] == [3, "start-1"]
    assert first[2]["idTagInfo"]["status"] == "Accepted"
    assert again == first
    [tx] = await acme.admin.transactions()
    assert tx["ocppTransactionId"] == str(first[2]["transactionId"])


async def test_the_same_start_sent_with_different_unique_ids_gets_one_transaction_id_and_one_transaction(
    server: Autocharge, acme: TenantAccess
) -> None:
    await acme.admin.register_charger("CP-1")
    await autocharge_vehicle(acme)

    async with raw_connection(server, "CP-1") as ws:
        first = await exchange(ws, [2, "start-1", "StartTransaction", START_16])
        second = await exchange(ws, [2, "start-2", "StartTransaction", START_16])

    assert (first[1], second[1]) == ("start-1", "start-2")
    assert first[2]["transactionId"] == second[2]["transactionId"]
    [tx] = await acme.admin.transactions()
    assert (tx["ocppTransactionId"], tx["status"]) == (str(first[2]["transactionId"]), "ACTIVE")


async def test_a_start_transaction_with_a_rejected_id_tag_still_gets_a_transaction_id_and_is_stored(
    server: Autocharge, acme: TenantAccess
) -> None:
    await acme.admin.register_charger("CP-1")

    async with raw_connection(server, "CP-1") as ws:
        answer = await exchange(ws, [2, "s1", "StartTransaction", {**START_16, "idTag": "NO-SUCH-CARD"}])

    assert answer[2]["idTagInfo"] == {"status": "Invalid"}
    assert isinstance(answer[2]["transactionId"], int)
    [tx] = await acme.admin.transactions()
    assert (tx["ocppTransactionId"], tx["idTag"], tx["status"], tx["user"]) == (
        str(answer[2]["transactionId"]),
        "NO-SUCH-CARD",
        "ACTIVE",
        None,
    )


# --- OCPP 2.0.1: TransactionEvent ---


def mac_token() -> types201.IdTokenType:
    return types201.IdTokenType(id_token=MAC, type="MacAddress")


def energy201(value: float, unit: str, minute: int, context: str = "Sample.Periodic") -> types201.MeterValueType:
    return types201.MeterValueType(
        timestamp=at(minute),
        sampled_value=[
            types201.SampledValueType(
                value=value,
                context=context,
                measurand="Energy.Active.Import.Register",
                unit_of_measure=types201.UnitOfMeasureType(unit=unit),
            )
        ],
    )


def event201(
    event_type: str, seq_no: int, trigger: str, meter: types201.MeterValueType, **extra: Any
) -> call201.TransactionEvent:
    return call201.TransactionEvent(
        event_type=event_type,
        timestamp=meter.timestamp,
        trigger_reason=trigger,
        seq_no=seq_no,
        transaction_info=types201.TransactionType(
            transaction_id="tx-201-1", charging_state="Charging", stopped_reason=extra.pop("stopped_reason", None)
        ),
        evse=types201.EVSEType(id=1, connector_id=1),
        meter_value=[meter],
        **extra,
    )


async def test_each_201_transaction_event_carrying_the_token_is_answered_with_id_token_info(
    server: Autocharge, acme: TenantAccess
) -> None:
    await acme.admin.register_charger("CP-1")
    await autocharge_vehicle(acme)

    async with ocpp_charge_point(server, "CP-1", "2.0.1") as cp:
        started = await cp.call(
            event201("Started", 0, "Authorized", energy201(1000, "Wh", 0, "Transaction.Begin"), id_token=mac_token())
        )
        updated = await cp.call(event201("Updated", 1, "MeterValuePeriodic", energy201(1500, "Wh", 1)))
        updated_with_token = await cp.call(
            event201("Updated", 2, "MeterValuePeriodic", energy201(1700, "Wh", 2), id_token=mac_token())
        )
        ended = await cp.call(
            event201(
                "Ended",
                3,
                "EVCommunicationLost",
                energy201(2000, "Wh", 3, "Transaction.End"),
                id_token=mac_token(),
                stopped_reason="EVDisconnected",
            )
        )

    assert started.id_token_info == {"status": "Accepted"}
    assert updated.id_token_info is None  # no token in the request, none in the answer
    assert updated_with_token.id_token_info == {"status": "Accepted"}
    assert ended.id_token_info == {"status": "Accepted"}


async def test_a_201_transaction_is_active_after_started_and_completed_with_its_vehicle_after_ended(
    server: Autocharge, acme: TenantAccess
) -> None:
    await acme.admin.register_charger("CP-1")
    vehicle = await autocharge_vehicle(acme)

    async with ocpp_charge_point(server, "CP-1", "2.0.1") as cp:
        await cp.call(
            event201("Started", 0, "Authorized", energy201(1000, "Wh", 0, "Transaction.Begin"), id_token=mac_token())
        )
        [running] = await acme.admin.transactions()
        await cp.call(
            event201(
                "Ended",
                1,
                "EVCommunicationLost",
                energy201(4000, "Wh", 1, "Transaction.End"),
                stopped_reason="EVDisconnected",
            )
        )

    [done] = await acme.admin.transactions()
    assert (running["ocppTransactionId"], running["status"], running["origin"], running["idTag"]) == (
        "tx-201-1",
        "ACTIVE",
        "AUTOCHARGE",
        VID,
    )
    assert running["vehicle"]["id"] == vehicle
    assert (done["id"], done["status"], done["meterStopWh"], done["energyWh"], done["stopReason"]) == (
        running["id"],
        "COMPLETED",
        4000,
        3000,
        "EVDisconnected",
    )


async def test_a_201_started_event_sent_twice_is_one_transaction(server: Autocharge, acme: TenantAccess) -> None:
    await acme.admin.register_charger("CP-1")
    await autocharge_vehicle(acme)
    started = event201("Started", 0, "Authorized", energy201(1000, "Wh", 0, "Transaction.Begin"), id_token=mac_token())

    async with ocpp_charge_point(server, "CP-1", "2.0.1") as cp:
        first = await cp.call(started)
        second = await cp.call(started)

    assert first.id_token_info == second.id_token_info == {"status": "Accepted"}
    [tx] = await acme.admin.transactions()
    assert tx["ocppTransactionId"] == "tx-201-1"


# --- energy, in Wh and kWh, on both versions ---


def energy16(value: str, unit: str, minute: int) -> types16.MeterValue:
    sample = types16.SampledValue(value=value, measurand="Energy.Active.Import.Register", unit=unit)
    return types16.MeterValue(timestamp=at(minute), sampled_value=[sample])


def meter_values16(transaction_id: int, reading: types16.MeterValue) -> call16.MeterValues:
    return call16.MeterValues(connector_id=1, transaction_id=transaction_id, meter_value=[reading])


async def energy_wh(tenant: TenantAccess) -> int:
    [tx] = await tenant.admin.transactions()
    return int(tx["energyWh"])


async def test_16_meter_values_in_wh_and_kwh_show_as_energy_wh(server: Autocharge, acme: TenantAccess) -> None:
    await acme.admin.register_charger("CP-1")
    await autocharge_vehicle(acme)

    async with ocpp_charge_point(server, "CP-1", "1.6") as cp:
        started = await cp.call(call16.StartTransaction(connector_id=1, id_tag=VID, meter_start=1000, timestamp=T0))
        number = started.transaction_id
        await cp.call(
            call16.MeterValues(connector_id=1, transaction_id=number, meter_value=[energy16("1500", "Wh", 1)])
        )
        in_wh = await energy_wh(acme)
        await cp.call(
            call16.MeterValues(connector_id=1, transaction_id=number, meter_value=[energy16("2.5", "kWh", 2)])
        )
        in_kwh = await energy_wh(acme)
        await cp.call(call16.StopTransaction(meter_stop=4000, timestamp=at(3), transaction_id=number))
        stopped = await energy_wh(acme)

    assert (in_wh, in_kwh, stopped) == (500, 1500, 3000)


async def test_201_meter_values_in_wh_and_kwh_show_as_energy_wh(server: Autocharge, acme: TenantAccess) -> None:
    await acme.admin.register_charger("CP-1")
    await autocharge_vehicle(acme)

    async with ocpp_charge_point(server, "CP-1", "2.0.1") as cp:
        await cp.call(
            event201("Started", 0, "Authorized", energy201(1000, "Wh", 0, "Transaction.Begin"), id_token=mac_token())
        )
        await cp.call(event201("Updated", 1, "MeterValuePeriodic", energy201(1500, "Wh", 1)))
        in_wh = await energy_wh(acme)
        await cp.call(event201("Updated", 2, "MeterValuePeriodic", energy201(2.5, "kWh", 2)))
        in_kwh = await energy_wh(acme)
        await cp.call(event201("Ended", 3, "StopAuthorized", energy201(4, "kWh", 3, "Transaction.End")))
        stopped = await energy_wh(acme)

    assert (in_wh, in_kwh, stopped) == (500, 1500, 3000)


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_a_simulated_autocharge_session_is_stored_with_its_vehicle_and_energy(
    server: Autocharge, acme: TenantAccess, version: str
) -> None:
    await acme.admin.register_charger("CP-1")
    vehicle = await autocharge_vehicle(acme)

    async with charger(server, "CP-1", version) as station:
        await station.boot()
        result = await station.run_session(MAC, meter_values=3, energy_per_step_wh=700)

    assert result.completed
    [tx] = await acme.admin.transactions()
    assert (tx["origin"], tx["status"], tx["vehicle"]["id"], tx["energyWh"]) == (
        "AUTOCHARGE",
        "COMPLETED",
        vehicle,
        2100,
    )
