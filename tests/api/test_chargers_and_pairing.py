"""Chargers, pairing sessions, remote commands and logs through GraphQL."""

from __future__ import annotations

from datetime import timedelta

from domain.commands import ReportConnectorStatus, StartTransaction, Token
from domain.services import chargers as charger_service
from domain.services import transactions as transaction_service
from tests.api import factories
from tests.api.harness import Api

REGISTER = """mutation($c: String!, $p: String) {
    registerCharger(input: {chargePointId: $c, name: "Depot", password: $p}) {
    id chargePointId name autochargeSupported connectionState ocppVersion lastSeenAt connectors { connectorId } } }"""
START = """mutation($v: ID!, $c: ID!, $t: Int) { startVehiclePairing(vehicleId: $v, chargerId: $c, timeoutSeconds: $t) {
    id status startedAt expiresAt vehicle { licensePlate } charger { chargePointId } identifier { id } } }"""


async def test_register_charger_and_set_autocharge(api: Api) -> None:
    charger = (await api.data(REGISTER, {"c": "CP-9", "p": None}))["registerCharger"]
    assert charger["autochargeSupported"] is False
    assert charger["connectionState"] == "NEVER_CONNECTED"
    assert charger["connectors"] == []
    assert (await api.error(REGISTER, {"c": "CP-9", "p": None}))["extensions"]["code"] == "CONFLICT"
    assert (await api.error(REGISTER, {"c": "bad id/with slash", "p": None}))["extensions"]["code"] == "VALIDATION"
    assert (await api.error(REGISTER, {"c": "CP-10", "p": "short"}))["extensions"]["code"] == "VALIDATION"
    flip = "mutation($c: ID!) { setAutochargeSupported(chargerId: $c, supported: true) { autochargeSupported } }"
    assert (await api.data(flip, {"c": charger["id"]}))["setAutochargeSupported"]["autochargeSupported"] is True


async def test_charger_connectors_and_listing(api: Api) -> None:
    charger = await factories.charger(api)
    for connector in (2, 1):
        cmd = ReportConnectorStatus(charger.id, connector, "Available")
        await charger_service.report_connector_status(api.uow(), cmd, api.clock)
    query = """{ chargers { totalCount edges { node {
        connectionState ocppVersion connectors { connectorId status } } } } }"""
    chargers = (await api.data(query))["chargers"]
    assert chargers["totalCount"] == 1
    node = chargers["edges"][0]["node"]
    assert node["connectionState"] == "CONNECTED"
    assert node["ocppVersion"] == "1.6"
    assert [c["connectorId"] for c in node["connectors"]] == [1, 2]


async def test_pairing_start_conflict_cancel(api: Api) -> None:
    car = await factories.vehicle(api, await factories.user(api))
    charger = await factories.charger(api)
    variables = {"v": str(car.id), "c": str(charger.id), "t": 60}
    session = (await api.data(START, variables))["startVehiclePairing"]
    assert session["status"] == "WAITING_FOR_VEHICLE"
    assert session["vehicle"] == {"licensePlate": car.license_plate}
    assert session["charger"] == {"chargePointId": "CP-1"}
    assert session["identifier"] is None
    assert (await api.error(START, variables))["extensions"]["code"] == "CONFLICT"
    cancel = "mutation($s: ID!) { cancelVehiclePairing(sessionId: $s) { status finishedAt } }"
    cancelled = (await api.data(cancel, {"s": session["id"]}))["cancelVehiclePairing"]
    assert cancelled["status"] == "CANCELLED"
    read = await api.data("query($id: ID!) { pairingSession(id: $id) { status } }", {"id": session["id"]})
    assert read["pairingSession"] == {"status": "CANCELLED"}


async def test_pairing_refusals(api: Api) -> None:
    car = await factories.vehicle(api, await factories.user(api))
    offline = await factories.charger(api, "CP-OFF", connected=False)
    online = await factories.charger(api, "CP-ON")
    code = (await api.error(START, {"v": str(car.id), "c": str(offline.id), "t": 60}))["extensions"]["code"]
    assert code == "UNAVAILABLE"
    code = (await api.error(START, {"v": str(car.id), "c": str(online.id), "t": 4}))["extensions"]["code"]
    assert code == "VALIDATION"
    theirs = await factories.charger(api, "CP-B", tenant=api.tenant_b)
    code = (await api.error(START, {"v": str(car.id), "c": str(theirs.id), "t": 60}))["extensions"]["code"]
    assert code == "NOT_FOUND"


async def test_remote_start_and_stop(api: Api) -> None:
    ada = await factories.user(api)
    charger = await factories.charger(api)
    start = "mutation($c: ID!, $u: ID!) { remoteStartTransaction(chargerId: $c, connectorId: 1, userId: $u) }"
    assert (await api.data(start, {"c": str(charger.id), "u": str(ada.id)}))["remoteStartTransaction"] is True
    assert api.commands.sent[0][0] == "start"
    offline = await factories.charger(api, "CP-OFF", connected=False)
    error = await api.error(start, {"c": str(offline.id), "u": str(ada.id)})
    assert error["extensions"]["code"] == "UNAVAILABLE"
    cmd = StartTransaction(
        charger.id, 1, Token.from_ocpp16("RFID1"), 1000, api.clock(), "key-1", tenant_id=api.tenant_a
    )
    transaction, _ = await transaction_service.start_transaction(lambda t: api.uow(t), cmd, api.clock)
    stop = "mutation($t: ID!) { remoteStopTransaction(transactionId: $t) }"
    assert (await api.data(stop, {"t": str(transaction.id)}))["remoteStopTransaction"] is True
    assert api.commands.sent[-1] == ("stop", ("CP-1", transaction.ocpp_transaction_id))


async def test_transactions_with_their_relations(api: Api) -> None:
    ada = await factories.user(api)
    car = await factories.vehicle(api, ada)
    charger = await factories.charger(api)
    await api.data('mutation($u: ID!) { addRfidTag(userId: $u, idTag: "RFID1") { id } }', {"u": str(ada.id)})
    for number in range(3):
        api.clock.advance(60)
        cmd = StartTransaction(
            charger.id, 1, Token.from_ocpp16("RFID1"), 1000, api.clock(), f"key-{number}", tenant_id=api.tenant_a
        )
        await transaction_service.start_transaction(lambda t: api.uow(t), cmd, api.clock)
    query = """query($f: TransactionFilter) { transactions(first: 2, filter: $f) { totalCount
        pageInfo { hasNextPage endCursor } edges { node { id origin status idTag energyWh startedAt
        charger { chargePointId } user { email } vehicle { licensePlate transactionCount } } } } }"""
    page = (await api.data(query, {"f": {"vehicleId": str(car.id)}}))["transactions"]
    assert page["totalCount"] == 3
    assert page["pageInfo"]["hasNextPage"] is True
    first = page["edges"][0]["node"]
    assert first["origin"] == "RFID"
    assert first["startedAt"] == "2026-11-21T08:03:00+00:00"  # newest first
    assert first["charger"] == {"chargePointId": "CP-1"}
    assert first["user"] == {"email": ada.email}
    assert first["vehicle"] == {"licensePlate": car.license_plate, "transactionCount": 3}
    one = await api.data("query($id: ID!) { transaction(id: $id) { id } }", {"id": first["id"]})
    assert one["transaction"] == {"id": first["id"]}
    summary = """query($v: ID!, $from: DateTime) { vehicle(id: $v) { chargingSummary(from: $from) { sessions }
        transactions(first: 1) { totalCount edges { cursor } } } }"""
    since = (api.clock() - timedelta(minutes=1)).isoformat()
    vehicle = (await api.data(summary, {"v": str(car.id), "from": since}))["vehicle"]
    assert vehicle["transactions"]["totalCount"] == 3
    assert vehicle["chargingSummary"]["sessions"] == 3  # the fake summary ignores the period


async def test_charger_logs_newest_first(api: Api) -> None:
    charger = await factories.charger(api)
    async with api.uow() as uow:
        for action in ("BootNotification", "Authorize", "Heartbeat"):
            await uow.logs.add(factories.log_entry(api, charger, action, {"n": action}))
        await uow.commit()
    query = """query($c: ID!) { ocppLogs(chargerId: $c, first: 2) { pageInfo { hasNextPage }
        edges { node { action payload direction messageType chargePointId } } } }"""
    logs = (await api.data(query, {"c": str(charger.id)}))["ocppLogs"]
    assert [e["node"]["action"] for e in logs["edges"]] == ["Heartbeat", "Authorize"]
    assert logs["edges"][0]["node"]["payload"] == {"n": "Heartbeat"}
    assert logs["pageInfo"]["hasNextPage"] is True
    nested = 'query($c: ID!) { charger(id: $c) { logs(action: "Authorize") { edges { node { action } } } } }'
    assert (await api.data(nested, {"c": str(charger.id)}))["charger"]["logs"]["edges"] == [
        {"node": {"action": "Authorize"}}
    ]
    theirs = await factories.charger(api, "CP-B", tenant=api.tenant_b)
    code = (await api.error(query, {"c": str(theirs.id)}))["extensions"]["code"]
    assert code == "NOT_FOUND"
