from __future__ import annotations

import strawberry

from api.chargers.types import Charger, ChargerConnection
from api.context import Info
from api.fields import query
from api.pagination import DEFAULT_PAGE_SIZE, page_request
from domain.ids import parse_id


@strawberry.type
class ChargerQueries:
    @query()
    async def chargers(self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None) -> ChargerConnection:
        request = page_request(first, after, info)
        async with info.context.uow() as uow:
            return ChargerConnection.from_page(await uow.chargers.page(request))

    @query()
    async def charger(self, info: Info, id: strawberry.ID) -> Charger | None:
        charger = await info.context.loaders.chargers.load(parse_id(id, "id"))
        return Charger.from_entity(charger) if charger else None
