from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

import strawberry

from api.context import Info
from api.fields import field
from api.pagination import PageInfo, page_info, total
from domain import model as dm
from domain.pagination import Page

if TYPE_CHECKING:
    from api.vehicles.types import Vehicle


@strawberry.type(name="User")
class User:
    id: strawberry.ID
    email: str
    name: str
    created_at: datetime
    uuid: strawberry.Private[UUID]

    @classmethod
    def from_entity(cls, user: dm.User) -> User:
        return cls(
            id=strawberry.ID(str(user.id)), email=user.email, name=user.name, created_at=user.created_at, uuid=user.id
        )

    @field(description="idTags of the user's RFID cards")
    async def rfid_tags(self, info: Info) -> list[str]:
        return [tag.id_tag for tag in await info.context.loaders.rfid_tags_by_user.load(self.uuid)]

    @strawberry.field
    async def vehicles(
        self, info: Info, include_retired: bool = False
    ) -> list[Annotated[Vehicle, strawberry.lazy("api.vehicles.types")]]:
        from api.vehicles.types import Vehicle  # at call time: the two types refer to each other

        vehicles = await info.context.loaders.vehicles_by_user.load(self.uuid)
        return [Vehicle.from_entity(v) for v in vehicles if include_retired or v.is_active]


@strawberry.type
class UserEdge:
    cursor: str
    node: User


@strawberry.type
class UserConnection:
    edges: list[UserEdge]
    page_info: PageInfo
    total_count: int

    @classmethod
    def from_page(cls, page: Page[dm.User]) -> UserConnection:
        edges = [UserEdge(cursor=c, node=User.from_entity(u)) for u, c in zip(page.items, page.cursors, strict=True)]
        return cls(edges=edges, page_info=page_info(page), total_count=total(page))


@strawberry.type(name="Principal")
class PrincipalType:
    tenant_id: strawberry.ID
    tenant_name: str
    role: dm.ApiRole

    @classmethod
    def from_principal(cls, principal: dm.Principal) -> PrincipalType:
        return cls(
            tenant_id=strawberry.ID(str(principal.tenant_id)), tenant_name=principal.tenant_name, role=principal.role
        )
