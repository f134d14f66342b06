"""Test data made through the domain's own use cases, so it obeys every rule."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from domain.commands import AddVehicle, CreateUser, RegisterCharger, ReportConnected
from domain.ids import new_id
from domain.model import (
    Charger,
    OcppLogEntry,
    Transaction,
    TransactionOrigin,
    User,
    Vehicle,
)
from domain.services import chargers, users, vehicles
from tests.api.harness import Api
from tests.builders import a_log_entry, a_transaction


async def user(api: Api, email: str = "driver@example.com", tenant: UUID | None = None) -> User:
    return await users.create_user(api.uow(tenant), CreateUser(email=email, name="Driver"), api.clock)


async def vehicle(api: Api, owner: User, plate: str = "AB-123-CD") -> Vehicle:
    return await vehicles.add_vehicle(api.uow(owner.tenant_id), AddVehicle(owner.id, plate), api.clock)


async def charger(api: Api, cpid: str = "CP-1", tenant: UUID | None = None, connected: bool = True) -> Charger:
    made = await chargers.register_charger(
        api.uow(tenant), RegisterCharger(cpid, "Depot", autocharge_supported=True), api.clock
    )
    if connected:
        made = await chargers.charger_connected(api.uow(tenant), ReportConnected(made.id, "1.6"), api.clock)
    return made


async def transaction(api: Api, charger: Charger, car: Vehicle, minutes: int = 0) -> Transaction:
    """A session of `car` on `charger`, started `minutes` after the clock's now, stored as it is."""
    made = a_transaction(
        charger,
        0,
        ocpp_transaction_id=str(new_id()),
        start_key=str(new_id()),
        id_tag="VID:0A1B2C3D4E5F",
        origin=TransactionOrigin.AUTOCHARGE,
        user_id=car.user_id,
        vehicle_id=car.id,
        started_at=api.clock() + timedelta(minutes=minutes),
        meter_start_wh=0,
    )
    async with api.uow(charger.tenant_id) as uow:
        await uow.transactions.add(made)
        await uow.commit()
    return made


def log_entry(api: Api, charger: Charger, action: str = "Authorize", payload: Any = None) -> OcppLogEntry:
    return a_log_entry(
        charger,
        timestamp=api.clock(),
        unique_id="u-1",
        action=action,
        payload=payload if payload is not None else {"idTag": "VID:0A1B2C3D4E5F"},
    )
