"""Reading the OCPP frames the log set aside (ocpp_log_dead_letters, written by infra/db/frame_journal.py).

A dead letter carries the tenant its connection knew, with no foreign key (the row must land even when its
charger or tenant is gone): each read names its tenant, so a tenant's admins see only their own frames, and
one filed under a tenant that no longer exists is seen by nobody through the API (it stays in the process
log and the ocpp_log_dead_letters_total count).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import Result, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql import Executable

from domain.model.dead_letters import OcppDeadLetter
from domain.pagination import Page, PageRequest
from infra.db.errors import translate_errors
from infra.db.repositories._keyset import keyset_page
from infra.db.tables import ocpp_log_dead_letters

letters = ocpp_log_dead_letters


class SqlDeadLetters:
    """Each read is its own short transaction."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    async def page(self, tenant_id: UUID, request: PageRequest, charger_id: UUID | None) -> Page[OcppDeadLetter]:
        """Newest set aside first (failed_at, then id: ids are time-ordered)."""
        query = select(letters).where(letters.c.tenant_id == tenant_id)
        if charger_id is not None:
            query = query.where(letters.c.charger_id == charger_id)
        keys = [letters.c.failed_at, letters.c.id]
        with translate_errors():
            async with self._session_factory() as session:

                async def execute(statement: Executable) -> Result[Any]:
                    return await session.execute(statement)

                return await keyset_page(execute, OcppDeadLetter, query, keys, request, descending=True)
