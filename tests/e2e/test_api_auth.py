"""Who may call what, over HTTP against the running server: bearer keys, roles and the depth limit."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx

from autocharge.main import Autocharge
from tests.e2e.harness import TenantAccess
from tests.graphql_documents import nested_query

SOME_ID = str(uuid4())

QUERIES: dict[str, tuple[str, dict[str, Any]]] = {
    "me": ("{ me { tenantId } }", {}),
    "users": ("{ users { totalCount } }", {}),
    "user": ("query($id: ID!) { user(id: $id) { id } }", {"id": SOME_ID}),
    "vehicles": ("{ vehicles { totalCount } }", {}),
    "vehicle": ("query($id: ID!) { vehicle(id: $id) { id } }", {"id": SOME_ID}),
    "unrecognisedIdentifiers": ("{ unrecognisedIdentifiers { value } }", {}),
    "chargers": ("{ chargers { totalCount } }", {}),
    "charger": ("query($id: ID!) { charger(id: $id) { id } }", {"id": SOME_ID}),
    "transactions": ("{ transactions { totalCount } }", {}),
    "transaction": ("query($id: ID!) { transaction(id: $id) { id } }", {"id": SOME_ID}),
    "ocppLogs": ("query($id: ID!) { ocppLogs(chargerId: $id) { edges { cursor } } }", {"id": SOME_ID}),
    "pairingSession": ("query($id: ID!) { pairingSession(id: $id) { id } }", {"id": SOME_ID}),
}

MUTATIONS: dict[str, tuple[str, dict[str, Any]]] = {
    "createUser": (
        'mutation { createUser(input: {email: "eve@acme.example", name: "Eve"}) { id } }',
        {},
    ),
    "addRfidTag": ('mutation($id: ID!) { addRfidTag(userId: $id, idTag: "04A1") { id } }', {"id": SOME_ID}),
    "removeRfidTag": ('mutation($id: ID!) { removeRfidTag(userId: $id, idTag: "04A1") { id } }', {"id": SOME_ID}),
    "addVehicle": (
        'mutation($id: ID!) { addVehicle(input: {userId: $id, licensePlate: "AB123CD"}) { id } }',
        {"id": SOME_ID},
    ),
    "retireVehicle": ("mutation($id: ID!) { retireVehicle(vehicleId: $id) { id } }", {"id": SOME_ID}),
    "addVehicleIdentifier": (
        'mutation($id: ID!) { addVehicleIdentifier(vehicleId: $id, value: "0A1B2C3D4E5F") { id } }',
        {"id": SOME_ID},
    ),
    "retireVehicleIdentifier": (
        "mutation($id: ID!) { retireVehicleIdentifier(identifierId: $id) { id } }",
        {"id": SOME_ID},
    ),
    "registerCharger": (
        'mutation { registerCharger(input: {chargePointId: "CP-RO", name: "Bay"}) { id } }',
        {},
    ),
    "setAutochargeSupported": (
        "mutation($id: ID!) { setAutochargeSupported(chargerId: $id, supported: true) { id } }",
        {"id": SOME_ID},
    ),
    "startVehiclePairing": (
        "mutation($id: ID!) { startVehiclePairing(vehicleId: $id, chargerId: $id) { id } }",
        {"id": SOME_ID},
    ),
    "cancelVehiclePairing": ("mutation($id: ID!) { cancelVehiclePairing(sessionId: $id) { id } }", {"id": SOME_ID}),
    "remoteStartTransaction": (
        "mutation($id: ID!) { remoteStartTransaction(chargerId: $id, connectorId: 1, userId: $id) }",
        {"id": SOME_ID},
    ),
    "remoteStopTransaction": ("mutation($id: ID!) { remoteStopTransaction(transactionId: $id) }", {"id": SOME_ID}),
    "createApiKey": ('mutation { createApiKey(name: "ci", role: ADMIN) { secret } }', {}),
    "revokeApiKey": ("mutation($id: ID!) { revokeApiKey(id: $id) { id } }", {"id": SOME_ID}),
}


async def _post(server: Autocharge, query: str, variables: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=server.api_url, timeout=30) as client:
        response = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    body: dict[str, Any] = response.json()
    return body


async def _first_errors(
    server: Autocharge, operations: dict[str, tuple[str, dict[str, Any]]], headers: dict[str, str]
) -> dict[str, tuple[str, str]]:
    """Each operation's first error as (extensions.code, message); ("", "") when it succeeded."""
    answers = {}
    for name, (query, variables) in operations.items():
        body = await _post(server, query, variables, headers)
        error = (body.get("errors") or [{}])[0]
        answers[name] = (error.get("extensions", {}).get("code", ""), error.get("message", ""))
    return answers


async def test_every_query_and_mutation_without_a_key_is_unauthenticated(server: Autocharge) -> None:
    answers = await _first_errors(server, QUERIES | MUTATIONS, headers={})

    expected = ("UNAUTHENTICATED", "missing API key: send 'Authorization: Bearer <key>'")
    assert answers == dict.fromkeys(QUERIES | MUTATIONS, expected)


async def test_every_query_and_mutation_with_a_bad_key_is_unauthenticated(server: Autocharge) -> None:
    answers = await _first_errors(server, QUERIES | MUTATIONS, headers={"Authorization": "Bearer ak_not-a-key"})

    assert answers == dict.fromkeys(QUERIES | MUTATIONS, ("UNAUTHENTICATED", "invalid or revoked API key"))


async def test_a_header_that_is_not_a_bearer_key_is_unauthenticated(server: Autocharge, acme: TenantAccess) -> None:
    answers = await _first_errors(server, {"me": QUERIES["me"]}, headers={"Authorization": f"Basic {acme.admin.key}"})

    assert answers["me"][0] == "UNAUTHENTICATED"


async def test_a_read_only_key_is_forbidden_every_mutation_and_nothing_is_written(
    server: Autocharge, acme: TenantAccess
) -> None:
    headers = {"Authorization": f"Bearer {acme.read_only.key}"}

    answers = await _first_errors(server, MUTATIONS, headers)

    expected = ("FORBIDDEN", "this API key is READ_ONLY: mutations need an ADMIN key")
    assert answers == dict.fromkeys(MUTATIONS, expected)
    counts = await acme.admin("{ users { totalCount } chargers { totalCount } }")
    assert (counts["users"]["totalCount"], counts["chargers"]["totalCount"]) == (0, 0)


async def test_a_read_only_key_runs_every_query(server: Autocharge, acme: TenantAccess) -> None:
    answers = await _first_errors(server, QUERIES, {"Authorization": f"Bearer {acme.read_only.key}"})

    # ocppLogs names a charger, and this one does not exist: refused for that reason, not for the role.
    assert answers == dict.fromkeys(QUERIES, ("", "")) | {"ocppLogs": ("NOT_FOUND", f"charger {SOME_ID} not found")}


async def test_me_is_the_key_s_tenant_and_role(acme: TenantAccess) -> None:
    reader = await acme.read_only("{ me { tenantId tenantName role } }")

    assert reader["me"] == {"tenantId": str(acme.tenant.id), "tenantName": "Acme Fleet", "role": "READ_ONLY"}


async def test_a_query_deeper_than_the_limit_is_refused_before_it_runs(server: Autocharge, acme: TenantAccess) -> None:
    limit = server.settings.graphql_max_depth

    at_limit = await acme.read_only.raw(nested_query(limit))
    too_deep = await acme.read_only.raw(nested_query(limit + 1))

    assert "errors" not in at_limit
    assert too_deep.get("data") is None
    [error] = too_deep["errors"]
    assert (error["extensions"]["code"], error["message"]) == (
        "VALIDATION",
        f"'anonymous' exceeds maximum operation depth of {limit}",
    )
