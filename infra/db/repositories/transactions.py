"""Charging transactions, and the remote starts that cause some of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    CursorResult,
    Integer,
    bindparam,
    case,
    delete,
    extract,
    func,
    insert,
    select,
)

from domain.model import AuthorizationStatus, RemoteStart, Transaction, TransactionOrigin, TransactionStatus
from domain.pagination import Page, PageRequest
from domain.queries import ChargingSummary, TransactionFilter
from infra.db.prepared import Prepared
from infra.db.repositories._base import SqlRepository
from infra.db.repositories._keyset import keyset_page
from infra.db.tables import OCPP_NUMBER_SEQUENCE, ocpp_numbers_sqlite, remote_starts, transactions

t = transactions


def in_use_elsewhere(tenant: ColumnElement[bool], id_tag: Any, charger_id: Any) -> list[ColumnElement[bool]]:
    """The conditions of concurrent use, shared with the token facts' statement: an ACTIVE, accepted transaction of
    the token on another charger (the index ix_transactions_tenant_id_tag_status serves them)."""
    return [
        tenant,
        t.c.id_tag == id_tag,
        t.c.status == TransactionStatus.ACTIVE.value,
        t.c.authorization == AuthorizationStatus.ACCEPTED.value,
        t.c.charger_id != charger_id,
    ]


def _of_charger(column: str) -> Prepared:
    """A charger's transaction by one of its keys: the start key or the OCPP transaction id."""
    return Prepared(
        select(t)
        .where(t.c.tenant_id == bindparam("tenant_id"), t.c.charger_id == bindparam("charger_id"))
        .where(t.c[column] == bindparam("key"))
        .limit(1)
    )


_BY_START_KEY = _of_charger("start_key")
_BY_OCPP_ID = _of_charger("ocpp_transaction_id")
_IN_USE_ELSEWHERE = Prepared(
    select(t.c.charger_id)
    .where(*in_use_elsewhere(t.c.tenant_id == bindparam("tenant_id"), bindparam("id_tag"), bindparam("charger_id")))
    .limit(1)
)
_NEXT_OCPP_NUMBER = Prepared(select(OCPP_NUMBER_SEQUENCE.next_value().label("n")))


class SqlTransactionRepository(SqlRepository):
    async def get(self, transaction_id: UUID) -> Transaction | None:
        return await self._get(Transaction, t, transaction_id)

    async def get_many(self, transaction_ids: Sequence[UUID]) -> list[Transaction]:
        return await self._get_many(Transaction, t, transaction_ids)

    async def by_start_key(self, charger_id: UUID, start_key: str) -> Transaction | None:
        return await self._fetch_first(Transaction, _BY_START_KEY, charger_id=charger_id, key=start_key)

    async def by_ocpp_id(self, charger_id: UUID, ocpp_transaction_id: str) -> Transaction | None:
        return await self._fetch_first(Transaction, _BY_OCPP_ID, charger_id=charger_id, key=ocpp_transaction_id)

    async def in_use_elsewhere(self, id_tag: str, charger_id: UUID) -> UUID | None:
        params = {"tenant_id": self._tenant_id, "id_tag": id_tag, "charger_id": charger_id}
        rows = await self._fetch(_IN_USE_ELSEWHERE, params)
        found: UUID | None = rows[0]["charger_id"] if rows else None
        return found

    async def next_ocpp_number(self) -> int:
        if self._dialect == "postgresql":
            number: int = (await self._fetch(_NEXT_OCPP_NUMBER, {}))[0]["n"]
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
        listed = replace(request, with_total=False)
        page = await keyset_page(self._execute, Transaction, query, [t.c.started_at, t.c.id], listed, descending=True)
        if not request.with_total:
            return page
        if request.after is None and not page.has_next:
            # A first page that holds every matching row is its own count: a vehicle's whole history usually fits
            # in one page, which then costs one statement instead of two.
            return replace(page, total_count=len(page.items))
        count = query.with_only_columns(func.count(), maintain_column_froms=True)
        return replace(page, total_count=(await self._execute(count)).scalar_one())

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
        end = func.coalesce(t.c.meter_stop_wh, t.c.meter_last_wh)
        # One aggregate row over the (tenant_id, vehicle_id, started_at) index. Per session, as before: energy
        # is max(0, end - start) (0 without a reading), time is max(0, whole seconds) (0 while running).
        query = select(
            func.count().label("sessions"),
            func.sum(case((t.c.origin == TransactionOrigin.AUTOCHARGE.value, 1), else_=0)).label("autocharge"),
            func.sum(case((end > t.c.meter_start_wh, end - t.c.meter_start_wh), else_=0)).label("energy"),
            func.sum(case((t.c.stopped_at > t.c.started_at, self._whole_seconds()), else_=0)).label("seconds"),
        ).where(t.c.tenant_id == self._tenant_id, *_filter(where))
        row = (await self._execute(query)).mappings().one()
        return ChargingSummary(
            sessions=int(row["sessions"]),
            autocharge_sessions=int(row["autocharge"] or 0),
            energy_wh=int(row["energy"] or 0),
            charging_seconds=int(row["seconds"] or 0),
        )

    def _whole_seconds(self) -> ColumnElement[int]:
        """stopped_at - started_at in whole seconds, truncated, for rows where it is positive."""
        if self._dialect == "postgresql":
            epoch = extract("epoch", t.c.stopped_at - t.c.started_at)  # numeric: exact to the microsecond
            return func.trunc(epoch).cast(BigInteger)
        # SQLite has no intervals. The stored text is 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC): whole seconds from
        # strftime('%s') of the text before the fraction (given the fraction, it rounds to milliseconds), then
        # the microseconds from the text, all in integers so that truncating stays exact.
        micros = [
            func.strftime("%s", func.substr(column, 1, 19)).cast(BigInteger) * 1_000_000
            + func.substr(column, 21, 6).cast(Integer)
            for column in (t.c.stopped_at, t.c.started_at)
        ]
        return (micros[0] - micros[1]) // 1_000_000


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
