"""Chargers, their connectors, and the identifiers they saw that matched nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from sqlalchemy import bindparam, delete, update
from sqlalchemy.dialects import postgresql, sqlite

from domain.model import Charger, Connector, UnrecognisedIdentifier
from domain.pagination import Page, PageRequest
from infra.db.mapping import from_row, to_values
from infra.db.prepared import Prepared
from infra.db.repositories._base import SqlRepository
from infra.db.repositories._keyset import keyset_page
from infra.db.tables import chargers, connectors, unrecognised_identifiers

# Every column a charger's update writes: not local_list_version, written only when a charger accepts a list
# (SqlLocalListRepository.record_accepted), so that a concurrent update (a heartbeat's) cannot undo it.
_UPDATED = [c.name for c in chargers.c if c.name not in ("id", "tenant_id", "local_list_version")]


_TOUCH = Prepared(
    update(chargers)
    .where(chargers.c.tenant_id == bindparam("key_tenant_id"), chargers.c.id == bindparam("key_id"))
    .values(last_seen_at=bindparam("seen_at", type_=chargers.c.last_seen_at.type))
    .returning(*chargers.c)
)


class SqlChargerRepository(SqlRepository):
    async def get(self, charger_id: UUID) -> Charger | None:
        return await self._get(Charger, chargers, charger_id)

    async def get_many(self, charger_ids: Sequence[UUID]) -> list[Charger]:
        return await self._get_many(Charger, chargers, charger_ids)

    async def by_charge_point_id(self, charge_point_id: str) -> Charger | None:
        return await self._first(Charger, self._select(chargers).where(chargers.c.charge_point_id == charge_point_id))

    async def add(self, charger: Charger) -> None:
        await self._insert(chargers, charger)

    async def update(self, charger: Charger) -> None:
        await self._update(chargers, charger, _UPDATED)

    async def touch(self, charger_id: UUID, seen_at: datetime) -> Charger | None:
        rows = await self._fetch(_TOUCH, {"key_tenant_id": self._tenant_id, "key_id": charger_id, "seen_at": seen_at})
        return from_row(Charger, rows[0]) if rows else None

    async def page(self, request: PageRequest) -> Page[Charger]:
        query = self._select(chargers)
        return await keyset_page(self._execute, Charger, query, [chargers.c.id], request, descending=False)


class SqlConnectorRepository(SqlRepository):
    async def upsert(self, connector: Connector) -> None:
        self._check_owner(connector)
        await self._fetch(_UPSERT_CONNECTOR[self._dialect], to_values(connector))

    async def for_chargers(self, charger_ids: Sequence[UUID]) -> list[Connector]:
        if not charger_ids:
            return []
        query = self._select(connectors).where(connectors.c.charger_id.in_(set(charger_ids)))
        return await self._all(Connector, query.order_by(connectors.c.charger_id, connectors.c.connector_id))


def _upsert_connector(insert: postgresql.Insert | sqlite.Insert) -> Prepared:
    """A connector's status, inserted or updated in one statement (a tenant never overwrites another's row)."""
    inserted = insert.values({c.name: bindparam(c.name, type_=c.type) for c in connectors.c})
    return Prepared(
        inserted.on_conflict_do_update(
            index_elements=[connectors.c.charger_id, connectors.c.connector_id],
            set_={"status": inserted.excluded.status, "updated_at": inserted.excluded.updated_at},
            where=connectors.c.tenant_id == bindparam("tenant_id"),
        )
    )


_UPSERT_CONNECTOR = {
    "postgresql": _upsert_connector(postgresql.insert(connectors)),
    "sqlite": _upsert_connector(sqlite.insert(connectors)),
}


class SqlUnrecognisedIdentifierRepository(SqlRepository):
    async def record(self, charger_id: UUID, value: str, now: datetime) -> None:
        t = unrecognised_identifiers
        insert = self._upsert(t).values(
            tenant_id=self._tenant_id,
            charger_id=charger_id,
            value=value,
            first_seen_at=now,
            last_seen_at=now,
            times_seen=1,
        )
        # One statement, so two chargers reporting at once cannot both insert or lose a count.
        await self._execute(
            insert.on_conflict_do_update(
                index_elements=[t.c.tenant_id, t.c.charger_id, t.c.value],
                set_={"times_seen": t.c.times_seen + 1, "last_seen_at": insert.excluded.last_seen_at},
            )
        )

    async def forget(self, value: str) -> None:
        t = unrecognised_identifiers
        await self._execute(delete(t).where(t.c.tenant_id == self._tenant_id, t.c.value == value))

    async def latest(self, charger_id: UUID | None, limit: int) -> list[UnrecognisedIdentifier]:
        t = unrecognised_identifiers
        query = self._select(t)
        if charger_id is not None:
            query = query.where(t.c.charger_id == charger_id)
        query = query.order_by(t.c.last_seen_at.desc(), t.c.charger_id, t.c.value).limit(limit)
        return await self._all(UnrecognisedIdentifier, query)

    async def last_on_charger(self, charger_id: UUID, since: datetime) -> UnrecognisedIdentifier | None:
        t = unrecognised_identifiers
        query = self._select(t).where(t.c.charger_id == charger_id, t.c.last_seen_at >= since)
        return await self._first(UnrecognisedIdentifier, query.order_by(t.c.last_seen_at.desc(), t.c.value))

    async def suggest(self, row: UnrecognisedIdentifier) -> None:
        self._check_owner(row)
        t = unrecognised_identifiers
        await self._execute(
            update(t)
            .where(t.c.tenant_id == self._tenant_id, t.c.charger_id == row.charger_id, t.c.value == row.value)
            .values(
                suggested_user_id=row.suggested_user_id,
                suggested_vehicle_id=row.suggested_vehicle_id,
                suggested_at=row.suggested_at,
            )
        )
