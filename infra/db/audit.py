"""The audit log in the database: entries written with the change they record, or on their own; read newest first."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from sqlalchemy import CursorResult, Result, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql import Executable

from domain.ids import utcnow
from domain.model.audit import AuditEntry
from domain.pagination import Page, PageRequest
from domain.services import audit
from infra.db.errors import translate_errors
from infra.db.mapping import to_values
from infra.db.repositories._keyset import keyset_page
from infra.db.tables import audit_entries

Execute = Callable[[Executable], Awaitable[Result[Any]]]


async def stage(execute: Execute, tenant_id: UUID) -> audit.AuditRecord | None:
    """Insert the current operation's entry (outcome OK) in the caller's transaction, when there is one to write.

    Returns the record: the caller marks it written once its transaction has committed.
    """
    record = audit.pending(tenant_id)
    if record is not None:
        await execute(insert(audit_entries).values(to_values(record.entry(utcnow(), audit.OK))))
    return record


class SqlAuditTrail:
    """Each call is its own short transaction."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    async def add(self, entry: AuditEntry) -> None:
        with translate_errors():
            async with self._session_factory() as session, session.begin():
                await session.execute(insert(audit_entries).values(to_values(entry)))

    async def page(self, tenant_id: UUID, request: PageRequest, operation: str | None) -> Page[AuditEntry]:
        a = audit_entries.c
        query = select(audit_entries).where(a.tenant_id == tenant_id)
        if operation is not None:
            query = query.where(a.operation == operation)
        with translate_errors():
            async with self._session_factory() as session:

                async def execute(statement: Executable) -> Result[Any]:
                    return await session.execute(statement)

                return await keyset_page(execute, AuditEntry, query, [a.at, a.id], request, descending=True)

    async def purge(self, before: datetime) -> int:
        with translate_errors():
            async with self._session_factory() as session, session.begin():
                result = await session.execute(delete(audit_entries).where(audit_entries.c.at < before))
                return cast(CursorResult[Any], result).rowcount
