from __future__ import annotations

import pytest

from domain.commands import AddRfidTag, AddVehicle, AddVehicleIdentifier, RetireVehicle, RetireVehicleIdentifier
from domain.errors import Conflict, Invalid, NotFound
from domain.events import TOKENS_TOPIC
from domain.model import IdentifierSource, IdentifierStatus, VehicleStatus
from domain.services import users, vehicles
from tests.unit.conftest import World


async def test_a_vehicle_belongs_to_one_user_and_its_plate_is_normalised(world: World) -> None:
    user = await world.user()
    vehicle = await world.vehicle(user, "ab-123 cd")
    assert vehicle.user_id == user.id
    assert vehicle.license_plate == "AB123CD"


async def test_an_active_plate_is_unique_in_a_tenant_but_not_across_tenants(world: World) -> None:
    user = await world.user()
    await world.vehicle(user, "AB-123-CD")
    with pytest.raises(Conflict):
        await world.vehicle(user, "ab123cd")
    other = await world.user(tenant=world.tenant_b)
    assert (await world.vehicle(other, "AB123CD")).license_plate == "AB123CD"


async def test_a_retired_plate_can_be_added_again(world: World) -> None:
    user = await world.user()
    old = await world.vehicle(user)
    await vehicles.retire_vehicle(world.uow(), RetireVehicle(old.id), world.clock)
    assert (await world.vehicle(user)).id != old.id


async def test_adding_a_vehicle_to_another_tenants_user_is_not_found(world: World) -> None:
    other = await world.user(tenant=world.tenant_b)
    with pytest.raises(NotFound):
        await vehicles.add_vehicle(world.uow(), AddVehicle(other.id, "XY1"), world.clock)


async def test_adding_an_identifier_stores_the_canonical_value_and_retires_the_previous(world: World) -> None:
    vehicle = await world.vehicle(await world.user())
    first = await vehicles.add_identifier(world.uow(), AddVehicleIdentifier(vehicle.id, "0a-1b-2c-3d-4e-5f"))
    assert (first.value, first.source, first.status) == (
        "VID:0A1B2C3D4E5F",
        IdentifierSource.MANUAL,
        IdentifierStatus.ACTIVE,
    )
    second = await vehicles.add_identifier(world.uow(), AddVehicleIdentifier(vehicle.id, "VID:AABBCCDDEEFF"))
    async with world.uow() as uow:
        stored = {i.id: i for i in await uow.identifiers.for_vehicles([vehicle.id], include_retired=True)}
    assert stored[first.id].status is IdentifierStatus.RETIRED
    assert stored[first.id].value == "VID:0A1B2C3D4E5F"  # kept on record, never rewritten
    assert stored[second.id].status is IdentifierStatus.ACTIVE


async def test_an_identifier_active_on_another_vehicle_is_a_conflict(world: World) -> None:
    user = await world.user()
    a, b = await world.vehicle(user, "A1"), await world.vehicle(user, "B1")
    await vehicles.add_identifier(world.uow(), AddVehicleIdentifier(a.id, "0A1B2C3D4E5F"))
    with pytest.raises(Conflict):
        await vehicles.add_identifier(world.uow(), AddVehicleIdentifier(b.id, "vid:0a:1b:2c:3d:4e:5f"))


async def test_the_same_identifier_may_be_active_in_two_tenants(world: World) -> None:
    mine = await world.vehicle(await world.user())
    theirs = await world.vehicle(await world.user(tenant=world.tenant_b))
    await vehicles.add_identifier(world.uow(), AddVehicleIdentifier(mine.id, "0A1B2C3D4E5F"))
    added = await vehicles.add_identifier(world.uow(world.tenant_b), AddVehicleIdentifier(theirs.id, "0A1B2C3D4E5F"))
    assert added.status is IdentifierStatus.ACTIVE


async def test_a_wrong_mac_is_refused_and_nothing_is_stored(world: World) -> None:
    vehicle = await world.vehicle(await world.user())
    with pytest.raises(Invalid):
        await vehicles.add_identifier(world.uow(), AddVehicleIdentifier(vehicle.id, "VID:XYZ"))
    async with world.uow() as uow:
        assert await uow.identifiers.for_vehicles([vehicle.id], include_retired=True) == []


async def test_retiring_a_vehicle_retires_its_identifiers_and_keeps_them_on_record(world: World) -> None:
    vehicle = await world.vehicle(await world.user())
    identifier = await vehicles.add_identifier(world.uow(), AddVehicleIdentifier(vehicle.id, "0A1B2C3D4E5F"))
    retired = await vehicles.retire_vehicle(world.uow(), RetireVehicle(vehicle.id), world.clock)
    assert retired.status is VehicleStatus.RETIRED
    async with world.uow() as uow:
        [kept] = await uow.identifiers.for_vehicles([vehicle.id], include_retired=True)
    assert kept.id == identifier.id and kept.status is IdentifierStatus.RETIRED and kept.retired_at == world.clock.now


async def test_a_retired_vehicle_takes_no_new_identifier(world: World) -> None:
    vehicle = await world.vehicle(await world.user())
    await vehicles.retire_vehicle(world.uow(), RetireVehicle(vehicle.id), world.clock)
    with pytest.raises(Invalid, match="retired"):
        await vehicles.add_identifier(world.uow(), AddVehicleIdentifier(vehicle.id, "0A1B2C3D4E5F"))


async def test_retiring_an_identifier_frees_its_value_for_another_vehicle(world: World) -> None:
    user = await world.user()
    a, b = await world.vehicle(user, "A1"), await world.vehicle(user, "B1")
    first = await vehicles.add_identifier(world.uow(), AddVehicleIdentifier(a.id, "0A1B2C3D4E5F"))
    await vehicles.retire_identifier(world.uow(), RetireVehicleIdentifier(first.id), world.clock)
    moved = await vehicles.add_identifier(world.uow(), AddVehicleIdentifier(b.id, "0A1B2C3D4E5F"))
    assert moved.vehicle_id == b.id


async def test_an_rfid_tag_belongs_to_at_most_one_user(world: World) -> None:
    alice, bob = await world.user("alice@example.com"), await world.user("bob@example.com")
    await users.add_rfid_tag(world.uow(), AddRfidTag(alice.id, "04A2B3C4"))
    await users.add_rfid_tag(world.uow(), AddRfidTag(alice.id, "04A2B3C4"))  # idempotent for the same user
    with pytest.raises(Conflict):
        await users.add_rfid_tag(world.uow(), AddRfidTag(bob.id, "04A2B3C4"))


async def test_a_vehicle_token_is_not_an_rfid_tag(world: World) -> None:
    alice = await world.user()
    with pytest.raises(Invalid, match="vehicle token"):
        await users.add_rfid_tag(world.uow(), AddRfidTag(alice.id, "VID:0A1B2C3D4E5F"))


def _token_events(world: World) -> list[tuple[str, object, str | None]]:
    """(event type, vehicle, value) of what was published on the tokens topic, in order."""
    return [
        (type(e).__name__, getattr(e, "vehicle_id", None), getattr(e, "value", None))
        for e in world.store.published
        if e.topic == TOKENS_TOPIC
    ]


async def test_identifiers_added_and_retired_are_announced_with_their_value(world: World) -> None:
    vehicle = await world.vehicle(await world.user())
    first = await vehicles.add_identifier(world.uow(), AddVehicleIdentifier(vehicle.id, "0A1B2C3D4E5F"))
    await vehicles.add_identifier(world.uow(), AddVehicleIdentifier(vehicle.id, "AABBCCDDEEFF"))
    await vehicles.add_identifier(world.uow(), AddVehicleIdentifier(vehicle.id, "AABBCCDDEEFF"))  # no change
    second = await vehicles.retire_identifier(world.uow(), RetireVehicleIdentifier(first.id), world.clock)
    assert second.id == first.id

    assert _token_events(world) == [
        ("IdentifierAdded", vehicle.id, "VID:0A1B2C3D4E5F"),
        ("IdentifierRetired", vehicle.id, "VID:0A1B2C3D4E5F"),
        ("IdentifierAdded", vehicle.id, "VID:AABBCCDDEEFF"),
    ]  # retiring one already retired announces nothing


async def test_retiring_a_vehicle_announces_its_identifiers_retired_and_then_itself(world: World) -> None:
    vehicle = await world.vehicle(await world.user())
    await vehicles.add_identifier(world.uow(), AddVehicleIdentifier(vehicle.id, "0A1B2C3D4E5F"))
    await vehicles.retire_vehicle(world.uow(), RetireVehicle(vehicle.id), world.clock)
    await vehicles.retire_vehicle(world.uow(), RetireVehicle(vehicle.id), world.clock)  # already retired

    assert _token_events(world)[1:] == [
        ("IdentifierRetired", vehicle.id, "VID:0A1B2C3D4E5F"),
        ("VehicleRetired", vehicle.id, None),
    ]
