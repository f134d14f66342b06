from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

import strawberry

import api.enums  # noqa: F401 - registers the domain enums with strawberry
from api.context import Info
from api.fields import field
from api.loaders import require_then
from api.pagination import PageInfo, as_utc, page_info, total
from domain import model as dm
from domain.ids import parse_id
from domain.pagination import Page
from domain.queries import ChargingSummary as ChargingSummaryValue
from domain.queries import TransactionFilter as TransactionFilterValue

if TYPE_CHECKING:
    from api.chargers.types import Charger
    from api.users.types import User
    from api.vehicles.types import Vehicle


@strawberry.type(name="Transaction")
class Transaction:
    id: strawberry.ID
    connector_id: int
    ocpp_transaction_id: str
    id_tag: str
    origin: dm.TransactionOrigin
    status: dm.TransactionStatus
    started_at: datetime
    stopped_at: datetime | None
    meter_start_wh: int
    meter_stop_wh: int | None
    energy_wh: int | None = strawberry.field(description="meterStop - meterStart; while ACTIVE, the latest reading")
    stop_reason: str | None
    charger_uuid: strawberry.Private[UUID]
    user_uuid: strawberry.Private[UUID | None]
    vehicle_uuid: strawberry.Private[UUID | None]

    @classmethod
    def from_entity(cls, transaction: dm.Transaction) -> Transaction:
        return cls(
            id=strawberry.ID(str(transaction.id)),
            connector_id=transaction.connector_id,
            ocpp_transaction_id=transaction.ocpp_transaction_id,
            id_tag=transaction.id_tag,
            origin=transaction.origin,
            status=transaction.status,
            started_at=transaction.started_at,
            stopped_at=transaction.stopped_at,
            meter_start_wh=transaction.meter_start_wh,
            meter_stop_wh=transaction.meter_stop_wh,
            energy_wh=transaction.energy_wh,
            stop_reason=transaction.stop_reason,
            charger_uuid=transaction.charger_id,
            user_uuid=transaction.user_id,
            vehicle_uuid=transaction.vehicle_id,
        )

    # Not async: pages of transactions prime their chargers, and a plain value spares graphql-core a coroutine and a
    # task per row (see api.loaders.require_then); outside a page the charger is loaded as before.
    @field(graphql_type=Annotated["Charger", strawberry.lazy("api.chargers.types")])
    def charger(self, info: Info) -> Charger | Awaitable[Charger]:
        from api.chargers.types import Charger

        return require_then(info.context.loaders.chargers, self.charger_uuid, "charger", Charger.from_entity)

    @strawberry.field
    async def user(self, info: Info) -> Annotated[User, strawberry.lazy("api.users.types")] | None:
        from api.users.types import User

        user = await info.context.loaders.users.load(self.user_uuid) if self.user_uuid else None
        return User.from_entity(user) if user else None

    @field(description="the identified vehicle; or the user's only ACTIVE vehicle")
    async def vehicle(self, info: Info) -> Annotated[Vehicle, strawberry.lazy("api.vehicles.types")] | None:
        from api.vehicles.types import Vehicle

        vehicle = await info.context.loaders.vehicles.load(self.vehicle_uuid) if self.vehicle_uuid else None
        return Vehicle.from_entity(vehicle) if vehicle else None


@strawberry.type
class TransactionEdge:
    cursor: str
    node: Transaction


@strawberry.type
class TransactionConnection:
    edges: list[TransactionEdge]
    page_info: PageInfo
    total_count: int

    @classmethod
    def from_page(cls, page: Page[dm.Transaction]) -> TransactionConnection:
        edges = [
            TransactionEdge(cursor=c, node=Transaction.from_entity(t))
            for t, c in zip(page.items, page.cursors, strict=True)
        ]
        return cls(edges=edges, page_info=page_info(page), total_count=total(page))


@strawberry.type
class ChargingSummary:
    sessions: int
    autocharge_sessions: int
    energy_wh: int
    charging_seconds: int

    @classmethod
    def from_summary(cls, summary: ChargingSummaryValue) -> ChargingSummary:
        return cls(
            sessions=summary.sessions,
            autocharge_sessions=summary.autocharge_sessions,
            energy_wh=summary.energy_wh,
            charging_seconds=summary.charging_seconds,
        )


@strawberry.input
class TransactionFilter:
    vehicle_id: strawberry.ID | None = None
    user_id: strawberry.ID | None = None
    charger_id: strawberry.ID | None = None
    origin: dm.TransactionOrigin | None = None
    status: dm.TransactionStatus | None = None
    from_: datetime | None = strawberry.field(default=None, name="from", description="startedAt >= from")
    to: datetime | None = strawberry.field(default=None, description="startedAt < to")

    def to_value(self) -> TransactionFilterValue:
        return TransactionFilterValue(
            vehicle_id=parse_id(self.vehicle_id, "vehicleId") if self.vehicle_id is not None else None,
            user_id=parse_id(self.user_id, "userId") if self.user_id is not None else None,
            charger_id=parse_id(self.charger_id, "chargerId") if self.charger_id is not None else None,
            origin=self.origin,
            status=self.status,
            started_from=as_utc(self.from_),
            started_to=as_utc(self.to),
        )
