"""Reading the OCPP frame log (written by the frame journal)."""

from __future__ import annotations

from uuid import UUID

from domain.model import OcppLogEntry
from domain.pagination import Page, PageRequest
from infra.db.repositories._base import SqlRepository
from infra.db.repositories._keyset import keyset_page
from infra.db.tables import ocpp_log_entries

log = ocpp_log_entries


class SqlLogRepository(SqlRepository):
    async def page(self, charger_id: UUID, request: PageRequest, action: str | None = None) -> Page[OcppLogEntry]:
        """Newest first: ids are UUIDv7, so id order is wire order."""
        query = self._select(log).where(log.c.charger_id == charger_id)
        if action is not None:
            query = query.where(log.c.action == action)
        return await keyset_page(self._execute, OcppLogEntry, query, [log.c.id], request, descending=True)
