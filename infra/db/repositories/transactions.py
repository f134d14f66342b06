"""Charging transactions, and the remote starts that cause some of them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from sqlalchemy import ColumnElement, CursorResult, delete, func, insert, select

from domain.model import RemoteStart, Transaction, TransactionOrigin
from domain.pagination import Page, PageRequest
from domain.queries import ChargingSummary, TransactionFilter
from infra.db.repositories._base import SqlRepository
from infra.db.repositories._keyset import keyset_page
from infra.db.tables import OCPP_NUMBER_SEQUENCE, ocpp_numbers_sqlite, remote_starts, transactions

t = transactions


class SqlTransactionRepository(SqlRepository):
    async def get(self, transaction_id: UUID) -> Transaction | None:
        return await self._get(Transaction, t, transaction_id)

    async def get_many(self, transaction_ids: Sequence[UUID]) -> list[Transaction]:
        return await self._get_many(Transaction, t, transaction_ids)

    async def by_start_key(self, charger_id: UUID, start_key: str) -> Transaction | None:
        query = self._select(t).where(t.c.charger_id == charger_id, t.c.start_key == start_key)
        return await self._first(Transaction, query)

    async def by_ocpp_id(self, charger_id: UUID, ocpp_transaction_id: str) -> Transaction | None:
        query = self._select(t).where(t.c.charger_id == charger_id, t.c.ocpp_transaction_id == ocpp_transaction_id)
        return await self._first(Transaction, query)

    async def next_ocpp_number(self) -> int:
        if self._dialect == "postgresql":
            number: int = (await self._execute(select(OCPP_NUMBER_SEQUENCE.next_value()))).scalar_one()
            return number
        inserted = cast(CursorResult[Any], await self._execute(insert(ocpp_numbers_sqlite)))
        number = inserted.lastrowid
        # AUTOINCREMENT remembers the highest number on its own; older rows are only clutter.
        await self._execute(delete(ocpp_numbers_sqlite).where(ocpp_numbers_sqlite.c.n < number))
        return number

    async def add(self, transaction: Transaction) -> None:
        await self._insert(t, transaction)

    async def update(self, transaction: Transaction) -> None:
        await self._update(t, transaction)

    async def page(self, request: PageRequest, where: TransactionFilter) -> Page[Transaction]:
        query = self._select(t).where(*_filter(where))
        return await keyset_page(self._execute, Transaction, query, [t.c.started_at, t.c.id], request, descending=True)

    async def count_by_vehicle(self, vehicle_ids: Sequence[UUID]) -> dict[UUID, int]:
        if not vehicle_ids:
            return {}
        query = (
            select(t.c.vehicle_id, func.count().label("count"))
            .where(t.c.tenant_id == self._tenant_id, t.c.vehicle_id.in_(set(vehicle_ids)))
            .group_by(t.c.vehicle_id)
        )
        counts = {vehicle_id: 0 for vehicle_id in vehicle_ids}
        counts.update({row["vehicle_id"]: row["count"] for row in (await self._execute(query)).mappings()})
        return counts

    async def summary(
        self, vehicle_id: UUID, started_from: datetime | None, started_to: datetime | None
    ) -> ChargingSummary:
        where = TransactionFilter(vehicle_id=vehicle_id, started_from=started_from, started_to=started_to)
        query = select(
            t.c.origin, t.c.started_at, t.c.stopped_at, t.c.meter_start_wh, t.c.meter_last_wh, t.c.meter_stop_wh
        ).where(t.c.tenant_id == self._tenant_id, *_filter(where))
        # Summed here rather than in SQL: interval arithmetic differs between SQLite and PostgreSQL,
        # and one vehicle's sessions are few.
        sessions = autocharge = energy = seconds = 0
        for row in (await self._execute(query)).mappings():
            sessions += 1
            autocharge += row["origin"] == TransactionOrigin.AUTOCHARGE.value
            end = row["meter_stop_wh"] if row["meter_stop_wh"] is not None else row["meter_last_wh"]
            energy += 0 if end is None else max(0, end - row["meter_start_wh"])
            if row["stopped_at"] is not None:
                seconds += max(0, int((row["stopped_at"] - row["started_at"]).total_seconds()))
        return ChargingSummary(
            sessions=sessions, autocharge_sessions=autocharge, energy_wh=energy, charging_seconds=seconds
        )


def _filter(where: TransactionFilter) -> list[ColumnElement[bool]]:
    equal: dict[str, Any] = {
        "vehicle_id": where.vehicle_id,
        "user_id": where.user_id,
        "charger_id": where.charger_id,
        "origin": where.origin and where.origin.value,
        "status": where.status and where.status.value,
    }
    clauses = [t.c[name] == value for name, value in equal.items() if value is not None]
    if where.started_from is not None:
        clauses.append(t.c.started_at >= where.started_from)
    if where.started_to is not None:
        clauses.append(t.c.started_at < where.started_to)
    return clauses


class SqlRemoteStartRepository(SqlRepository):
    async def add(self, remote_start: RemoteStart) -> None:
        await self._insert(remote_starts, remote_start)

    async def update(self, remote_start: RemoteStart) -> None:
        await self._update(remote_starts, remote_start)

    async def pending(self, charger_id: UUID, id_tag: str, now: datetime) -> RemoteStart | None:
        r = remote_starts
        query = (
            self._select(r)
            .where(
                r.c.charger_id == charger_id, r.c.id_tag == id_tag, r.c.transaction_id.is_(None), r.c.expires_at > now
            )
            .order_by(r.c.created_at.desc())
        )
        return await self._first(RemoteStart, query)
