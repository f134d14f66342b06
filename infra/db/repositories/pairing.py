"""Pairing sessions, whose status changes by compare-and-set."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import bindparam, select, update

from domain.model import PairingSession, PairingStatus
from infra.db.mapping import to_values
from infra.db.prepared import Prepared
from infra.db.repositories._base import SqlRepository
from infra.db.tables import pairing_sessions

p = pairing_sessions
_WAITING_ON_CHARGER = Prepared(
    select(p)
    .where(p.c.tenant_id == bindparam("tenant_id"), p.c.charger_id == bindparam("charger_id"))
    .where(p.c.status == PairingStatus.WAITING_FOR_VEHICLE.value)
    .limit(1)
)
_MUTABLE = ("status", "failure_reason", "identifier_id", "expires_at", "finished_at")


class SqlPairingRepository(SqlRepository):
    async def get(self, session_id: UUID) -> PairingSession | None:
        return await self._get(PairingSession, p, session_id)

    async def get_many(self, session_ids: Sequence[UUID]) -> list[PairingSession]:
        return await self._get_many(PairingSession, p, session_ids)

    async def waiting_on_charger(self, charger_id: UUID) -> PairingSession | None:
        return await self._fetch_first(PairingSession, _WAITING_ON_CHARGER, charger_id=charger_id)

    async def add(self, session: PairingSession) -> None:
        await self._insert(p, session)

    async def transition(self, session: PairingSession, expected: PairingStatus) -> bool:
        """One conditional UPDATE: of two processes finishing the same session, exactly one sees True (and only
        the winner announces the change)."""
        self._check_owner(session)
        values = to_values(session)
        statement = (
            update(p)
            .where(p.c.id == session.id, p.c.tenant_id == self._tenant_id, p.c.status == expected.value)
            .values({name: values[name] for name in _MUTABLE})
        )
        return await self._rowcount(statement) == 1
