from __future__ import annotations

from datetime import datetime

import strawberry

from api.access.types import ApiKey, CreatedApiKey
from api.context import Info
from api.fields import mutation
from domain import model as dm
from domain.commands import CreateApiKey, RevokeApiKey
from domain.ids import parse_id
from domain.services import api_keys

REFUSED_EVERYWHERE = "a revoked or expired key is refused by every process of the cluster within a second"


@strawberry.type
class AccessMutations:
    @mutation(description=f"The secret is shown once; {REFUSED_EVERYWHERE}")
    async def create_api_key(
        self, info: Info, name: str, role: dm.ApiRole, expires_at: datetime | None = None
    ) -> CreatedApiKey:
        ctx = info.context
        cmd = CreateApiKey(ctx.tenant_id, role, name=name, expires_at=expires_at)
        key, secret = await api_keys.create_key(ctx.deps.directory, cmd, ctx.deps.clock)
        return CreatedApiKey(api_key=ApiKey.from_entity(key), secret=secret)

    @mutation(description=f"Revoking a revoked key changes nothing; {REFUSED_EVERYWHERE}")
    async def revoke_api_key(self, info: Info, id: strawberry.ID) -> ApiKey:
        ctx = info.context
        cmd = RevokeApiKey(ctx.tenant_id, parse_id(id, "id"))
        key = await api_keys.revoke_key(ctx.deps.directory, ctx.deps.bus, cmd, ctx.deps.clock)
        return ApiKey.from_entity(key)
