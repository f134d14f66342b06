"""IDs over HTTP on the real database: another tenant's ID is exactly an unknown one; a non-UUID is VALIDATION."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest

from autocharge.main import Autocharge
from domain.ids import new_id, utcnow
from domain.model import PairingSession, RfidTag
from tests.builders import a_log_entry, a_transaction, an_identifier
from tests.e2e.harness import Api, TenantAccess, seeding

# Each operation with its ID variables, named after what they point to in `World`.
MUTATIONS: dict[str, tuple[str, dict[str, str]]] = {
    "addRfidTag": ('mutation($u: ID!) { addRfidTag(userId: $u, idTag: "04AA") { id } }', {"u": "user"}),
    "removeRfidTag": ('mutation($u: ID!) { removeRfidTag(userId: $u, idTag: "04GL") { id } }', {"u": "user"}),
    "addVehicle": (
        'mutation($u: ID!) { addVehicle(input: {userId: $u, licensePlate: "NEW1"}) { id } }',
        {"u": "user"},
    ),
    "retireVehicle": ("mutation($v: ID!) { retireVehicle(vehicleId: $v) { id } }", {"v": "vehicle"}),
    "addVehicleIdentifier": (
        'mutation($v: ID!) { addVehicleIdentifier(vehicleId: $v, value: "0A0A0A0A0A0A") { id } }',
        {"v": "vehicle"},
    ),
    "retireVehicleIdentifier": (
        "mutation($i: ID!) { retireVehicleIdentifier(identifierId: $i) { id } }",
        {"i": "identifier"},
    ),
    "setAutochargeSupported": (
        "mutation($c: ID!) { setAutochargeSupported(chargerId: $c, supported: false) { id } }",
        {"c": "charger"},
    ),
    "startVehiclePairing(vehicle)": (
        "mutation($v: ID!, $c: ID!) { startVehiclePairing(vehicleId: $v, chargerId: $c) { id } }",
        {"v": "vehicle", "c": "own_charger"},
    ),
    "startVehiclePairing(charger)": (
        "mutation($v: ID!, $c: ID!) { startVehiclePairing(vehicleId: $v, chargerId: $c) { id } }",
        {"v": "own_vehicle", "c": "charger"},
    ),
    "cancelVehiclePairing": ("mutation($s: ID!) { cancelVehiclePairing(sessionId: $s) { id } }", {"s": "session"}),
    "remoteStartTransaction(charger)": (
        "mutation($c: ID!, $u: ID!) { remoteStartTransaction(chargerId: $c, connectorId: 1, userId: $u) }",
        {"c": "charger", "u": "own_user"},
    ),
    "remoteStartTransaction(user)": (
        "mutation($c: ID!, $u: ID!) { remoteStartTransaction(chargerId: $c, connectorId: 1, userId: $u) }",
        {"c": "own_charger", "u": "user"},
    ),
    "remoteStopTransaction": ("mutation($t: ID!) { remoteStopTransaction(transactionId: $t) }", {"t": "transaction"}),
}

LOOKUPS: dict[str, tuple[str, dict[str, str]]] = {
    "user": ("query($id: ID!) { user(id: $id) { id } }", {"id": "user"}),
    "vehicle": ("query($id: ID!) { vehicle(id: $id) { id } }", {"id": "vehicle"}),
    "charger": ("query($id: ID!) { charger(id: $id) { id } }", {"id": "charger"}),
    "transaction": ("query($id: ID!) { transaction(id: $id) { id } }", {"id": "transaction"}),
    "pairingSession": ("query($id: ID!) { pairingSession(id: $id) { id } }", {"id": "session"}),
}

FILTERS: dict[str, tuple[str, dict[str, str]]] = {
    "transactions(vehicleId)": (
        "query($id: ID!) { transactions(filter: {vehicleId: $id}) { totalCount edges { cursor } } }",
        {"id": "vehicle"},
    ),
    "transactions(userId)": (
        "query($id: ID!) { transactions(filter: {userId: $id}) { totalCount edges { cursor } } }",
        {"id": "user"},
    ),
    "transactions(chargerId)": (
        "query($id: ID!) { transactions(filter: {chargerId: $id}) { totalCount edges { cursor } } }",
        {"id": "charger"},
    ),
    "unrecognisedIdentifiers(chargerId)": (
        "query($id: ID!) { unrecognisedIdentifiers(chargerId: $id) { value } }",
        {"id": "charger"},
    ),
}

CHARGER_LOGS = ("query($id: ID!) { ocppLogs(chargerId: $id) { edges { cursor } } }", {"id": "charger"})


@dataclass
class World:
    """Globex's user (RFID tag 04GL), vehicle with an active identifier, charger with a log entry, transaction
    and waiting pairing session; and Acme's own user, vehicle and charger to pair them with."""

    ids: dict[str, str]


@pytest.fixture
async def world(server: Autocharge, acme: TenantAccess, globex: TenantAccess) -> World:
    seed = seeding(server)
    tenant = globex.tenant.id
    user = await seed.user(tenant)
    vehicle = await seed.vehicle(user)
    charger = await seed.charger(tenant, autocharge_supported=True)
    identifier = an_identifier(vehicle, "VID:0A1B2C3D4E5F")
    transaction = a_transaction(charger, 1, user_id=user.id, vehicle_id=vehicle.id)
    now = utcnow()
    session = PairingSession(
        id=new_id(),
        tenant_id=tenant,
        vehicle_id=vehicle.id,
        charger_id=charger.id,
        started_at=now,
        expires_at=now + timedelta(hours=1),
    )
    async with server.deps.uow(tenant) as uow:
        await uow.rfid_tags.add(RfidTag(id=new_id(), tenant_id=tenant, user_id=user.id, id_tag="04GL", created_at=now))
        await uow.identifiers.add(identifier)
        await uow.transactions.add(transaction)
        await uow.pairing.add(session)
        await uow.commit()
    server.journal.append(a_log_entry(charger))
    await server.journal.flush()
    own_user = await acme.admin.create_user("own@acme.example")
    ids = {
        "user": user.id,
        "vehicle": vehicle.id,
        "identifier": identifier.id,
        "charger": charger.id,
        "transaction": transaction.id,
        "session": session.id,
        "own_user": own_user,
        "own_vehicle": await acme.admin.add_vehicle(own_user, "OWN1"),
        "own_charger": await acme.admin.register_charger("CP-ACME"),
    }
    return World({name: str(value) for name, value in ids.items()})


async def _answer(api: Api, query: str, variables: dict[str, str]) -> tuple[Any, str, str]:
    """(data, extensions.code, message) with every ID in the message written <id>, to compare shapes."""
    body = await api.raw(query, **variables)
    error = (body.get("errors") or [{}])[0]
    message = error.get("message", "")
    for value in variables.values():
        message = message.replace(value, "<id>")
    return body.get("data"), error.get("extensions", {}).get("code", ""), message


async def _foreign_and_unknown(
    api: Api, world: World, operations: dict[str, tuple[str, dict[str, str]]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Each operation's answer with Globex's IDs, and with never-issued IDs in their place."""
    foreign, unknown = {}, {}
    for name, (query, variables) in operations.items():
        foreign[name] = await _answer(api, query, {k: world.ids[v] for k, v in variables.items()})
        never_issued = {k: world.ids[v] if v.startswith("own_") else str(uuid4()) for k, v in variables.items()}
        unknown[name] = await _answer(api, query, never_issued)
    return foreign, unknown


async def test_another_tenant_s_ids_fail_every_mutation_exactly_like_unknown_ids_and_change_nothing(
    acme: TenantAccess, globex: TenantAccess, world: World
) -> None:
    query = (
        "query($u: ID!, $v: ID!, $c: ID!, $t: ID!, $s: ID!) { user(id: $u) { rfidTags vehicles { id } }"
        " vehicle(id: $v) { status identifiers { status } } charger(id: $c) { autochargeSupported }"
        " transaction(id: $t) { status } pairingSession(id: $s) { status } }"
    )
    ids = world.ids
    theirs = {"u": ids["user"], "v": ids["vehicle"], "c": ids["charger"], "t": ids["transaction"], "s": ids["session"]}
    before = await globex.admin(query, **theirs)

    foreign, unknown = await _foreign_and_unknown(acme.admin, world, MUTATIONS)

    assert foreign == unknown
    assert {name: answer[1] for name, answer in foreign.items()} == dict.fromkeys(MUTATIONS, "NOT_FOUND")
    assert await globex.admin(query, **theirs) == before
    assert before["vehicle"] == {"status": "ACTIVE", "identifiers": [{"status": "ACTIVE"}]}


async def test_another_tenant_s_ids_read_as_null_exactly_like_unknown_ids(acme: TenantAccess, world: World) -> None:
    foreign, unknown = await _foreign_and_unknown(acme.read_only, world, LOOKUPS)

    assert foreign == unknown
    assert foreign == {name: ({name: None}, "", "") for name in LOOKUPS}


async def test_another_tenant_s_charger_logs_are_not_found_exactly_like_an_unknown_charger_s(
    acme: TenantAccess, world: World
) -> None:
    foreign, unknown = await _foreign_and_unknown(acme.read_only, world, {"ocppLogs": CHARGER_LOGS})

    assert foreign == unknown == {"ocppLogs": (None, "NOT_FOUND", "charger <id> not found")}


async def test_filters_on_another_tenant_s_ids_find_nothing_exactly_like_unknown_ids(
    acme: TenantAccess, world: World
) -> None:
    foreign, unknown = await _foreign_and_unknown(acme.read_only, world, FILTERS)

    assert foreign == unknown
    assert [answer[1:] for answer in foreign.values()] == [("", "")] * len(FILTERS)
    assert foreign["transactions(vehicleId)"][0] == {"transactions": {"totalCount": 0, "edges": []}}


async def test_lists_never_show_another_tenant_s_rows(acme: TenantAccess, globex: TenantAccess, world: World) -> None:
    query = "{ users { edges { node { id } } } vehicles { edges { node { id } } } chargers { edges { node { id } } } }"

    acme_sees, globex_sees = await acme.read_only(query), await globex.read_only(query)

    def ids(data: dict[str, Any]) -> dict[str, list[str]]:
        return {name: [edge["node"]["id"] for edge in data[name]["edges"]] for name in data}

    assert ids(acme_sees) == {
        "users": [world.ids["own_user"]],
        "vehicles": [world.ids["own_vehicle"]],
        "chargers": [world.ids["own_charger"]],
    }
    assert ids(globex_sees) == {
        "users": [world.ids["user"]],
        "vehicles": [world.ids["vehicle"]],
        "chargers": [world.ids["charger"]],
    }


async def test_an_id_that_is_not_a_uuid_is_validation_everywhere(acme: TenantAccess, world: World) -> None:
    answers = {}
    operations = MUTATIONS | LOOKUPS | FILTERS | {"ocppLogs": CHARGER_LOGS}
    for name, (query, variables) in operations.items():
        mangled = {k: world.ids[v] if v.startswith("own_") else "not-a-uuid" for k, v in variables.items()}
        [error] = (await acme.admin.raw(query, **mangled))["errors"]
        answers[name] = (error["extensions"]["code"], error["message"].endswith("'not-a-uuid' is not a UUID"))

    assert answers == dict.fromkeys(operations, ("VALIDATION", True))
