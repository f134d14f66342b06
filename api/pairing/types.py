from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

import strawberry

import api.enums  # noqa: F401 - registers the domain enums with strawberry
from api.context import Info
from api.loaders import require
from domain import model as dm

if TYPE_CHECKING:
    from api.chargers.types import Charger
    from api.vehicles.types import Vehicle, VehicleIdentifier


@strawberry.type(name="PairingSession")
class PairingSession:
    id: strawberry.ID
    status: dm.PairingStatus
    failure_reason: str | None = strawberry.field(description="e.g. IDENTIFIER_IN_USE, VEHICLE_RETIRED, NOT_UNIQUE")
    started_at: datetime
    expires_at: datetime
    finished_at: datetime | None
    vehicle_uuid: strawberry.Private[UUID]
    charger_uuid: strawberry.Private[UUID]
    identifier_uuid: strawberry.Private[UUID | None]

    @classmethod
    def from_entity(cls, session: dm.PairingSession) -> PairingSession:
        return cls(
            id=strawberry.ID(str(session.id)),
            status=session.status,
            failure_reason=session.failure_reason,
            started_at=session.started_at,
            expires_at=session.expires_at,
            finished_at=session.finished_at,
            vehicle_uuid=session.vehicle_id,
            charger_uuid=session.charger_id,
            identifier_uuid=session.identifier_id,
        )

    @strawberry.field
    async def vehicle(self, info: Info) -> Annotated[Vehicle, strawberry.lazy("api.vehicles.types")]:
        from api.vehicles.types import Vehicle

        vehicle = await require(info.context.loaders.vehicles, self.vehicle_uuid, "vehicle")
        return Vehicle.from_entity(vehicle)

    @strawberry.field
    async def charger(self, info: Info) -> Annotated[Charger, strawberry.lazy("api.chargers.types")]:
        from api.chargers.types import Charger

        charger = await require(info.context.loaders.chargers, self.charger_uuid, "charger")
        return Charger.from_entity(charger)

    @strawberry.field
    async def identifier(
        self, info: Info
    ) -> Annotated[VehicleIdentifier, strawberry.lazy("api.vehicles.types")] | None:
        from api.vehicles.types import VehicleIdentifier

        if self.identifier_uuid is None:
            return None
        identifier = await info.context.loaders.identifiers.load(self.identifier_uuid)
        return VehicleIdentifier.from_entity(identifier) if identifier else None
