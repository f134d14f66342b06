from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


class ApiRole(enum.StrEnum):
    ADMIN = "ADMIN"
    READ_ONLY = "READ_ONLY"


@dataclass(kw_only=True)
class Tenant:
    id: UUID
    name: str
    slug: str
    created_at: datetime


@dataclass(kw_only=True)
class ApiKey:
    """Only a hash of the key is kept; the key itself is shown once, at creation."""

    id: UUID
    tenant_id: UUID
    role: ApiRole
    key_hash: str
    prefix: str  # the first characters of the key, so an operator can tell keys apart
    created_at: datetime
    name: str = ""
    expires_at: datetime | None = None
    last_used_at: datetime | None = None  # written in batches: may lag behind the last use (see KeyUsage)
    revoked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: resolved from an API key, scopes every operation to one tenant."""

    tenant_id: UUID
    tenant_name: str
    role: ApiRole
    key_id: UUID | None = None  # the API key it came from
    expires_at: datetime | None = None  # the key's expiry, checked on every use

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    @property
    def can_write(self) -> bool:
        return self.role is ApiRole.ADMIN
