"""Duplicates of what must be unique, over HTTP on the real database: CONFLICT, and nothing half-written."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from tests.e2e.harness import GraphQLFailure, TenantAccess

ADD_VEHICLE = "mutation($i: AddVehicleInput!) { addVehicle(input: $i) { id licensePlate } }"
ADD_TAG = "mutation($u: ID!, $t: String!) { addRfidTag(userId: $u, idTag: $t) { rfidTags } }"
VEHICLE_IDENTIFIERS = "query($v: ID!) { vehicle(id: $v) { activeIdentifier { value } identifiers { value status } } }"


async def _failure(call: Awaitable[Any]) -> tuple[str, str]:
    try:
        await call
    except GraphQLFailure as failure:
        return failure.code, failure.message
    raise AssertionError("expected a GraphQL error")


async def test_an_active_plate_again_in_any_spelling_is_a_conflict_and_adds_no_vehicle(acme: TenantAccess) -> None:
    owner, other = await acme.admin.create_user("owner@acme.example"), await acme.admin.create_user("x@acme.example")
    await acme.admin.add_vehicle(owner, "AB-123 CD")

    failure = await _failure(acme.admin(ADD_VEHICLE, i={"userId": other, "licensePlate": "ab123-cd"}))

    assert failure == ("CONFLICT", "an active vehicle with license plate AB123CD already exists")
    assert (await acme.admin("{ vehicles { totalCount } }"))["vehicles"]["totalCount"] == 1


async def test_the_plate_of_a_retired_vehicle_may_be_used_again(acme: TenantAccess) -> None:
    owner = await acme.admin.create_user("owner@acme.example")
    old = await acme.admin.add_vehicle(owner, "AB123CD")
    await acme.admin("mutation($v: ID!) { retireVehicle(vehicleId: $v) { id } }", v=old)

    added = await acme.admin(ADD_VEHICLE, i={"userId": owner, "licensePlate": "AB-123-CD"})

    assert added["addVehicle"]["licensePlate"] == "AB123CD"


async def test_an_identifier_active_on_another_vehicle_is_a_conflict_and_the_vehicle_keeps_its_own(
    acme: TenantAccess,
) -> None:
    owner = await acme.admin.create_user("owner@acme.example")
    car, van = await acme.admin.add_vehicle(owner, "CAR1"), await acme.admin.add_vehicle(owner, "VAN1")
    await acme.admin.add_identifier(car, "0A1B2C3D4E5F")
    await acme.admin.add_identifier(van, "0A1B2C3D4E60")

    failure = await _failure(acme.admin.add_identifier(van, "vid:0a:1b:2c:3d:4e:5f"))

    assert failure == ("CONFLICT", "identifier VID:0A1B2C3D4E5F is already active on another vehicle")
    assert (await acme.admin(VEHICLE_IDENTIFIERS, v=van))["vehicle"] == {
        "activeIdentifier": {"value": "VID:0A1B2C3D4E60"},
        "identifiers": [{"value": "VID:0A1B2C3D4E60", "status": "ACTIVE"}],
    }


async def test_an_rfid_tag_of_another_user_is_a_conflict_and_is_not_added(acme: TenantAccess) -> None:
    alice = await acme.admin.create_user("alice@acme.example", rfid="04A1B2C3")
    bob = await acme.admin.create_user("bob@acme.example")

    failure = await _failure(acme.admin(ADD_TAG, u=bob, t="04A1B2C3"))

    assert failure == ("CONFLICT", "RFID tag 04A1B2C3 already belongs to another user")
    users = await acme.admin(
        "query($a: ID!, $b: ID!) { a: user(id: $a) { rfidTags } b: user(id: $b) { rfidTags } }", a=alice, b=bob
    )
    assert users == {"a": {"rfidTags": ["04A1B2C3"]}, "b": {"rfidTags": []}}


async def test_another_tenant_may_use_the_same_plate_identifier_and_rfid_tag(
    acme: TenantAccess, globex: TenantAccess
) -> None:
    for fleet in (acme, globex):
        driver = await fleet.admin.create_user("dana@example.com", rfid="04A1B2C3")
        vehicle = await fleet.admin.add_vehicle(driver, "AB123CD")
        await fleet.admin.add_identifier(vehicle, "0A1B2C3D4E5F")

    for fleet in (acme, globex):
        data = await fleet.read_only("{ vehicles { edges { node { licensePlate activeIdentifier { value } } } } }")
        [edge] = data["vehicles"]["edges"]
        assert edge["node"] == {"licensePlate": "AB123CD", "activeIdentifier": {"value": "VID:0A1B2C3D4E5F"}}


async def test_the_same_plate_added_concurrently_makes_one_vehicle_and_conflicts(acme: TenantAccess) -> None:
    drivers = [await acme.admin.create_user(f"d{n}@acme.example") for n in range(6)]

    answers = await asyncio.gather(
        *(acme.admin.raw(ADD_VEHICLE, i={"userId": driver, "licensePlate": "RACE1"}) for driver in drivers)
    )

    codes = sorted(answer["errors"][0]["extensions"]["code"] if "errors" in answer else "OK" for answer in answers)
    assert codes == ["CONFLICT"] * 5 + ["OK"]
    assert (await acme.admin("{ vehicles { totalCount } }"))["vehicles"]["totalCount"] == 1


async def test_a_taken_charge_point_id_is_not_available_in_the_same_words_whichever_tenant_holds_it(
    acme: TenantAccess, globex: TenantAccess
) -> None:
    await acme.admin.register_charger("CP-TAKEN")

    in_own_tenant = await _failure(acme.admin.register_charger("CP-TAKEN"))
    in_another = await _failure(globex.admin.register_charger("CP-TAKEN"))

    expected = ("CONFLICT", "chargePointId CP-TAKEN is not available: choose another")
    assert in_own_tenant == in_another == expected
    assert (await globex.admin("{ chargers { totalCount } }"))["chargers"]["totalCount"] == 0
