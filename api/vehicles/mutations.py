from __future__ import annotations

import strawberry

from api.context import Info
from api.fields import mutation
from api.vehicles.types import Vehicle, VehicleIdentifier
from domain.commands import AddVehicle, AddVehicleIdentifier, RetireVehicle, RetireVehicleIdentifier
from domain.ids import parse_id
from domain.services import vehicles


@strawberry.input
class AddVehicleInput:
    user_id: strawberry.ID
    license_plate: str
    make: str | None = None
    model: str | None = None


@strawberry.type
class VehicleMutations:
    @mutation(description="CONFLICT when the plate is active elsewhere")
    async def add_vehicle(self, info: Info, input: AddVehicleInput) -> Vehicle:
        ctx = info.context
        cmd = AddVehicle(parse_id(input.user_id, "userId"), input.license_plate, input.make, input.model)
        return Vehicle.from_entity(await vehicles.add_vehicle(ctx.uow(), cmd, ctx.deps.clock))

    @mutation(description="It and its identifiers stay on record")
    async def retire_vehicle(self, info: Info, vehicle_id: strawberry.ID) -> Vehicle:
        ctx = info.context
        cmd = RetireVehicle(parse_id(vehicle_id, "vehicleId"))
        return Vehicle.from_entity(await vehicles.retire_vehicle(ctx.uow(), cmd, ctx.deps.clock))

    @mutation(description="Any spelling of a MAC / EVCCID; replaces the active identifier")
    async def add_vehicle_identifier(self, info: Info, vehicle_id: strawberry.ID, value: str) -> VehicleIdentifier:
        ctx = info.context
        cmd = AddVehicleIdentifier(parse_id(vehicle_id, "vehicleId"), value)
        return VehicleIdentifier.from_entity(await vehicles.add_identifier(ctx.uow(), cmd, ctx.deps.clock))

    @mutation()
    async def retire_vehicle_identifier(self, info: Info, identifier_id: strawberry.ID) -> VehicleIdentifier:
        ctx = info.context
        cmd = RetireVehicleIdentifier(parse_id(identifier_id, "identifierId"))
        return VehicleIdentifier.from_entity(await vehicles.retire_identifier(ctx.uow(), cmd, ctx.deps.clock))
