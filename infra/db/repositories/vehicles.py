"""Vehicles and their Autocharge identifiers."""

from __future__ import annotations

import re
from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import bindparam, func, or_, select

from domain.model import IdentifierStatus, Vehicle, VehicleIdentifier, VehicleStatus
from domain.pagination import Page, PageRequest
from infra.db.mapping import from_row
from infra.db.prepared import Prepared
from infra.db.repositories._base import SqlRepository
from infra.db.repositories._keyset import keyset_page
from infra.db.tables import vehicle_identifiers, vehicles

_PLATE_NOISE = re.compile(r"[\s\-]")

# The Authorize path's one read: every identifier with this value, each with its vehicle.
_VEHICLE_COLUMNS = [(column.name, f"v_{column.name}") for column in vehicles.c]
_WITH_VEHICLES = Prepared(
    select(vehicle_identifiers, *(vehicles.c[name].label(label) for name, label in _VEHICLE_COLUMNS))
    .select_from(
        vehicle_identifiers.outerjoin(
            vehicles,
            (vehicles.c.id == vehicle_identifiers.c.vehicle_id)
            & (vehicles.c.tenant_id == vehicle_identifiers.c.tenant_id),
        )
    )
    .where(vehicle_identifiers.c.tenant_id == bindparam("tenant_id"), vehicle_identifiers.c.value == bindparam("value"))
    .order_by(vehicle_identifiers.c.id)
)


class SqlVehicleRepository(SqlRepository):
    async def get(self, vehicle_id: UUID) -> Vehicle | None:
        return await self._get(Vehicle, vehicles, vehicle_id)

    async def get_many(self, vehicle_ids: Sequence[UUID]) -> list[Vehicle]:
        return await self._get_many(Vehicle, vehicles, vehicle_ids)

    async def active_by_plate(self, license_plate: str) -> Vehicle | None:
        query = self._select(vehicles).where(
            vehicles.c.license_plate == license_plate, vehicles.c.status == VehicleStatus.ACTIVE.value
        )
        return await self._first(Vehicle, query)

    async def for_users(self, user_ids: Sequence[UUID], include_retired: bool) -> list[Vehicle]:
        if not user_ids:
            return []
        query = self._select(vehicles).where(vehicles.c.user_id.in_(set(user_ids)))
        if not include_retired:
            query = query.where(vehicles.c.status == VehicleStatus.ACTIVE.value)
        return await self._all(Vehicle, query.order_by(vehicles.c.id))

    async def add(self, vehicle: Vehicle) -> None:
        await self._insert(vehicles, vehicle)

    async def update(self, vehicle: Vehicle) -> None:
        await self._update(vehicles, vehicle)

    async def page(
        self, request: PageRequest, search: str | None = None, status: VehicleStatus | None = None
    ) -> Page[Vehicle]:
        query = self._select(vehicles)
        if status is not None:
            query = query.where(vehicles.c.status == status.value)
        if search:
            # Plates are stored normalised, so "ab-12 cd" must find "AB12CD".
            plate = _PLATE_NOISE.sub("", search).upper()
            needle = search.lower()
            matches = [
                func.lower(vehicles.c.make).contains(needle, autoescape=True),
                func.lower(vehicles.c.model).contains(needle, autoescape=True),
            ]
            if plate:
                matches.append(vehicles.c.license_plate.contains(plate, autoescape=True))
            query = query.where(or_(*matches))
        return await keyset_page(self._execute, Vehicle, query, [vehicles.c.id], request, descending=False)


class SqlIdentifierRepository(SqlRepository):
    async def get(self, identifier_id: UUID) -> VehicleIdentifier | None:
        return await self._get(VehicleIdentifier, vehicle_identifiers, identifier_id)

    async def get_many(self, identifier_ids: Sequence[UUID]) -> list[VehicleIdentifier]:
        return await self._get_many(VehicleIdentifier, vehicle_identifiers, identifier_ids)

    async def by_value(self, value: str) -> list[VehicleIdentifier]:
        query = self._select(vehicle_identifiers).where(vehicle_identifiers.c.value == value)
        return await self._all(VehicleIdentifier, query.order_by(vehicle_identifiers.c.id))

    async def by_value_with_vehicles(self, value: str) -> list[tuple[VehicleIdentifier, Vehicle | None]]:
        rows = await self._fetch(_WITH_VEHICLES, {"tenant_id": self._tenant_id, "value": value})
        pairs: list[tuple[VehicleIdentifier, Vehicle | None]] = []
        for row in rows:
            vehicle = None
            if row["v_id"] is not None:
                vehicle = from_row(Vehicle, {name: row[label] for name, label in _VEHICLE_COLUMNS})
            pairs.append((from_row(VehicleIdentifier, row), vehicle))
        return pairs

    async def for_vehicles(self, vehicle_ids: Sequence[UUID], include_retired: bool) -> list[VehicleIdentifier]:
        if not vehicle_ids:
            return []
        t = vehicle_identifiers
        query = self._select(t).where(t.c.vehicle_id.in_(set(vehicle_ids)))
        if not include_retired:
            query = query.where(t.c.status == IdentifierStatus.ACTIVE.value)
        return await self._all(VehicleIdentifier, query.order_by(t.c.vehicle_id, t.c.captured_at.desc(), t.c.id.desc()))

    async def add(self, identifier: VehicleIdentifier) -> None:
        await self._insert(vehicle_identifiers, identifier)

    async def update(self, identifier: VehicleIdentifier) -> None:
        # The value is never rewritten: an identifier is only ever retired.
        await self._update(vehicle_identifiers, identifier, columns=("status", "retired_at"))
