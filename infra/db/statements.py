"""What a unit of work's repositories run their Core statements on, and the pooled kind the API's units use.

A unit of work holds one `UnitTransaction`: the repositories only `execute()` statements on it and read its
`dialect`; the unit of work alone commits, rolls back and closes it. Two kinds exist (see infra/db/README.md):
`SessionTransaction` here, an AsyncSession in a transaction of its own (the API's), and the group commit's
`GroupedTransaction` (infra/db/group_commit.py), a SAVEPOINT in a transaction shared by many units (the OCPP
server's).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import Result
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql import Executable

from infra.db import prepared
from infra.db.prepared import Prepared, Row


class Statements(Protocol):
    """What the repositories need: run a statement, or a prepared one (the hot ones, see prepared.py), and know
    the SQL dialect ("postgresql" or "sqlite")."""

    @property
    def dialect(self) -> str: ...

    async def execute(self, statement: Executable, params: Any = None) -> Result[Any]: ...

    async def fetch(self, statement: Prepared, params: Mapping[str, Any]) -> Sequence[Row]: ...


class UnitTransaction(Statements, Protocol):
    """What the unit of work needs besides: end the transaction one way or the other, give back its connection."""

    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...
    async def close(self) -> None: ...


class SessionTransaction:
    """An AsyncSession of its own, opened by the first statement: the API's units of work, like the Directory's."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], dialect: str) -> None:
        self._session_factory = session_factory
        self._dialect = dialect
        self._session: AsyncSession | None = None

    @property
    def dialect(self) -> str:
        return self._dialect

    async def execute(self, statement: Executable, params: Any = None) -> Result[Any]:
        return await self._opened().execute(statement, params)

    async def fetch(self, statement: Prepared, params: Mapping[str, Any]) -> Sequence[Row]:
        """Through SQLAlchemy, whose session owns the transaction (it begins it at its first statement)."""
        return await prepared.fetch(await self._opened().connection(), None, statement, params)

    def _opened(self) -> AsyncSession:
        session = self._session
        if session is None:
            session = self._session = self._session_factory()
        return session

    async def commit(self) -> None:
        if self._session is not None:
            await self._session.commit()

    async def rollback(self) -> None:
        if self._session is not None:
            await self._session.rollback()

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()
