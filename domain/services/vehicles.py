"""Vehicles and their Auto Charge identifiers: the rules of who may authorise with what."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.commands import AddVehicle, AddVehicleIdentifier, RetireVehicle, RetireVehicleIdentifier
from domain.errors import Conflict, Invalid
from domain.events import IdentifierAdded, IdentifierRetired, VehicleRetired
from domain.identifiers import normalise_license_plate, parse_evccid, require_unique
from domain.ids import Clock, new_id, utcnow
from domain.model import IdentifierSource, Vehicle, VehicleIdentifier
from domain.ports import UnitOfWork
from domain.services._common import found


async def add_vehicle(uow: UnitOfWork, cmd: AddVehicle, clock: Clock = utcnow) -> Vehicle:
    plate = normalise_license_plate(cmd.license_plate)
    async with uow:
        user = found(await uow.users.get(cmd.user_id), "user", cmd.user_id)
        if await uow.vehicles.active_by_plate(plate) is not None:
            raise Conflict(f"an active vehicle with license plate {plate} already exists")
        vehicle = Vehicle(
            id=new_id(),
            tenant_id=uow.tenant_id,
            user_id=user.id,
            license_plate=plate,
            make=(cmd.make or "").strip() or None,
            model=(cmd.model or "").strip() or None,
            created_at=clock(),
        )
        await uow.vehicles.add(vehicle)
        await uow.commit()
    return vehicle


async def retire_vehicle(uow: UnitOfWork, cmd: RetireVehicle, clock: Clock = utcnow) -> Vehicle:
    """The vehicle and its identifiers stay on record but no longer authorise.

    A pairing session still waiting for it fails with VEHICLE_RETIRED when a token arrives.
    """
    now = clock()
    async with uow:
        vehicle = found(await uow.vehicles.get(cmd.vehicle_id), "vehicle", cmd.vehicle_id)
        if vehicle.is_active:
            for identifier in await uow.identifiers.for_vehicles([vehicle.id], include_retired=False):
                await _retire(uow, identifier, now)
            vehicle.retire(now)
            await uow.vehicles.update(vehicle)
            uow.publish(VehicleRetired(tenant_id=vehicle.tenant_id, vehicle_id=vehicle.id))
            await uow.commit()
    return vehicle


async def add_identifier(uow: UnitOfWork, cmd: AddVehicleIdentifier, clock: Clock = utcnow) -> VehicleIdentifier:
    """The manual path: store a token read from the logs; it replaces the vehicle's active one."""
    evccid = require_unique(parse_evccid(cmd.value))
    async with uow:
        vehicle = found(await uow.vehicles.get(cmd.vehicle_id), "vehicle", cmd.vehicle_id)
        identifier = await store_identifier(uow, vehicle, evccid.value, IdentifierSource.MANUAL, None, clock())
        await uow.commit()
    return identifier


async def store_identifier(
    uow: UnitOfWork,
    vehicle: Vehicle,
    value: str,
    source: IdentifierSource,
    captured_on: UUID | None,
    now: datetime,
) -> VehicleIdentifier:
    """Make `value` the vehicle's one active identifier, retiring the previous; Conflict if another vehicle has it."""
    if not vehicle.is_active:
        raise Invalid(f"vehicle {vehicle.license_plate} is retired; add a new vehicle instead")
    require_unique(parse_evccid(value))
    active = [i for i in await uow.identifiers.by_value(value) if i.is_active]
    for identifier in active:
        if identifier.vehicle_id != vehicle.id:
            raise Conflict(f"identifier {value} is already active on another vehicle")
        return identifier  # already this vehicle's active identifier: nothing to change
    for previous in await uow.identifiers.for_vehicles([vehicle.id], include_retired=False):
        await _retire(uow, previous, now)
    identifier = VehicleIdentifier(
        id=new_id(),
        tenant_id=uow.tenant_id,
        vehicle_id=vehicle.id,
        value=value,
        source=source,
        captured_at=now,
        captured_on_charger_id=captured_on,
    )
    await uow.identifiers.add(identifier)
    uow.publish(
        IdentifierAdded(tenant_id=identifier.tenant_id, identifier_id=identifier.id, vehicle_id=vehicle.id, value=value)
    )
    await uow.unrecognised.forget(value)
    return identifier


async def retire_identifier(uow: UnitOfWork, cmd: RetireVehicleIdentifier, clock: Clock = utcnow) -> VehicleIdentifier:
    async with uow:
        identifier = found(await uow.identifiers.get(cmd.identifier_id), "identifier", cmd.identifier_id)
        if identifier.is_active:
            await _retire(uow, identifier, clock())
            await uow.commit()
    return identifier


async def _retire(uow: UnitOfWork, identifier: VehicleIdentifier, now: datetime) -> None:
    identifier.retire(now)
    await uow.identifiers.update(identifier)
    uow.publish(
        IdentifierRetired(
            tenant_id=identifier.tenant_id,
            identifier_id=identifier.id,
            vehicle_id=identifier.vehicle_id,
            value=identifier.value,
        )
    )
