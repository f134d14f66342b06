"""What a unit of work's repositories run their Core statements on, and the pooled kind the API's units use.

A unit of work holds one `UnitTransaction`: the repositories only `execute()` statements on it and read its
`dialect`; the unit of work alone commits, rolls back and closes it. Two kinds exist (see infra/db/README.md):
`PooledTransaction` here, a connection of the pool in a transaction of its own, and the group commit's
`GroupedTransaction` (infra/db/group_commit.py), a SAVEPOINT in a transaction shared by many units.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import Result
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import Executable


class Statements(Protocol):
    """What the repositories need: run a statement, know the SQL dialect ("postgresql" or "sqlite")."""

    @property
    def dialect(self) -> str: ...

    async def execute(self, statement: Executable, params: Any = None) -> Result[Any]: ...


class UnitTransaction(Statements, Protocol):
    """What the unit of work needs besides: end the transaction one way or the other, give back its connection."""

    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...
    async def close(self) -> None: ...


class PooledTransaction:
    """A connection of the engine's pool, checked out and begun by the first statement, committed on its own."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    async def execute(self, statement: Executable, params: Any = None) -> Result[Any]:
        connection = self._connection
        if connection is None:
            connection = self._connection = await self._engine.connect()
        return await connection.execute(statement, params)

    async def commit(self) -> None:
        if self._connection is not None:
            await self._connection.commit()

    async def rollback(self) -> None:
        if self._connection is not None:
            await self._connection.rollback()

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()
