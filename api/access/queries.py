from __future__ import annotations

import strawberry

from api.access.audit_types import AuditEntryConnection
from api.access.types import ApiKey
from api.context import Info
from api.fields import admin_query
from api.pagination import DEFAULT_PAGE_SIZE, page_request
from domain import queries
from domain.errors import Unavailable


@strawberry.type
class AccessQueries:
    @admin_query(description="The tenant's API keys, oldest first. FORBIDDEN for READ_ONLY")
    async def api_keys(self, info: Info, include_revoked: bool = False) -> list[ApiKey]:
        ctx = info.context
        keys = await queries.list_keys(ctx.deps.directory, ctx.tenant_id, include_revoked)
        return [ApiKey.from_entity(key) for key in keys]

    @admin_query(description="The audit log of the tenant, newest first. FORBIDDEN for READ_ONLY")
    async def audit_log(
        self, info: Info, first: int = DEFAULT_PAGE_SIZE, after: str | None = None, operation: str | None = None
    ) -> AuditEntryConnection:
        ctx = info.context
        request = page_request(first, after, info)
        if ctx.deps.audit is None:
            raise Unavailable("this server keeps no audit log")
        page = await queries.audit_page(ctx.deps.audit, ctx.tenant_id, request, operation)
        # The page's keys in one read: a tenant has a handful of keys, a page up to 500 entries.
        keys = {key.id: key for key in await queries.list_keys(ctx.deps.directory, ctx.tenant_id, True)}
        return AuditEntryConnection.from_page(page, keys)
