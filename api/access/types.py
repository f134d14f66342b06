"""ApiKey and CreatedApiKey: what the API shows of a key (never its hash; its secret once, at creation)."""

from __future__ import annotations

from datetime import datetime

import strawberry

import api.enums  # noqa: F401 - registers ApiRole
from domain import model as dm


@strawberry.type(name="ApiKey", description="An API key of the caller's tenant. The secret is never readable again.")
class ApiKey:
    id: strawberry.ID
    name: str
    role: dm.ApiRole
    prefix: str = strawberry.field(description="the first characters of the secret, enough to recognise it")
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None = strawberry.field(description="may lag by up to a minute")
    revoked_at: datetime | None

    @classmethod
    def from_entity(cls, key: dm.ApiKey) -> ApiKey:
        return cls(
            id=strawberry.ID(str(key.id)),
            name=key.name,
            role=key.role,
            prefix=key.prefix,
            created_at=key.created_at,
            expires_at=key.expires_at,
            last_used_at=key.last_used_at,
            revoked_at=key.revoked_at,
        )


@strawberry.type(name="CreatedApiKey")
class CreatedApiKey:
    api_key: ApiKey
    secret: str = strawberry.field(description="shown once; only a hash is stored")
