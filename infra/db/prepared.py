"""Statements built once and run without SQLAlchemy's per-execution work: the OCPP server's hot statements.

A `Prepared` is a Core statement built once with named bind parameters (`bindparam("name")`). Where the caller
holds the connection's asyncpg connection (the group commit's batches on PostgreSQL, which say BEGIN and COMMIT
themselves: see group_commit.py), it is compiled once, for asyncpg, into SQL text and the order of its
parameters, and `fetch()` runs that text on the driver, which prepares it once per connection and caches it.
The bind processors of the statement's column types are applied to the values, so what is stored is what
SQLAlchemy would store. Through the engine, SQLAlchemy's work per execution (coercing, keying its cache,
building parameters, wrapping the cursor, processing rows) cost several times the CPU of the statement
itself, on every frame.

Elsewhere (SQLite, and the API's sessions, whose transactions SQLAlchemy begins) the same statement runs
through SQLAlchemy. Either way the caller gets a sequence of mappings from column name to value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Delete, Dialect, Insert, Select, Update
from sqlalchemy.dialects.postgresql import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection

Row = Mapping[Any, Any]

_DIALECT: Dialect = asyncpg.dialect()  # type: ignore[no-untyped-call]


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    order: tuple[str, ...]  # the parameters' names, in the order of $1, $2, ...
    constants: dict[str, Any]
    processors: tuple[Callable[[Any], Any] | None, ...]


class Prepared:
    """A Core statement, built once, with its SQL for asyncpg compiled once."""

    def __init__(self, statement: Select[Any] | Insert | Update | Delete) -> None:
        self.statement = statement
        self._compiled: _Compiled | None = None

    def arguments(self, params: Mapping[str, Any]) -> tuple[str, list[Any]]:
        """The SQL for asyncpg and its positional values: the named ones given, the constants, each processed."""
        compiled = self._compiled or self._compile()
        values = {**compiled.constants, **params}
        return compiled.sql, [
            value if processor is None or value is None else processor(value)
            for value, processor in zip((values[name] for name in compiled.order), compiled.processors, strict=True)
        ]

    def _compile(self) -> _Compiled:
        """Compiled on first use on PostgreSQL (a statement spelled for SQLite's dialect is never compiled here)."""
        compiled = self.statement.compile(dialect=_DIALECT)
        if "POSTCOMPILE" in compiled.string:
            # An expanding IN (...) is rendered per execution: it cannot be compiled once.
            raise ValueError(f"a prepared statement cannot have parameters rendered per execution: {compiled}")
        order = tuple(compiled.positiontup or ())
        processors = {name: bind.type.bind_processor(_DIALECT) for name, bind in compiled.binds.items()}
        self._compiled = _Compiled(
            sql=compiled.string,
            order=order,
            constants=dict(compiled.params),  # the values of literals bound by SQLAlchemy (limits, enums)
            processors=tuple(processors.get(name) for name in order),
        )
        return self._compiled


async def driver_of(connection: AsyncConnection) -> Any:
    """The asyncpg connection under a PostgreSQL connection (None on SQLite): what `fetch()` runs on."""
    if connection.dialect.name != "postgresql":
        return None
    return (await connection.get_raw_connection()).driver_connection


async def fetch(
    connection: AsyncConnection, driver: Any, prepared: Prepared, params: Mapping[str, Any]
) -> Sequence[Row]:
    """Run a prepared statement on an open connection, in whatever transaction it is in; its rows as mappings.

    `driver` is `driver_of(connection)`, looked up once per connection by the caller.
    """
    if driver is None:
        result = await connection.execute(prepared.statement, dict(params))
        return result.mappings().all() if result.returns_rows else ()
    sql, arguments = prepared.arguments(params)
    rows: Sequence[Row] = await driver.fetch(sql, *arguments)
    return rows
