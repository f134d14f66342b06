from __future__ import annotations

import strawberry

from api.context import Info
from api.fields import query
from api.pagination import DEFAULT_PAGE_SIZE, page_request
from api.users.types import PrincipalType, User, UserConnection
from domain.ids import parse_id


@strawberry.type
class UserQueries:
    @query(description="Who the API key belongs to")
    def me(self, info: Info) -> PrincipalType:
        return PrincipalType.from_principal(info.context.principal)

    @query()
    async def users(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None, search: str | None = None
    ) -> UserConnection:
        request = page_request(first, after, info)
        async with info.context.uow() as uow:
            return UserConnection.from_page(await uow.users.page(request, search))

    @query()
    async def user(self, info: Info, id: strawberry.ID) -> User | None:
        user = await info.context.loaders.users.load(parse_id(id, "id"))
        return User.from_entity(user) if user else None
