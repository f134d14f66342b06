from __future__ import annotations

import strawberry

from api.context import Info
from api.fields import query
from api.pagination import DEFAULT_PAGE_SIZE, page_request
from api.vehicles.types import UnrecognisedIdentifier, Vehicle, VehicleConnection
from domain import model as dm
from domain.errors import Invalid
from domain.ids import parse_id
from domain.pagination import MAX_PAGE_SIZE


@strawberry.type
class VehicleQueries:
    @query()
    async def vehicles(
        self,
        info: Info,
        first: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
        search: str | None = None,
        status: dm.VehicleStatus | None = None,
    ) -> VehicleConnection:
        request = page_request(first, after, info)
        async with info.context.uow() as uow:
            return VehicleConnection.from_page(await uow.vehicles.page(request, search, status))

    @query()
    async def vehicle(self, info: Info, id: strawberry.ID) -> Vehicle | None:
        vehicle = await info.context.loaders.vehicles.load(parse_id(id, "id"))
        return Vehicle.from_entity(vehicle) if vehicle else None

    @query(description="Most recently seen first")
    async def unrecognised_identifiers(
        self, info: Info, charger_id: strawberry.ID | None = None, first: int = DEFAULT_PAGE_SIZE
    ) -> list[UnrecognisedIdentifier]:
        if not 0 <= first <= MAX_PAGE_SIZE:
            raise Invalid(f"first must be between 0 and {MAX_PAGE_SIZE}, got {first}")
        charger = parse_id(charger_id, "chargerId") if charger_id is not None else None
        async with info.context.uow() as uow:
            rows = await uow.unrecognised.latest(charger, first)
        return [UnrecognisedIdentifier.from_entity(row) for row in rows]
