from __future__ import annotations

import strawberry

from api.context import Info
from api.fields import admin_query, query
from api.logs.dead_letter_types import OcppDeadLetterConnection
from api.logs.types import OcppLogConnection
from api.pagination import DEFAULT_PAGE_SIZE, page_request
from api.streams import require_charger
from domain.errors import Unavailable
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

    @admin_query(
        description="OCPP frames the log could not store and set aside, newest first; the tenant's own only. "
        "FORBIDDEN for READ_ONLY"
    )
    async def ocpp_dead_letters(
        self,
        info: Info,
        charger_id: strawberry.ID | None = None,
        first: int = DEFAULT_PAGE_SIZE,
        after: str | None = None,
    ) -> OcppDeadLetterConnection:
        ctx = info.context
        charger = None if charger_id is None else parse_id(charger_id, "chargerId")
        request = page_request(first, after, info)
        if ctx.deps.dead_letters is None:
            raise Unavailable("this server keeps no dead letters")
        # No check that the charger is the tenant's: one deleted since may have left frames here.
        return OcppDeadLetterConnection.from_page(await ctx.deps.dead_letters.page(ctx.tenant_id, request, charger))
