"""Users and RFID tags through GraphQL mutations and queries."""

from __future__ import annotations

from tests.api import factories
from tests.api.harness import ADMIN_B, Api

CREATE = "mutation($e: String!, $n: String!) { createUser(input: {email: $e, name: $n}) { id email name createdAt } }"
ADD_TAG = "mutation($u: ID!, $t: String!) { addRfidTag(userId: $u, idTag: $t) { id rfidTags } }"
REMOVE_TAG = "mutation($u: ID!, $t: String!) { removeRfidTag(userId: $u, idTag: $t) { rfidTags } }"


async def test_create_user(api: Api) -> None:
    user = (await api.data(CREATE, {"e": " Ada@Example.com ", "n": "Ada"}))["createUser"]
    assert user["email"] == "ada@example.com"
    assert user["createdAt"] == "2026-11-21T08:00:00+00:00"
    found = await api.data("query($id: ID!) { user(id: $id) { name rfidTags vehicles { id } } }", {"id": user["id"]})
    assert found["user"] == {"name": "Ada", "rfidTags": [], "vehicles": []}


async def test_create_user_validation_and_conflict(api: Api) -> None:
    assert (await api.error(CREATE, {"e": "not-an-email", "n": "X"}))["extensions"]["code"] == "VALIDATION"
    await api.data(CREATE, {"e": "a@example.com", "n": "A"})
    assert (await api.error(CREATE, {"e": "A@example.com", "n": "B"}))["extensions"]["code"] == "CONFLICT"
    # Another tenant may have the same email.
    await api.data(CREATE, {"e": "a@example.com", "n": "A"}, key=ADMIN_B)


async def test_rfid_tags_add_remove_and_conflict(api: Api) -> None:
    ada, bob = await factories.user(api, "ada@example.com"), await factories.user(api, "bob@example.com")
    added = (await api.data(ADD_TAG, {"u": str(ada.id), "t": "04A1B2C3"}))["addRfidTag"]
    assert added["rfidTags"] == ["04A1B2C3"]
    again = (await api.data(ADD_TAG, {"u": str(ada.id), "t": "04A1B2C3"}))["addRfidTag"]  # idempotent
    assert again["rfidTags"] == ["04A1B2C3"]
    error = await api.error(ADD_TAG, {"u": str(bob.id), "t": "04A1B2C3"})
    assert error["extensions"]["code"] == "CONFLICT"
    error = await api.error(ADD_TAG, {"u": str(bob.id), "t": "VID:0A1B2C3D4E5F"})
    assert error["extensions"]["code"] == "VALIDATION"
    assert (await api.data(REMOVE_TAG, {"u": str(ada.id), "t": "04A1B2C3"}))["removeRfidTag"]["rfidTags"] == []
    assert (await api.error(REMOVE_TAG, {"u": str(ada.id), "t": "04A1B2C3"}))["extensions"]["code"] == "NOT_FOUND"


async def test_users_search_and_vehicles(api: Api) -> None:
    ada = await factories.user(api, "ada@example.com")
    await factories.user(api, "bob@example.com")
    car = await factories.vehicle(api, ada, "AB-1")
    old = await factories.vehicle(api, ada, "AB-2")
    await api.data("mutation($v: ID!) { retireVehicle(vehicleId: $v) { status } }", {"v": str(old.id)})
    query = """query($s: String) { users(search: $s) { totalCount edges { node {
        email active: vehicles { licensePlate } all: vehicles(includeRetired: true) { licensePlate status } } } } }"""
    users = (await api.data(query, {"s": "ADA"}))["users"]
    assert users["totalCount"] == 1
    node = users["edges"][0]["node"]
    assert node["active"] == [{"licensePlate": car.license_plate}]
    assert {v["status"] for v in node["all"]} == {"ACTIVE", "RETIRED"}
