"""What the API tests add to the unit fakes: a directory of keys, paged logs, and publishing on a real bus."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.errors import Unavailable
from domain.events import DomainEvent
from domain.model import ApiKey, OcppLogEntry, Principal, Tenant
from domain.pagination import Page, PageRequest
from domain.ports import EventBus
from domain.queries import ChargerLogin, RevokedKey
from domain.secrets import hash_api_key
from tests.unit.fakes import FakeLogs, FakeUnitOfWork, Store


def _revoked_at(key: ApiKey) -> datetime:
    assert key.revoked_at is not None
    return key.revoked_at


class FakeDirectory:
    """API keys by hash; ping fails on demand, for /ready."""

    def __init__(self) -> None:
        self.principals: dict[str, Principal] = {}
        self.keys: dict[UUID, ApiKey] = {}
        self.down: str | None = None

    def add_key(self, key: str, principal: Principal) -> None:
        self.principals[hash_api_key(key)] = principal

    async def add_tenant(self, tenant: Tenant) -> None:
        raise NotImplementedError

    async def tenant_by_slug(self, slug: str) -> Tenant | None:
        return None

    async def add_api_key(self, key: ApiKey) -> None:
        self.keys[key.id] = key
        principal = Principal(key.tenant_id, "", key.role, key_id=key.id, expires_at=key.expires_at)
        self.principals[key.key_hash] = principal

    async def api_keys(self, tenant_id: UUID, include_revoked: bool) -> list[ApiKey]:
        mine = [key for key in self.keys.values() if key.tenant_id == tenant_id]
        return [key for key in mine if include_revoked or key.revoked_at is None]

    async def api_key_tenant(self, key_id: UUID) -> UUID | None:
        key = self.keys.get(key_id)
        return None if key is None else key.tenant_id

    async def revoke_api_key(self, tenant_id: UUID, key_id: UUID, at: datetime) -> ApiKey | None:
        key = self.keys.get(key_id)
        if key is None or key.tenant_id != tenant_id:
            return None
        if key.revoked_at is None:
            key.revoked_at = at
            self.principals.pop(key.key_hash, None)
        return key

    async def revoked_since(self, since: datetime) -> list[RevokedKey]:
        revoked = [key for key in self.keys.values() if key.revoked_at is not None and key.revoked_at > since]
        return [RevokedKey(key.tenant_id, key.id, key.revoked_at) for key in sorted(revoked, key=_revoked_at)]

    async def record_key_use(self, last_used: Mapping[UUID, datetime]) -> None:
        for key_id, at in last_used.items():
            if (key := self.keys.get(key_id)) is not None:
                key.last_used_at = max(at, key.last_used_at or at)

    async def principal_for_key(self, key_hash: str) -> Principal | None:
        return self.principals.get(key_hash)

    async def charger_login(self, charge_point_id: str) -> ChargerLogin | None:
        return None

    async def due_pairing_sessions(self, now: datetime) -> list[tuple[UUID, UUID]]:
        return []

    async def purge_logs(self, before: datetime) -> int:
        return 0

    async def ping(self) -> None:
        if self.down is not None:
            raise Unavailable(self.down)


class PagedLogs(FakeLogs):
    async def page(self, charger_id: UUID, request: PageRequest, action: str | None = None) -> Page[OcppLogEntry]:
        items = [e for e in self.mine() if e.charger_id == charger_id and (action is None or e.action == action)]
        items.sort(key=lambda e: e.id, reverse=True)
        return self._page(items, request)

    async def add(self, entity: Any) -> None:
        self.rows[entity.id] = entity


class ApiUnitOfWork(FakeUnitOfWork):
    """Publishes what it committed on the bus, as the real unit of work does, and counts its openings."""

    opened = 0

    def __init__(self, store: Store, tenant_id: UUID, bus: EventBus) -> None:
        super().__init__(store, tenant_id)
        self.logs = PagedLogs(self)
        self.bus = bus

    async def __aenter__(self) -> ApiUnitOfWork:
        type(self).opened += 1
        await super().__aenter__()
        return self

    async def commit(self) -> None:
        before = len(self.store.published)
        await super().commit()
        events: list[DomainEvent] = self.store.published[before:]
        if events:
            await self.bus.publish(self.tenant_id, events)
