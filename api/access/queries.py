from __future__ import annotations

import strawberry

from api.access.types import ApiKey
from api.context import Info
from api.fields import admin_query
from domain.services import api_keys


@strawberry.type
class AccessQueries:
    @admin_query(description="The tenant's API keys, oldest first. FORBIDDEN for READ_ONLY")
    async def api_keys(self, info: Info, include_revoked: bool = False) -> list[ApiKey]:
        ctx = info.context
        keys = await api_keys.list_keys(ctx.deps.directory, ctx.tenant_id, include_revoked)
        return [ApiKey.from_entity(key) for key in keys]
