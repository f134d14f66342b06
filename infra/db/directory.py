"""Lookups made before a tenant is known (API keys, OCPP handshakes) or across every tenant (housekeeping)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from sqlalchemy import CursorResult, Result, delete, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql import Executable

from domain.model import ApiRole, ConnectionState, PairingStatus, Principal, Tenant
from domain.model.tenants import ApiKey
from domain.queries import ChargerLogin, RecordedConnection, RevokedKey
from infra.db import audit
from infra.db.errors import translate_errors
from infra.db.mapping import from_row, to_values
from infra.db.tables import api_keys, chargers, ocpp_log_dead_letters, ocpp_log_entries, pairing_sessions, tenants


class SqlDirectory:
    """Each call is its own short transaction."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    async def add_tenant(self, tenant: Tenant) -> None:
        await self._write(insert(tenants).values(to_values(tenant)), audited=tenant.id)

    async def tenant_by_slug(self, slug: str) -> Tenant | None:
        row = (await self._read(select(tenants).where(tenants.c.slug == slug))).mappings().first()
        return None if row is None else from_row(Tenant, row)

    async def add_api_key(self, key: ApiKey) -> None:
        await self._write(insert(api_keys).values(to_values(key)), audited=key.tenant_id)

    async def principal_for_key(self, key_hash: str) -> Principal | None:
        k = api_keys.c
        query = (
            select(k.tenant_id, tenants.c.name, k.role, k.id, k.expires_at)
            .join(tenants, tenants.c.id == k.tenant_id)
            .where(k.key_hash == key_hash, k.revoked_at.is_(None))
        )
        row = (await self._read(query)).mappings().first()
        if row is None:
            return None
        return Principal(
            tenant_id=row["tenant_id"],
            tenant_name=row["name"],
            role=ApiRole(row["role"]),
            key_id=row["id"],
            expires_at=row["expires_at"],
        )

    async def api_keys(self, tenant_id: UUID, include_revoked: bool) -> list[ApiKey]:
        query = select(api_keys).where(api_keys.c.tenant_id == tenant_id)
        if not include_revoked:
            query = query.where(api_keys.c.revoked_at.is_(None))
        rows = (await self._read(query.order_by(api_keys.c.created_at, api_keys.c.id))).mappings()
        return [from_row(ApiKey, row) for row in rows]

    async def api_key_tenant(self, key_id: UUID) -> UUID | None:
        tenant_id: UUID | None = (
            await self._read(select(api_keys.c.tenant_id).where(api_keys.c.id == key_id))
        ).scalar_one_or_none()
        return tenant_id

    async def revoke_api_key(self, tenant_id: UUID, key_id: UUID, at: datetime) -> ApiKey | None:
        mine = (api_keys.c.tenant_id == tenant_id, api_keys.c.id == key_id)
        with translate_errors():
            async with self._session_factory() as session, session.begin():
                await session.execute(
                    update(api_keys).where(*mine, api_keys.c.revoked_at.is_(None)).values(revoked_at=at)
                )
                row = (await session.execute(select(api_keys).where(*mine))).mappings().first()
                return None if row is None else from_row(ApiKey, row)

    async def revoked_since(self, since: datetime) -> list[RevokedKey]:
        k = api_keys.c
        query = (
            select(k.tenant_id, k.id.label("key_id"), k.revoked_at).where(k.revoked_at > since).order_by(k.revoked_at)
        )
        return [from_row(RevokedKey, row) for row in (await self._read(query)).mappings()]

    async def record_key_use(self, last_used: Mapping[UUID, datetime]) -> None:
        k = api_keys.c
        # One statement per key, in one transaction: a flush covers the keys used in a minute, a handful.
        with translate_errors():
            async with self._session_factory() as session, session.begin():
                for key_id, at in last_used.items():
                    newer = or_(k.last_used_at.is_(None), k.last_used_at < at)
                    await session.execute(update(api_keys).where(k.id == key_id, newer).values(last_used_at=at))

    async def charger_login(self, charge_point_id: str) -> ChargerLogin | None:
        query = select(
            chargers.c.tenant_id,
            chargers.c.id.label("charger_id"),
            chargers.c.charge_point_id,
            chargers.c.password_hash,
            chargers.c.security_profile,
        ).where(chargers.c.charge_point_id == charge_point_id)
        row = (await self._read(query)).mappings().first()
        return None if row is None else from_row(ChargerLogin, row)

    async def due_pairing_sessions(self, now: datetime) -> list[tuple[UUID, UUID]]:
        p = pairing_sessions
        query = (
            select(p.c.tenant_id, p.c.id)
            .where(p.c.status == PairingStatus.WAITING_FOR_VEHICLE.value, p.c.expires_at <= now)
            .order_by(p.c.expires_at, p.c.id)
        )
        return [(row["tenant_id"], row["id"]) for row in (await self._read(query)).mappings()]

    async def purge_logs(self, before: datetime) -> int:
        """Log entries, and frames set aside as dead letters, older than `before`; one transaction."""
        with translate_errors():
            async with self._session_factory() as session, session.begin():
                purged = 0
                for statement in (
                    delete(ocpp_log_entries).where(ocpp_log_entries.c.timestamp < before),
                    delete(ocpp_log_dead_letters).where(ocpp_log_dead_letters.c.timestamp < before),
                ):
                    purged += cast(CursorResult[Any], await session.execute(statement)).rowcount
                return purged

    async def recorded_connections(
        self, seen_before: datetime, after: UUID | None = None, limit: int = 500
    ) -> list[RecordedConnection]:
        c = chargers
        query = (
            select(c.c.tenant_id, c.c.id.label("charger_id"), c.c.charge_point_id, c.c.connection_id)
            .where(
                c.c.connection_state == ConnectionState.CONNECTED.value,
                c.c.connection_id.is_not(None),
                c.c.last_seen_at < seen_before,
            )
            .order_by(c.c.id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(c.c.id > after)
        return [from_row(RecordedConnection, row) for row in (await self._read(query)).mappings()]

    async def chargers_with_local_list(self) -> list[tuple[UUID, UUID, str]]:
        c = chargers
        query = (
            select(c.c.tenant_id, c.c.id, c.c.charge_point_id)
            .where(c.c.local_list_version.is_not(None), c.c.connection_state == ConnectionState.CONNECTED.value)
            .order_by(c.c.id)
        )
        rows = (await self._read(query)).mappings()
        return [(row["tenant_id"], row["id"], row["charge_point_id"]) for row in rows]

    async def ping(self) -> None:
        await self._read(select(text("1")))

    async def _read(self, statement: Executable) -> Result[Any]:
        with translate_errors():
            async with self._session_factory() as session:
                result = await session.execute(statement)
                # Buffered, so the rows outlive the session that fetched them.
                return result.freeze()()

    async def _write(self, statement: Executable, *, audited: UUID | None = None) -> int:
        """Run one statement in its own transaction; returns the number of rows it touched.

        With `audited` (a tenant), the current operation's audit entry is written in the same transaction.
        """
        with translate_errors():
            async with self._session_factory() as session, session.begin():
                result = cast(CursorResult[Any], await session.execute(statement))
                staged = None if audited is None else await audit.stage(session.execute, audited)
            if staged is not None:
                staged.written = True
            return result.rowcount
