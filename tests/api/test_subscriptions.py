"""Subscriptions over graphql-transport-ws: auth, tenant isolation, filters, pairing progress, overflow."""

from __future__ import annotations

import asyncio
import dataclasses
from uuid import UUID

import pytest
from websockets.exceptions import ConnectionClosed

from domain.events import (
    CHARGERS_TOPIC,
    TRANSACTIONS_TOPIC,
    ChargerChange,
    ChargerStatusChanged,
    OcppFrameLogged,
    PairingSessionChanged,
    TransactionChange,
    TransactionChanged,
    logs_topic,
    pairing_topic,
)
from domain.ids import new_id
from domain.model import Charger, Transaction
from tests.api import factories
from tests.api.harness import ADMIN_A, QUEUE_SIZE, READER_A, Api
from tests.api.wsclient import authorised_ws, graphql_ws
from tests.builders import a_transaction

CHARGER_STATUS = "subscription($c: ID) { chargerStatus(chargerId: $c) { id chargePointId autochargeSupported } }"
LOGS = "subscription($c: ID!) { ocppLogs(chargerId: $c) { action payload chargerId } }"
PROGRESS = "subscription($s: ID!) { pairingProgress(sessionId: $s) { status vehicle { licensePlate } } }"
UPDATES = "subscription($v: ID) { transactionUpdates(vehicleId: $v) { id energyWh vehicle { licensePlate } } }"


async def subscribed(api: Api, tenant: UUID, topic: str, count: int = 1) -> None:
    """Events are only delivered to a subscription that exists: wait for the server to make it."""
    for _ in range(500):
        if api.bus.subscribers(tenant, topic) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"nobody subscribed to {topic}")


def transaction(charger: Charger, vehicle_id: UUID | None, meter: int) -> Transaction:
    return a_transaction(
        charger,
        1,
        start_key=str(new_id()),
        id_tag="RFID1",
        vehicle_id=vehicle_id,
        started_at=charger.created_at,
        meter_start_wh=0,
        meter_last_wh=meter,
    )


async def test_a_bad_key_is_refused_at_connection_init(api: Api) -> None:
    async with graphql_ws(api.ws_url, {"Authorization": "Bearer ak_wrong"}) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await ws.receive()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403


async def test_the_upgrade_header_authenticates_too(api: Api) -> None:
    async with graphql_ws(api.ws_url, headers={"Authorization": f"Bearer {READER_A}"}) as ws:
        assert (await ws.receive())["type"] == "connection_ack"


async def test_charger_status_sees_its_tenant_only(api: Api) -> None:
    mine = await factories.charger(api)
    theirs = await factories.charger(api, "CP-B", tenant=api.tenant_b)
    async with authorised_ws(api.ws_url, READER_A) as ws:
        await ws.subscribe(CHARGER_STATUS)
        await subscribed(api, api.tenant_a, CHARGERS_TOPIC)
        # Another tenant's event, even one published on our channel's topic name, never arrives.
        await api.bus.publish(
            api.tenant_b, [ChargerStatusChanged(tenant_id=api.tenant_b, change=ChargerChange.UPDATED, charger=theirs)]
        )
        flip = "mutation($c: ID!) { setAutochargeSupported(chargerId: $c, supported: false) { id } }"
        await api.data(flip, {"c": str(mine.id)}, key=ADMIN_A)  # committed, then published by the unit of work
        update = (await ws.next_data())["chargerStatus"]
        assert update == {"id": str(mine.id), "chargePointId": "CP-1", "autochargeSupported": False}


async def test_a_subscription_to_another_tenant_s_charger_is_not_found(api: Api) -> None:
    theirs = await factories.charger(api, "CP-B", tenant=api.tenant_b)
    async with authorised_ws(api.ws_url, ADMIN_A) as ws:
        op = await ws.subscribe(CHARGER_STATUS, {"c": str(theirs.id)})
        message = await ws.receive()
        assert message["id"] == op
        errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
        assert errors[0]["extensions"]["code"] == "NOT_FOUND"
        if message["type"] == "next":
            assert (await ws.receive())["type"] == "complete"


async def test_ocpp_logs_live(api: Api) -> None:
    charger = await factories.charger(api)
    async with authorised_ws(api.ws_url, ADMIN_A) as ws:
        await ws.subscribe(LOGS, {"c": str(charger.id)})
        await subscribed(api, api.tenant_a, logs_topic(charger.id))
        entry = factories.log_entry(api, charger, "Authorize", {"idTag": "VID:0A1B2C3D4E5F"})
        await api.bus.publish(api.tenant_a, [OcppFrameLogged(tenant_id=api.tenant_a, entry=entry)])
        log = (await ws.next_data())["ocppLogs"]
        assert log == {"action": "Authorize", "payload": {"idTag": "VID:0A1B2C3D4E5F"}, "chargerId": str(charger.id)}


async def test_transaction_updates_filtered_by_vehicle(api: Api) -> None:
    charger = await factories.charger(api)
    car = await factories.vehicle(api, await factories.user(api))
    async with authorised_ws(api.ws_url, ADMIN_A) as ws:
        await ws.subscribe(UPDATES, {"v": str(car.id)})
        await subscribed(api, api.tenant_a, TRANSACTIONS_TOPIC)
        events = [
            TransactionChanged(tenant_id=api.tenant_a, change=change, transaction=transaction(charger, vehicle, wh))
            for change, vehicle, wh in [
                (TransactionChange.STARTED, None, 5),
                (TransactionChange.METER_VALUES, car.id, 1500),
            ]
        ]
        await api.bus.publish(api.tenant_a, events)
        update = (await ws.next_data())["transactionUpdates"]
        assert update["energyWh"] == 1500
        assert update["vehicle"] == {"licensePlate": car.license_plate}


async def test_pairing_progress_current_state_first_then_changes_until_final(api: Api) -> None:
    car = await factories.vehicle(api, await factories.user(api))
    charger = await factories.charger(api)
    start = "mutation($v: ID!, $c: ID!) { startVehiclePairing(vehicleId: $v, chargerId: $c) { id } }"
    session_id = (await api.data(start, {"v": str(car.id), "c": str(charger.id)}))["startVehiclePairing"]["id"]
    async with authorised_ws(api.ws_url, READER_A) as ws:
        op = await ws.subscribe(PROGRESS, {"s": session_id})
        first = (await ws.next_data())["pairingProgress"]
        assert first == {"status": "WAITING_FOR_VEHICLE", "vehicle": {"licensePlate": car.license_plate}}
        # A repeat of the state already sent (as when the start's own event is still queued) is dropped.
        async with api.uow() as uow:
            waiting = await uow.pairing.get(UUID(session_id))
        assert waiting is not None
        await api.bus.publish(api.tenant_a, [PairingSessionChanged(tenant_id=api.tenant_a, session=waiting)])
        cancel = "mutation($s: ID!) { cancelVehiclePairing(sessionId: $s) { id } }"
        await api.data(cancel, {"s": session_id})
        assert (await ws.next_data())["pairingProgress"]["status"] == "CANCELLED"
        assert await ws.receive() == {"id": op, "type": "complete"}
        # A finished session: its state, then the end.
        op = await ws.subscribe(PROGRESS, {"s": session_id})
        assert (await ws.next_data())["pairingProgress"]["status"] == "CANCELLED"
        assert await ws.receive() == {"id": op, "type": "complete"}
    assert api.bus.subscribers(api.tenant_a, pairing_topic(UUID(session_id))) == 0


async def test_an_overflowed_subscription_ends_with_unavailable(api: Api) -> None:
    charger = await factories.charger(api)
    async with authorised_ws(api.ws_url, ADMIN_A) as ws:
        await ws.subscribe(LOGS, {"c": str(charger.id)})
        await subscribed(api, api.tenant_a, logs_topic(charger.id))
        burst = [
            OcppFrameLogged(tenant_id=api.tenant_a, entry=dataclasses.replace(factories.log_entry(api, charger)))
            for _ in range(QUEUE_SIZE * 3)
        ]
        await api.bus.publish(api.tenant_a, burst)  # faster than anyone can read: the bus cuts the subscriber off
        while (message := await ws.receive())["type"] == "next" and "errors" not in message["payload"]:
            pass
        errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
        assert errors[0]["extensions"]["code"] == "UNAVAILABLE"
        assert "too slow" in errors[0]["message"]


async def test_completing_a_subscription_unsubscribes_from_the_bus(api: Api) -> None:
    charger = await factories.charger(api)
    async with authorised_ws(api.ws_url, ADMIN_A) as ws:
        op = await ws.subscribe(LOGS, {"c": str(charger.id)})
        await subscribed(api, api.tenant_a, logs_topic(charger.id))
        await ws.complete(op)
        for _ in range(500):
            if api.bus.subscribers(api.tenant_a, logs_topic(charger.id)) == 0:
                break
            await asyncio.sleep(0.01)
    assert api.bus.subscribers(api.tenant_a, logs_topic(charger.id)) == 0


@pytest.mark.parametrize(
    ("query", "name"),
    [(LOGS, "c"), (PROGRESS, "s"), (UPDATES, "v")],
    ids=["ocppLogs", "pairingProgress", "transactionUpdates"],
)
async def test_unknown_ids_end_with_not_found(api: Api, query: str, name: str) -> None:
    async with authorised_ws(api.ws_url, ADMIN_A) as ws:
        await ws.subscribe(query, {name: str(new_id())})
        message = await ws.receive()
        errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
        assert errors[0]["extensions"]["code"] == "NOT_FOUND"
