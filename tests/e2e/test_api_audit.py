"""The audit log over the API: one entry per mutation, successful or not, with secrets masked; newest first."""

from __future__ import annotations

from typing import Any

from tests.e2e.harness import Api, TenantAccess

ENTRY = "id at operation arguments outcome apiKey { id prefix }"
AUDIT = (
    "query($first: Int, $after: String, $op: String) { auditLog(first: $first, after: $after, operation: $op) {"
    f" totalCount pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ {ENTRY} }} }} }} }}"
)
REGISTER = "mutation($i: RegisterChargerInput!) { registerCharger(input: $i) { id } }"
CREATE_KEY = 'mutation { createApiKey(name: "ci", role: READ_ONLY) { secret apiKey { id } } }'
CREATE_USER = "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }"


async def entries(admin: Api, **variables: Any) -> list[dict[str, Any]]:
    return [edge["node"] for edge in (await admin(AUDIT, **variables))["auditLog"]["edges"]]


async def key_id(admin: Api, key: str) -> str:
    keys = (await admin("{ apiKeys { id prefix } }"))["apiKeys"]
    [found] = [k["id"] for k in keys if k["prefix"] == key[:10]]
    return str(found)


async def test_each_mutation_is_one_entry_newest_first_with_who_and_what(acme: TenantAccess) -> None:
    await acme.admin(CREATE_USER, i={"email": "ann@acme.example", "name": "Ann"})
    await acme.admin.register_charger("CP-1", password="s3cret-pass")

    [charger, user] = await entries(acme.admin)

    admin_key = {"id": await key_id(acme.admin, acme.admin.key), "prefix": acme.admin.key[:10]}
    assert (user["operation"], user["outcome"], user["apiKey"]) == ("createUser", "OK", admin_key)
    assert user["arguments"] == {"input": {"email": "ann@acme.example", "name": "Ann"}}
    assert (charger["operation"], charger["outcome"]) == ("registerCharger", "OK")
    assert charger["arguments"]["input"]["password"] == "***"
    assert charger["arguments"]["input"]["chargePointId"] == "CP-1"
    assert charger["at"] >= user["at"]


async def test_failed_mutations_are_entries_with_their_error_code_and_nothing_else(acme: TenantAccess) -> None:
    await acme.admin.register_charger("CP-1")
    again = {"chargePointId": "CP-1", "name": "Bay", "autochargeSupported": True, "password": "another-secret"}
    assert await acme.admin.error_code(REGISTER, i=again) == "CONFLICT"
    assert await acme.admin.error_code('mutation { retireVehicle(vehicleId: "nope") { id } }') == "VALIDATION"
    assert await acme.read_only.error_code(CREATE_USER, i={"email": "x@acme.example", "name": "X"}) == "FORBIDDEN"

    forbidden, invalid, conflict, registered = await entries(acme.admin)

    assert [e["outcome"] for e in (forbidden, invalid, conflict, registered)] == [
        "FORBIDDEN", "VALIDATION", "CONFLICT", "OK",
    ]  # fmt: skip
    assert conflict["arguments"]["input"]["password"] == "***"
    assert "another-secret" not in str(await acme.admin(AUDIT))
    assert forbidden["apiKey"]["prefix"] == acme.read_only.key[:10]
    assert (invalid["operation"], invalid["arguments"]) == ("retireVehicle", {"vehicleId": "nope"})


async def test_api_key_mutations_are_audited_without_their_secret(acme: TenantAccess) -> None:
    created = (await acme.admin(CREATE_KEY))["createApiKey"]
    await acme.admin("mutation($id: ID!) { revokeApiKey(id: $id) { id } }", id=created["apiKey"]["id"])

    revoked, made = await entries(acme.admin)

    assert (made["operation"], made["arguments"], made["outcome"]) == (
        "createApiKey", {"name": "ci", "role": "READ_ONLY"}, "OK",
    )  # fmt: skip
    assert (revoked["operation"], revoked["arguments"]) == ("revokeApiKey", {"id": created["apiKey"]["id"]})
    assert created["secret"] not in str(await acme.admin(AUDIT))


async def test_the_log_pages_filters_by_operation_and_is_for_admins_of_the_tenant_only(
    acme: TenantAccess, globex: TenantAccess
) -> None:
    for n in range(3):
        await acme.admin(CREATE_USER, i={"email": f"u{n}@acme.example", "name": f"U{n}"})
    await acme.admin.register_charger("CP-1")

    first = (await acme.admin(AUDIT, first=2, op="createUser"))["auditLog"]
    rest = (await acme.admin(AUDIT, first=2, op="createUser", after=first["pageInfo"]["endCursor"]))["auditLog"]

    emails = [e["node"]["arguments"]["input"]["email"] for e in first["edges"] + rest["edges"]]
    assert emails == ["u2@acme.example", "u1@acme.example", "u0@acme.example"]
    assert (first["totalCount"], first["pageInfo"]["hasNextPage"], rest["pageInfo"]["hasNextPage"]) == (3, True, False)
    assert await acme.read_only.error_code(AUDIT) == "FORBIDDEN"
    assert await entries(globex.admin) == []
