"""Vehicles and their identifiers: plates, spellings of an EVCCID, conflicts, retirement."""

from __future__ import annotations

from tests.api import factories
from tests.api.harness import Api

ADD = 'mutation($u: ID!, $p: String!) { addVehicle(input: {userId: $u, licensePlate: $p, make: "VW"}) { id licensePlate make model status user { email } } }'  # noqa: E501
ADD_ID = """mutation($v: ID!, $value: String!) { addVehicleIdentifier(vehicleId: $v, value: $value) {
    id value macAddress status source capturedOn { id } vehicle { licensePlate } } }"""
VEHICLE = """query($id: ID!) { vehicle(id: $id) { status activeIdentifier { value }
    identifiers { value status retiredAt } current: identifiers(includeRetired: false) { value } } }"""


async def test_add_vehicle_normalises_the_plate(api: Api) -> None:
    ada = await factories.user(api)
    vehicle = (await api.data(ADD, {"u": str(ada.id), "p": "ab-12 cd"}))["addVehicle"]
    assert vehicle["licensePlate"] == "AB12CD"
    assert vehicle["make"] == "VW"
    assert vehicle["model"] is None
    assert vehicle["status"] == "ACTIVE"
    assert vehicle["user"] == {"email": ada.email}


async def test_a_plate_is_unique_among_active_vehicles(api: Api) -> None:
    ada = await factories.user(api)
    first = (await api.data(ADD, {"u": str(ada.id), "p": "AB-12-CD"}))["addVehicle"]
    assert (await api.error(ADD, {"u": str(ada.id), "p": "ab12cd"}))["extensions"]["code"] == "CONFLICT"
    await api.data("mutation($v: ID!) { retireVehicle(vehicleId: $v) { id } }", {"v": first["id"]})
    await api.data(ADD, {"u": str(ada.id), "p": "AB12CD"})  # retired plates may come back
    assert (await api.error(ADD, {"u": str(ada.id), "p": "!!"}))["extensions"]["code"] == "VALIDATION"


async def test_manual_identifier_spellings_are_canonical(api: Api) -> None:
    car = await factories.vehicle(api, await factories.user(api))
    identifier = (await api.data(ADD_ID, {"v": str(car.id), "value": "vid:0a:1b:2c:3d:4e:5f"}))["addVehicleIdentifier"]
    assert identifier["value"] == "VID:0A1B2C3D4E5F"
    assert identifier["macAddress"] == "0A:1B:2C:3D:4E:5F"
    assert identifier["status"] == "ACTIVE"
    assert identifier["source"] == "MANUAL"
    assert identifier["capturedOn"] is None
    assert identifier["vehicle"] == {"licensePlate": car.license_plate}
    same = (await api.data(ADD_ID, {"v": str(car.id), "value": "0A-1B-2C-3D-4E-5F"}))["addVehicleIdentifier"]
    assert same["id"] == identifier["id"]
    error = await api.error(ADD_ID, {"v": str(car.id), "value": "not a mac"})
    assert error["extensions"]["code"] == "VALIDATION"


async def test_an_identifier_active_elsewhere_is_a_conflict(api: Api) -> None:
    ada = await factories.user(api)
    one, two = await factories.vehicle(api, ada, "ONE1"), await factories.vehicle(api, ada, "TWO2")
    await api.data(ADD_ID, {"v": str(one.id), "value": "VID:0A1B2C3D4E5F"})
    error = await api.error(ADD_ID, {"v": str(two.id), "value": "0a1b2c3d4e5f"})
    assert error["extensions"]["code"] == "CONFLICT"


async def test_a_new_identifier_replaces_and_retire_keeps_record(api: Api) -> None:
    car = await factories.vehicle(api, await factories.user(api))
    first = (await api.data(ADD_ID, {"v": str(car.id), "value": "VID:0A1B2C3D4E5F"}))["addVehicleIdentifier"]
    await api.data(ADD_ID, {"v": str(car.id), "value": "VID:AABBCCDDEEFF"})
    vehicle = (await api.data(VEHICLE, {"id": str(car.id)}))["vehicle"]
    assert vehicle["activeIdentifier"] == {"value": "VID:AABBCCDDEEFF"}
    assert [i["status"] for i in vehicle["identifiers"]] == ["ACTIVE", "RETIRED"]
    assert vehicle["current"] == [{"value": "VID:AABBCCDDEEFF"}]
    retire = "mutation($i: ID!) { retireVehicleIdentifier(identifierId: $i) { status retiredAt } }"
    retired = (await api.data(retire, {"i": first["id"]}))["retireVehicleIdentifier"]
    assert retired["status"] == "RETIRED"
    retired_vehicle = await api.data(
        "mutation($v: ID!) { retireVehicle(vehicleId: $v) { status activeIdentifier { id } } }", {"v": str(car.id)}
    )
    assert retired_vehicle["retireVehicle"] == {"status": "RETIRED", "activeIdentifier": None}
    vehicle = (await api.data(VEHICLE, {"id": str(car.id)}))["vehicle"]
    assert [i["status"] for i in vehicle["identifiers"]] == ["RETIRED", "RETIRED"]
    error = await api.error(ADD_ID, {"v": str(car.id), "value": "VID:0A1B2C3D4E5F"})
    assert error["extensions"]["code"] == "VALIDATION"


async def test_unrecognised_identifiers(api: Api) -> None:
    charger = await factories.charger(api)
    async with api.uow() as uow:
        await uow.unrecognised.record(charger.id, "VID:0A1B2C3D4E5F", api.clock())
        await uow.unrecognised.record(charger.id, "VID:0A1B2C3D4E5F", api.clock())
        await uow.commit()
    query = "{ unrecognisedIdentifiers { value macAddress timesSeen lastSeenAt charger { chargePointId } } }"
    rows = (await api.data(query))["unrecognisedIdentifiers"]
    assert rows == [
        {
            "value": "VID:0A1B2C3D4E5F",
            "macAddress": "0A:1B:2C:3D:4E:5F",
            "timesSeen": 2,
            "lastSeenAt": "2026-11-21T08:00:00+00:00",
            "charger": {"chargePointId": "CP-1"},
        }
    ]
    other = await factories.charger(api, "CP-2")
    by_charger = "query($c: ID) { unrecognisedIdentifiers(chargerId: $c) { value } }"
    assert (await api.data(by_charger, {"c": str(other.id)}))["unrecognisedIdentifiers"] == []
