"""One tenant's atomic change on one AsyncSession; events are published only once it is committed."""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any, Self, cast
from uuid import UUID

from sqlalchemy import Result
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.sql import Executable

from domain.events import DomainEvent
from domain.ports import (
    ChargerRepository,
    ChargerSettingRepository,
    ConnectorRepository,
    EventBus,
    IdentifierRepository,
    LocalListRepository,
    LogRepository,
    PairingRepository,
    RemoteStartRepository,
    RfidTagRepository,
    TransactionRepository,
    UnitOfWork,
    UnrecognisedIdentifierRepository,
    UserRepository,
    VehicleRepository,
)
from infra.db import audit
from infra.db.errors import translate_errors
from infra.db.repositories import (
    SqlChargerRepository,
    SqlChargerSettingRepository,
    SqlConnectorRepository,
    SqlIdentifierRepository,
    SqlLocalListRepository,
    SqlLogRepository,
    SqlPairingRepository,
    SqlRemoteStartRepository,
    SqlRfidTagRepository,
    SqlTransactionRepository,
    SqlUnrecognisedIdentifierRepository,
    SqlUserRepository,
    SqlVehicleRepository,
)

logger = logging.getLogger(__name__)


class _Connection:
    """What the repositories execute on: a Core connection, checked out and begun by the first statement.

    The repositories only run Core statements and map rows by hand, so the ORM Session (identity map,
    flush, its own transaction states) was pure overhead on every statement and commit; the round trips
    are the same.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None

    def get_bind(self) -> AsyncEngine:
        return self._engine

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


class SqlUnitOfWork:
    """`async with uow: ...; await uow.commit()`: anything not committed is rolled back on exit.

    Events are given with `publish()`, the one way a use case announces a change; commit hands them to the bus,
    in that order, once the commit succeeded, and a rollback drops them.
    """

    users: UserRepository
    rfid_tags: RfidTagRepository
    vehicles: VehicleRepository
    identifiers: IdentifierRepository
    chargers: ChargerRepository
    connectors: ConnectorRepository
    settings: ChargerSettingRepository
    local_list: LocalListRepository
    unrecognised: UnrecognisedIdentifierRepository
    transactions: TransactionRepository
    remote_starts: RemoteStartRepository
    pairing: PairingRepository
    logs: LogRepository

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], tenant_id: UUID, bus: EventBus) -> None:
        self.tenant_id = tenant_id
        self._engine: AsyncEngine = session_factory.kw["bind"]
        self._bus = bus
        self._session: _Connection | None = None
        self._events: list[DomainEvent] = []

    async def __aenter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("this unit of work is already in use")
        session = self._session = _Connection(self._engine)
        # The repositories' type says AsyncSession; they use only execute() and get_bind(), which this has.
        args = (cast(AsyncSession, session), self.tenant_id)
        self.users = SqlUserRepository(*args)
        self.rfid_tags = SqlRfidTagRepository(*args)
        self.vehicles = SqlVehicleRepository(*args)
        self.identifiers = SqlIdentifierRepository(*args)
        self.chargers = SqlChargerRepository(*args)
        self.connectors = SqlConnectorRepository(*args)
        self.settings = SqlChargerSettingRepository(*args)
        self.local_list = SqlLocalListRepository(*args)
        self.unrecognised = SqlUnrecognisedIdentifierRepository(*args)
        self.transactions = SqlTransactionRepository(*args)
        self.remote_starts = SqlRemoteStartRepository(*args)
        self.pairing = SqlPairingRepository(*args)
        self.logs = SqlLogRepository(*args)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        try:
            self._forget()
            await session.rollback()
        except Exception:
            if exc is None:
                raise
            # Already failing (often because the connection is gone): keep the original error.
            logger.warning("rollback failed after %r", exc, exc_info=True)
        finally:
            await session.close()

    async def commit(self) -> None:
        session = self._active()
        events, self._events = self._events, []
        with translate_errors():
            # The entry of the mutation that asked for this change, if any: it commits or fails with it.
            audited = await audit.stage(session.execute, self.tenant_id)
            await session.commit()
        if audited is not None:
            audited.written = True
        if events:
            await self._publish(events)

    async def rollback(self) -> None:
        self._forget()
        with translate_errors():
            await self._active().rollback()

    def publish(self, event: DomainEvent) -> None:
        self._events.append(event)

    async def _publish(self, events: list[DomainEvent]) -> None:
        try:
            await self._bus.publish(self.tenant_id, events)
        except Exception:
            # The change is committed and must be reported as done; listeners miss these events.
            logger.exception("committed, but publishing %d event(s) of tenant %s failed", len(events), self.tenant_id)

    def _forget(self) -> None:
        self._events.clear()

    def _active(self) -> _Connection:
        if self._session is None:
            raise RuntimeError("use the unit of work inside `async with`")
        return self._session


class SqlUnitOfWorkFactory:
    """The composition root hands this to the services: `uow_factory(tenant_id)` opens nothing until entered."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], bus: EventBus) -> None:
        self._session_factory = session_factory
        self._bus = bus

    def __call__(self, tenant_id: UUID) -> UnitOfWork:
        return SqlUnitOfWork(self._session_factory, tenant_id, self._bus)
