from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

import strawberry

import api.enums  # noqa: F401 - registers the domain enums with strawberry
from api.context import Info
from api.fields import field
from api.loaders import require
from api.pagination import DEFAULT_PAGE_SIZE, PageInfo, as_utc, page_info, page_request, selects, total
from domain import model as dm
from domain.identifiers import parse_evccid
from domain.pagination import Page
from domain.queries import TransactionFilter

if TYPE_CHECKING:
    from api.chargers.types import Charger
    from api.transactions.types import ChargingSummary, TransactionConnection
    from api.users.types import User


@strawberry.type(name="Vehicle")
class Vehicle:
    id: strawberry.ID
    license_plate: str = strawberry.field(description="normalised: upper case, no spaces or dashes")
    make: str | None
    model: str | None
    status: dm.VehicleStatus
    created_at: datetime
    uuid: strawberry.Private[UUID]
    user_uuid: strawberry.Private[UUID]

    @classmethod
    def from_entity(cls, vehicle: dm.Vehicle) -> Vehicle:
        return cls(
            id=strawberry.ID(str(vehicle.id)),
            license_plate=vehicle.license_plate,
            make=vehicle.make,
            model=vehicle.model,
            status=vehicle.status,
            created_at=vehicle.created_at,
            uuid=vehicle.id,
            user_uuid=vehicle.user_id,
        )

    @strawberry.field
    async def user(self, info: Info) -> Annotated[User, strawberry.lazy("api.users.types")]:
        from api.users.types import User

        user = await require(info.context.loaders.users, self.user_uuid, "user")
        return User.from_entity(user)

    @strawberry.field
    async def active_identifier(self, info: Info) -> VehicleIdentifier | None:
        identifier = await info.context.loaders.active_identifier_by_vehicle.load(self.uuid)
        return VehicleIdentifier.from_entity(identifier) if identifier else None

    @strawberry.field
    async def identifiers(self, info: Info, include_retired: bool = True) -> list[VehicleIdentifier]:
        found = await info.context.loaders.identifiers_by_vehicle.load(self.uuid)
        return [VehicleIdentifier.from_entity(i) for i in found if include_retired or i.is_active]

    @field(description="Charging sessions of this vehicle, newest first")
    async def transactions(
        self,
        info: Info,
        first: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
    ) -> Annotated[TransactionConnection, strawberry.lazy("api.transactions.types")]:
        from api.transactions.types import TransactionConnection

        request = page_request(first, after, info)
        where = TransactionFilter(vehicle_id=self.uuid, started_from=as_utc(from_), started_to=as_utc(to))
        async with info.context.uow() as uow:
            page = await uow.transactions.page(request, where)
            if selects(info, "edges", "node", "charger"):
                await info.context.loaders.prime_chargers(uow, {t.charger_id for t in page.items})
        return TransactionConnection.from_page(page)

    @strawberry.field
    async def charging_summary(
        self,
        info: Info,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
    ) -> Annotated[ChargingSummary, strawberry.lazy("api.transactions.types")]:
        from api.transactions.types import ChargingSummary

        async with info.context.uow() as uow:
            summary = await uow.transactions.summary(self.uuid, as_utc(from_), as_utc(to))
        return ChargingSummary.from_summary(summary)

    @field(description="How many charging sessions this vehicle has (batched across a page)")
    async def transaction_count(self, info: Info) -> int:
        return await info.context.loaders.transaction_counts.load(self.uuid)


@strawberry.type(name="VehicleIdentifier")
class VehicleIdentifier:
    id: strawberry.ID
    value: str = strawberry.field(description='canonical form: "VID:" + upper-case hex')
    mac_address: str = strawberry.field(description='the bytes with colons: "0A:1B:2C:3D:4E:5F"')
    status: dm.IdentifierStatus
    source: dm.IdentifierSource
    captured_at: datetime
    retired_at: datetime | None
    vehicle_uuid: strawberry.Private[UUID]
    charger_uuid: strawberry.Private[UUID | None]

    @classmethod
    def from_entity(cls, identifier: dm.VehicleIdentifier) -> VehicleIdentifier:
        return cls(
            id=strawberry.ID(str(identifier.id)),
            value=identifier.value,
            mac_address=identifier.mac_address,
            status=identifier.status,
            source=identifier.source,
            captured_at=identifier.captured_at,
            retired_at=identifier.retired_at,
            vehicle_uuid=identifier.vehicle_id,
            charger_uuid=identifier.captured_on_charger_id,
        )

    @strawberry.field
    async def vehicle(self, info: Info) -> Vehicle:
        vehicle = await require(info.context.loaders.vehicles, self.vehicle_uuid, "vehicle")
        return Vehicle.from_entity(vehicle)

    @field(description="the charger it was captured on (PAIRING)")
    async def captured_on(self, info: Info) -> Annotated[Charger, strawberry.lazy("api.chargers.types")] | None:
        from api.chargers.types import Charger

        if self.charger_uuid is None:
            return None
        charger = await info.context.loaders.chargers.load(self.charger_uuid)
        return Charger.from_entity(charger) if charger else None


@strawberry.type
class VehicleEdge:
    cursor: str
    node: Vehicle


@strawberry.type
class VehicleConnection:
    edges: list[VehicleEdge]
    page_info: PageInfo
    total_count: int

    @classmethod
    def from_page(cls, page: Page[dm.Vehicle]) -> VehicleConnection:
        edges = [
            VehicleEdge(cursor=c, node=Vehicle.from_entity(v)) for v, c in zip(page.items, page.cursors, strict=True)
        ]
        return cls(edges=edges, page_info=page_info(page), total_count=total(page))


@strawberry.type(name="UnrecognisedIdentifier")
class UnrecognisedIdentifier:
    """A token a charger presented that matched no active identifier: a candidate for addVehicleIdentifier."""

    value: str
    mac_address: str
    last_seen_at: datetime
    times_seen: int
    charger_uuid: strawberry.Private[UUID]
    suggested_user_uuid: strawberry.Private[UUID | None]
    suggested_vehicle_uuid: strawberry.Private[UUID | None]

    @classmethod
    def from_entity(cls, row: dm.UnrecognisedIdentifier) -> UnrecognisedIdentifier:
        return cls(
            value=row.value,
            mac_address=parse_evccid(row.value).mac_address,
            last_seen_at=row.last_seen_at,
            times_seen=row.times_seen,
            charger_uuid=row.charger_id,
            suggested_user_uuid=row.suggested_user_id,
            suggested_vehicle_uuid=row.suggested_vehicle_id,
        )

    @field(description="The user of a known RFID tag tapped on the same charger within 60 s after this token")
    async def suggested_user(self, info: Info) -> Annotated[User, strawberry.lazy("api.users.types")] | None:
        from api.users.types import User

        if self.suggested_user_uuid is None:
            return None
        user = await info.context.loaders.users.load(self.suggested_user_uuid)
        return User.from_entity(user) if user else None

    @field(description="That user's only ACTIVE vehicle without an active identifier, when there is exactly one")
    async def suggested_vehicle(self, info: Info) -> Vehicle | None:
        if self.suggested_vehicle_uuid is None:
            return None
        vehicle = await info.context.loaders.vehicles.load(self.suggested_vehicle_uuid)
        # Retired since the tap: it can no longer take the identifier.
        return Vehicle.from_entity(vehicle) if vehicle and vehicle.is_active else None

    @strawberry.field
    async def charger(self, info: Info) -> Annotated[Charger, strawberry.lazy("api.chargers.types")]:
        from api.chargers.types import Charger

        charger = await require(info.context.loaders.chargers, self.charger_uuid, "charger")
        return Charger.from_entity(charger)
