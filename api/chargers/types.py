from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

import strawberry

import api.enums  # noqa: F401 - registers the domain enums with strawberry
from api.chargers.settings import ChargerSetting, readiness_of, settings_of
from api.context import Info
from api.fields import field
from api.pagination import DEFAULT_PAGE_SIZE, PageInfo, page_info, page_request, total
from domain import model as dm
from domain.autocharge_switches import AutochargeReadiness
from domain.pagination import Page

if TYPE_CHECKING:
    from api.logs.types import OcppLogConnection


@strawberry.type(name="Connector")
class Connector:
    connector_id: int
    status: str
    updated_at: datetime

    @classmethod
    def from_entity(cls, connector: dm.Connector) -> Connector:
        return cls(connector_id=connector.connector_id, status=connector.status, updated_at=connector.updated_at)


@strawberry.type(name="Charger")
class Charger:
    id: strawberry.ID
    charge_point_id: str = strawberry.field(description="its OCPP identity: the last path segment of its URL")
    name: str
    autocharge_supported: bool
    connection_state: dm.ConnectionState
    ocpp_version: str | None
    vendor: str | None
    model: str | None
    firmware_version: str | None
    last_seen_at: datetime | None
    security_profile: int = strawberry.field(
        description="the lowest OCPP security profile it may connect with: 0 none, 1 Basic auth, 2 TLS + Basic auth, "
        "3 TLS with a client certificate"
    )
    local_list_version: int | None
    uuid: strawberry.Private[UUID]

    @classmethod
    def from_entity(cls, charger: dm.Charger) -> Charger:
        return cls(
            id=strawberry.ID(str(charger.id)),
            charge_point_id=charger.charge_point_id,
            name=charger.name,
            autocharge_supported=charger.autocharge_supported,
            connection_state=charger.connection_state,
            ocpp_version=charger.ocpp_version,
            vendor=charger.vendor,
            model=charger.model,
            firmware_version=charger.firmware_version,
            last_seen_at=charger.last_seen_at,
            security_profile=charger.security_profile,
            local_list_version=charger.local_list_version,
            uuid=charger.id,
        )

    @strawberry.field
    async def connectors(self, info: Info) -> list[Connector]:
        return [Connector.from_entity(c) for c in await info.context.loaders.connectors_by_charger.load(self.uuid)]

    @strawberry.field
    async def settings(self, info: Info, search: str | None = None) -> list[ChargerSetting]:
        return await settings_of(info, self.uuid, search)

    @strawberry.field
    async def autocharge_readiness(self, info: Info) -> AutochargeReadiness:
        return (await readiness_of(info, self.uuid))[0]

    @strawberry.field
    async def autocharge_setting_key(self, info: Info) -> str | None:
        return (await readiness_of(info, self.uuid))[1]

    @field(description="The charger's OCPP frames, newest first")
    async def logs(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None, action: str | None = None
    ) -> Annotated[OcppLogConnection, strawberry.lazy("api.logs.types")]:
        from api.logs.types import OcppLogConnection

        request = page_request(first, after, info)
        async with info.context.uow() as uow:
            return OcppLogConnection.from_page(await uow.logs.page(self.uuid, request, action))


@strawberry.type
class ChargerEdge:
    cursor: str
    node: Charger


@strawberry.type
class ChargerConnection:
    edges: list[ChargerEdge]
    page_info: PageInfo
    total_count: int

    @classmethod
    def from_page(cls, page: Page[dm.Charger]) -> ChargerConnection:
        edges = [
            ChargerEdge(cursor=c, node=Charger.from_entity(ch)) for ch, c in zip(page.items, page.cursors, strict=True)
        ]
        return cls(edges=edges, page_info=page_info(page), total_count=total(page))
