"""GraphQL subscriptions over graphql-transport-ws, fed by real chargers: auth, tenants, logs, transactions, status."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from websockets.exceptions import ConnectionClosed

from autocharge.main import Autocharge
from autocharge.simulator import OcppVersion, token_for_mac
from domain.events import CHARGERS_TOPIC, TRANSACTIONS_TOPIC, logs_topic
from tests.api.wsclient import GraphQLWs, graphql_ws
from tests.e2e.harness import Api, TenantAccess, charger, subscribed

MAC = "0A1B2C3D4E5F"

LOGS = (
    "subscription($c: ID!) { ocppLogs(chargerId: $c) {"
    " chargerId chargePointId direction messageType uniqueId action payload timestamp } }"
)
UPDATES = (
    "subscription($c: ID, $v: ID) { transactionUpdates(chargerId: $c, vehicleId: $v) {"
    " id status origin energyWh meterStopWh charger { id } vehicle { id } } }"
)
STATUS = (
    "subscription($c: ID) { chargerStatus(chargerId: $c) {"
    " id connectionState ocppVersion vendor model connectors { connectorId status } } }"
)
PROGRESS = "subscription($s: ID!) { pairingProgress(sessionId: $s) { id status } }"
START_PAIRING = "mutation($v: ID!, $c: ID!) { startVehiclePairing(vehicleId: $v, chargerId: $c) { id } }"
FLIP = "mutation($c: ID!, $s: Boolean!) { setAutochargeSupported(chargerId: $c, supported: $s) { id } }"


def ws_url(server: Autocharge) -> str:
    return f"ws://{server.settings.host}:{server.api_port}/graphql"


async def refusal(ws: GraphQLWs, op: str) -> str:
    """The error code a subscription was refused with; it must also be over (no more messages for it)."""
    message = await ws.receive()
    assert message["id"] == op
    if message["type"] == "error":  # refused before it started
        return str(message["payload"][0]["extensions"]["code"])
    assert message["type"] == "next", message
    assert message["payload"]["data"] is None
    code = str(message["payload"]["errors"][0]["extensions"]["code"])
    assert await ws.receive() == {"id": op, "type": "complete"}
    return code


async def flip_autocharge(api: Api, charger_id: str) -> None:
    """Something that pushes one chargerStatus event, without a charger."""
    await api(FLIP, c=charger_id, s=False)


# --- who may subscribe ---


@pytest.mark.parametrize("name", ["Authorization", "authorization", "AUTHORIZATION", "aUtHoRiZaTiOn"])
async def test_the_key_in_connection_init_authenticates_whatever_the_case_of_its_name(
    server: Autocharge, acme: TenantAccess, name: str
) -> None:
    charger_id = await acme.admin.register_charger("CP-1")
    async with graphql_ws(ws_url(server), {name: f"Bearer {acme.read_only.key}"}) as ws:
        assert (await ws.receive())["type"] == "connection_ack"
        await ws.subscribe(STATUS, {"c": charger_id})
        await subscribed(server, acme.tenant, CHARGERS_TOPIC)
        await flip_autocharge(acme.admin, charger_id)
        assert (await ws.next_data())["chargerStatus"]["id"] == charger_id


async def test_the_upgrade_request_s_authorization_header_authenticates(server: Autocharge, acme: TenantAccess) -> None:
    charger_id = await acme.admin.register_charger("CP-1")
    async with graphql_ws(ws_url(server), headers={"Authorization": f"Bearer {acme.read_only.key}"}) as ws:
        assert (await ws.receive())["type"] == "connection_ack"
        await ws.subscribe(STATUS, {"c": charger_id})
        await subscribed(server, acme.tenant, CHARGERS_TOPIC)
        await flip_autocharge(acme.admin, charger_id)
        assert (await ws.next_data())["chargerStatus"]["id"] == charger_id


@pytest.mark.parametrize("payload", [{}, {"Authorization": "Bearer ak_not_a_key"}, {"Authorization": "Basic eDp5"}])
async def test_a_connection_without_a_valid_key_is_refused_before_any_subscription(
    server: Autocharge, payload: dict[str, Any]
) -> None:
    async with graphql_ws(ws_url(server), payload) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await ws.receive()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403


# --- tenants ---


async def test_a_subscription_to_another_tenant_s_pairing_session_ends_with_not_found(
    server: Autocharge, acme: TenantAccess, globex: TenantAccess
) -> None:
    charger_id = await globex.admin.register_charger("GX-1")
    vehicle_id = await globex.admin.add_vehicle(await globex.admin.create_user("gus@globex.example"), "GX-1")
    async with charger(server, "GX-1") as station:
        await station.boot()
        session = (await globex.admin(START_PAIRING, v=vehicle_id, c=charger_id))["startVehiclePairing"]
        async with acme.admin.ws() as ws:
            op = await ws.subscribe(PROGRESS, {"s": session["id"]})
            assert await refusal(ws, op) == "NOT_FOUND"


@pytest.mark.parametrize(
    ("query", "variable"), [(LOGS, "c"), (STATUS, "c"), (UPDATES, "c")], ids=["ocppLogs", "chargerStatus", "tx"]
)
async def test_a_subscription_to_another_tenant_s_charger_ends_with_not_found(
    server: Autocharge, acme: TenantAccess, globex: TenantAccess, query: str, variable: str
) -> None:
    theirs = await globex.admin.register_charger("GX-1")
    async with acme.admin.ws() as ws:
        op = await ws.subscribe(query, {variable: theirs})
        assert await refusal(ws, op) == "NOT_FOUND"


async def test_a_subscription_to_another_tenant_s_vehicle_transactions_ends_with_not_found(
    server: Autocharge, acme: TenantAccess, globex: TenantAccess
) -> None:
    theirs = await globex.admin.add_vehicle(await globex.admin.create_user("gus@globex.example"), "GX-1")
    async with acme.admin.ws() as ws:
        op = await ws.subscribe(UPDATES, {"v": theirs})
        assert await refusal(ws, op) == "NOT_FOUND"


async def pair_and_charge(server: Autocharge, access: TenantAccess, cpid: str) -> tuple[str, str]:
    """The same story in any tenant: a charger connects, a car is paired as it plugs in, and charges."""
    api = access.admin
    charger_id = await api.register_charger(cpid)
    vehicle_id = await api.add_vehicle(await api.create_user("dana@fleet.example"), "AB-123-CD")
    async with charger(server, cpid) as station:
        await station.boot()
        await station.status(1, "Available")
        await api(START_PAIRING, v=vehicle_id, c=charger_id)
        assert (await station.run_session(MAC, meter_values=1)).completed
    return charger_id, vehicle_id


async def test_a_subscriber_never_receives_anything_of_another_tenant_s_identical_activity(
    server: Autocharge, acme: TenantAccess, globex: TenantAccess
) -> None:
    async with acme.read_only.ws() as mine, globex.read_only.ws() as theirs:
        for ws in (mine, theirs):
            await ws.subscribe(STATUS)
            await ws.subscribe(UPDATES)
        for access in (acme, globex):
            await subscribed(server, access.tenant, CHARGERS_TOPIC)
            await subscribed(server, access.tenant, TRANSACTIONS_TOPIC)

        # Globex first: anything of theirs that leaked would reach Acme's subscriber before Acme's own events.
        globex_ids = await pair_and_charge(server, globex, "GX-1")
        acme_ids = await pair_and_charge(server, acme, "AC-1")

        seen_by_globex = await collect_until_stopped_and_disconnected(theirs, globex_ids[0])
        seen_by_acme = await collect_until_stopped_and_disconnected(mine, acme_ids[0])

    assert all_ids(seen_by_globex) <= set(globex_ids)
    assert all_ids(seen_by_acme) <= set(acme_ids)
    assert len(seen_by_acme) == len(seen_by_globex)  # the same activity, the same stream: none of the other's


async def collect_until_stopped_and_disconnected(ws: GraphQLWs, charger_id: str) -> list[dict[str, Any]]:
    """Every message up to both the transaction's stop and the charger's disconnection."""
    seen: list[dict[str, Any]] = []
    stopped = disconnected = False
    while not (stopped and disconnected):
        data = await ws.next_data()
        seen.append(data)
        if "transactionUpdates" in data:
            stopped = stopped or data["transactionUpdates"]["status"] == "COMPLETED"
        else:
            update = data["chargerStatus"]
            disconnected = disconnected or (update["id"] == charger_id and update["connectionState"] == "DISCONNECTED")
    return seen


def all_ids(messages: list[dict[str, Any]]) -> set[str]:
    ids: set[str] = set()
    for data in messages:
        if "chargerStatus" in data:
            ids.add(data["chargerStatus"]["id"])
        else:
            tx = data["transactionUpdates"]
            ids |= {tx["charger"]["id"], tx["vehicle"]["id"]}
    return ids


# --- what each subscription tells ---


async def test_ocpp_logs_arrive_in_wire_order_with_both_directions_and_the_action_on_each_result(
    server: Autocharge, acme: TenantAccess
) -> None:
    charger_id = await acme.admin.register_charger("CP-1")
    async with acme.read_only.ws() as ws:
        await ws.subscribe(LOGS, {"c": charger_id})
        await subscribed(server, acme.tenant, logs_topic(UUID(charger_id)))
        async with charger(server, "CP-1") as station:
            await station.boot()
            await station.status(1, "Available")
            await station.heartbeat()
            await station.authorize(token_for_mac(MAC, "1.6"))
        logs = [(await ws.next_data())["ocppLogs"] for _ in range(8)]

    actions = ["BootNotification", "StatusNotification", "Heartbeat", "Authorize"]
    assert [(log["direction"], log["messageType"], log["action"]) for log in logs] == [
        (direction, kind, action)
        for action in actions
        for direction, kind in [("FROM_CHARGER", "CALL"), ("TO_CHARGER", "CALL_RESULT")]
    ]
    for call, result in zip(logs[::2], logs[1::2], strict=True):
        assert result["uniqueId"] == call["uniqueId"]  # each answer right after its own call
    assert {(log["chargerId"], log["chargePointId"]) for log in logs} == {(charger_id, "CP-1")}
    assert logs[6]["payload"] == {"idTag": "VID:0A1B2C3D4E5F"}
    assert logs[7]["payload"] == {"idTagInfo": {"status": "Invalid"}}
    timestamps = [log["timestamp"] for log in logs]
    assert timestamps == sorted(timestamps)


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_transaction_updates_push_the_start_each_meter_value_and_the_stop(
    server: Autocharge, acme: TenantAccess, version: OcppVersion
) -> None:
    charger_id = await acme.admin.register_charger("CP-1")
    vehicle_id = await acme.admin.add_vehicle(await acme.admin.create_user("dana@acme.example"), "AB-123-CD")
    await acme.admin.add_identifier(vehicle_id, MAC)
    async with acme.read_only.ws() as ws:
        await ws.subscribe(UPDATES)
        await subscribed(server, acme.tenant, TRANSACTIONS_TOPIC)
        async with charger(server, "CP-1", version) as station:
            await station.boot()
            result = await station.run_session(MAC, meter_values=2)
        updates = [(await ws.next_data())["transactionUpdates"]]
        while updates[-1]["status"] != "COMPLETED":
            updates.append((await ws.next_data())["transactionUpdates"])

    assert result.completed
    readings = [("ACTIVE", 1000, None), ("ACTIVE", 2000, None)]
    if version == "2.0.1":
        readings.append(("ACTIVE", 2000, None))  # TransactionEvent Ended carries the final reading, stored first
    assert [(u["status"], u["energyWh"], u["meterStopWh"]) for u in updates] == [
        ("ACTIVE", None, None),  # started: no reading yet
        *readings,
        ("COMPLETED", 2000, 2000),
    ]
    assert {(u["id"], u["origin"], u["charger"]["id"], u["vehicle"]["id"]) for u in updates} == {
        (updates[0]["id"], "AUTOCHARGE", charger_id, vehicle_id)
    }


async def test_transaction_updates_filtered_by_charger_or_vehicle_carry_only_theirs(
    server: Autocharge, acme: TenantAccess
) -> None:
    api = acme.admin
    user = await api.create_user("dana@acme.example")
    first_charger, other_charger = await api.register_charger("CP-1"), await api.register_charger("CP-2")
    first_car, other_car = await api.add_vehicle(user, "AB-111-CD"), await api.add_vehicle(user, "AB-222-CD")
    await api.add_identifier(first_car, "VID:0A0A0A0A0A0A")
    await api.add_identifier(other_car, "VID:0C0B0B0B0B0B")
    async with acme.read_only.ws() as by_charger, acme.read_only.ws() as by_vehicle:
        await by_charger.subscribe(UPDATES, {"c": first_charger})
        await by_vehicle.subscribe(UPDATES, {"v": first_car})
        await subscribed(server, acme.tenant, TRANSACTIONS_TOPIC, count=2)
        # The other car on the first charger, then the first car on the other charger, then the first on the first.
        for cpid, mac in [("CP-1", "0C0B0B0B0B0B"), ("CP-2", "0A0A0A0A0A0A"), ("CP-1", "0A0A0A0A0A0A")]:
            async with charger(server, cpid) as station:
                await station.boot()
                assert (await station.run_session(mac, meter_values=0)).completed
        on_charger = [(await by_charger.next_data())["transactionUpdates"] for _ in range(4)]
        of_vehicle = [(await by_vehicle.next_data())["transactionUpdates"] for _ in range(4)]

    assert {u["charger"]["id"] for u in on_charger} == {first_charger}
    assert [u["vehicle"]["id"] for u in on_charger] == [other_car, other_car, first_car, first_car]
    assert {u["vehicle"]["id"] for u in of_vehicle} == {first_car}
    assert [u["charger"]["id"] for u in of_vehicle] == [other_charger, other_charger, first_charger, first_charger]


async def test_charger_status_pushes_connection_boot_connector_status_and_disconnection(
    server: Autocharge, acme: TenantAccess
) -> None:
    charger_id = await acme.admin.register_charger("CP-1")
    async with acme.read_only.ws() as ws:
        await ws.subscribe(STATUS, {"c": charger_id})
        await subscribed(server, acme.tenant, CHARGERS_TOPIC)
        async with charger(server, "CP-1", "2.0.1") as station:
            connected = (await ws.next_data())["chargerStatus"]
            await station.boot()
            booted = (await ws.next_data())["chargerStatus"]
            await station.status(1, "Occupied")
            occupied = (await ws.next_data())["chargerStatus"]
        disconnected = (await ws.next_data())["chargerStatus"]

    assert (connected["id"], connected["connectionState"], connected["ocppVersion"], connected["vendor"]) == (
        charger_id,
        "CONNECTED",
        "2.0.1",
        None,
    )
    assert (booted["vendor"], booted["model"]) == ("Autocharge", "Simulator DC")
    assert occupied["connectors"] == [{"connectorId": 1, "status": "Occupied"}]
    assert (disconnected["connectionState"], disconnected["connectors"]) == (
        "DISCONNECTED",
        [{"connectorId": 1, "status": "Occupied"}],
    )
