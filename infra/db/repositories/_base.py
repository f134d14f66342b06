"""What every tenant-scoped repository shares: the statements it runs on, the tenant, error translation, row mapping."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from functools import cache
from typing import Any, Protocol, TypeVar, cast
from uuid import UUID

from sqlalchemy import CursorResult, Result, Select, Table, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import Executable

from domain.errors import Invalid, NotFound
from infra.db.errors import translate_errors
from infra.db.mapping import from_row, to_values
from infra.db.prepared import Prepared, Row
from infra.db.statements import Statements

T = TypeVar("T")
"""Called with every entity written, so the unit of work can collect the events it recorded."""


class Owned(Protocol):
    @property
    def tenant_id(self) -> UUID: ...


class Identified(Owned, Protocol):
    @property
    def id(self) -> UUID: ...


class SqlRepository:
    def __init__(self, statements: Statements, tenant_id: UUID) -> None:
        self._statements = statements
        self._tenant_id = tenant_id

    @property
    def _dialect(self) -> str:
        return self._statements.dialect

    async def _execute(self, statement: Executable, params: Any = None) -> Result[Any]:
        with translate_errors():
            return await self._statements.execute(statement, params)

    async def _fetch(self, statement: Prepared, params: Mapping[str, Any]) -> Sequence[Row]:
        with translate_errors():
            return await self._statements.fetch(statement, params)

    async def _fetch_first(self, cls: type[T], statement: Prepared, **params: Any) -> T | None:
        """The first row of a prepared SELECT (which says its own LIMIT) as an entity; the tenant is bound."""
        rows = await self._fetch(statement, {"tenant_id": self._tenant_id, **params})
        return from_row(cls, rows[0]) if rows else None

    async def _rowcount(self, statement: Executable) -> int:
        result = cast(CursorResult[Any], await self._execute(statement))
        return result.rowcount

    async def _first(self, cls: type[T], statement: Select[Any]) -> T | None:
        row = (await self._execute(statement.limit(1))).mappings().first()
        return None if row is None else from_row(cls, row)

    async def _all(self, cls: type[T], statement: Select[Any]) -> list[T]:
        return [from_row(cls, row) for row in (await self._execute(statement)).mappings()]

    def _select(self, table: Table) -> Select[Any]:
        """Every read starts here: only this tenant's rows."""
        return select(table).where(table.c.tenant_id == self._tenant_id)

    async def _get(self, cls: type[T], table: Table, entity_id: UUID) -> T | None:
        return await self._fetch_first(cls, _by_id(table), id=entity_id)

    async def _get_many(self, cls: type[T], table: Table, ids: Collection[UUID]) -> list[T]:
        if not ids:
            return []
        return await self._all(cls, self._select(table).where(table.c.id.in_(set(ids))).order_by(table.c.id))

    def _check_owner(self, entity: Owned) -> None:
        if entity.tenant_id != self._tenant_id:
            what = type(entity).__name__
            raise Invalid(f"{what} of tenant {entity.tenant_id} written by a unit of work of tenant {self._tenant_id}")

    async def _insert(self, table: Table, entity: Owned) -> None:
        self._check_owner(entity)
        values = to_values(entity)
        await self._fetch(_insert(table, tuple(values)), values)

    async def _update(self, table: Table, entity: Identified, columns: Sequence[str] | None = None) -> None:
        """Write the entity's fields (all but its keys, or only `columns`); NotFound when it is not this tenant's."""
        self._check_owner(entity)
        values = to_values(entity)
        written = tuple(k for k in values if k not in _KEYS and (columns is None or k in columns))
        params = {f"set_{name}": values[name] for name in written}
        params["key_id"], params["key_tenant_id"] = entity.id, self._tenant_id
        if len(await self._fetch(_update(table, written), params)) != 1:
            raise NotFound(f"{type(entity).__name__} {entity.id} does not exist")

    def _upsert(self, table: Table) -> postgresql.Insert | sqlite.Insert:
        """INSERT … ON CONFLICT, spelled by the dialect at hand."""
        return postgresql.insert(table) if self._dialect == "postgresql" else sqlite.insert(table)


_KEYS = ("id", "tenant_id")


@cache
def _by_id(table: Table) -> Prepared:
    return Prepared(
        select(table).where(table.c.tenant_id == bindparam("tenant_id"), table.c.id == bindparam("id")).limit(1)
    )


@cache
def _insert(table: Table, columns: tuple[str, ...]) -> Prepared:
    return Prepared(insert(table).values({name: bindparam(name, type_=table.c[name].type) for name in columns}))


@cache
def _update(table: Table, columns: tuple[str, ...]) -> Prepared:
    """UPDATE of `columns` by id and tenant, RETURNING the id: one row back when the row was there."""
    return Prepared(
        update(table)
        .where(table.c.id == bindparam("key_id"), table.c.tenant_id == bindparam("key_tenant_id"))
        .values({name: bindparam(f"set_{name}", type_=table.c[name].type) for name in columns})
        .returning(table.c.id)
    )
