"""Lookups made before a tenant is known (API keys, OCPP handshakes) or across every tenant (housekeeping)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast
from uuid import UUID

from sqlalchemy import CursorResult, Result, delete, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql import Executable

from domain.model import ApiRole, ConnectionState, PairingStatus, Principal, Tenant
from domain.model.tenants import ApiKey
from domain.queries import ChargerLogin, RecordedConnection
from infra.db.errors import translate_errors
from infra.db.mapping import from_row, to_values
from infra.db.tables import api_keys, chargers, ocpp_log_dead_letters, ocpp_log_entries, pairing_sessions, tenants


class SqlDirectory:
    """Each call is its own short transaction."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    async def add_tenant(self, tenant: Tenant) -> None:
        await self._write(insert(tenants).values(to_values(tenant)))

    async def tenant_by_slug(self, slug: str) -> Tenant | None:
        row = (await self._read(select(tenants).where(tenants.c.slug == slug))).mappings().first()
        return None if row is None else from_row(Tenant, row)

    async def add_api_key(self, key: ApiKey) -> None:
        await self._write(insert(api_keys).values(to_values(key)))

    async def principal_for_key(self, key_hash: str) -> Principal | None:
        query = (
            select(api_keys.c.tenant_id, tenants.c.name, api_keys.c.role)
            .join(tenants, tenants.c.id == api_keys.c.tenant_id)
            .where(api_keys.c.key_hash == key_hash, api_keys.c.revoked_at.is_(None))
        )
        row = (await self._read(query)).mappings().first()
        return (
            None
            if row is None
            else Principal(tenant_id=row["tenant_id"], tenant_name=row["name"], role=ApiRole(row["role"]))
        )

    async def charger_login(self, charge_point_id: str) -> ChargerLogin | None:
        query = select(
            chargers.c.tenant_id,
            chargers.c.id.label("charger_id"),
            chargers.c.charge_point_id,
            chargers.c.password_hash,
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

    async def recorded_connections(self, seen_before: datetime) -> list[RecordedConnection]:
        c = chargers
        query = (
            select(c.c.tenant_id, c.c.id.label("charger_id"), c.c.charge_point_id, c.c.connection_id)
            .where(
                c.c.connection_state == ConnectionState.CONNECTED.value,
                c.c.connection_id.is_not(None),
                c.c.last_seen_at < seen_before,
            )
            .order_by(c.c.last_seen_at)
        )
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

    async def _write(self, statement: Executable) -> int:
        """Run one statement in its own transaction; returns the number of rows it touched."""
        with translate_errors():
            async with self._session_factory() as session, session.begin():
                result = cast(CursorResult[Any], await session.execute(statement))
                return result.rowcount
