from __future__ import annotations

import strawberry

from api.context import Info
from api.fields import query
from api.logs.types import OcppLogConnection
from api.pagination import DEFAULT_PAGE_SIZE, page_request
from api.streams import require_charger
from domain.ids import parse_id


@strawberry.type
class LogQueries:
    @query(description="Newest first")
    async def ocpp_logs(
        self,
        info: Info,
        charger_id: strawberry.ID,
        first: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
        action: str | None = None,
    ) -> OcppLogConnection:
        charger = parse_id(charger_id, "chargerId")
        request = page_request(first, after, info)
        await require_charger(info.context, charger)
        async with info.context.uow() as uow:
            return OcppLogConnection.from_page(await uow.logs.page(charger, request, action))
