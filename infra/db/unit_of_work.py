"""One tenant's atomic change on one transaction (its own, or a share of a group commit); events are published
only once it is committed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import TracebackType
from typing import Self
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

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
from infra.db.group_commit import GroupCommit
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
from infra.db.statements import SessionTransaction, UnitTransaction

logger = logging.getLogger(__name__)


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

    def __init__(self, open_transaction: Callable[[], UnitTransaction], tenant_id: UUID, bus: EventBus) -> None:
        self.tenant_id = tenant_id
        self._open_transaction = open_transaction
        self._bus = bus
        self._transaction: UnitTransaction | None = None
        self._events: list[DomainEvent] = []

    async def __aenter__(self) -> Self:
        if self._transaction is not None:
            raise RuntimeError("this unit of work is already in use")
        transaction = self._transaction = self._open_transaction()
        args = (transaction, self.tenant_id)
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
        transaction, self._transaction = self._transaction, None
        if transaction is None:
            return
        try:
            self._forget()
            await transaction.rollback()
        except Exception:
            if exc is None:
                raise
            # Already failing (often because the connection is gone): keep the original error.
            logger.warning("rollback failed after %r", exc, exc_info=True)
        finally:
            await transaction.close()

    async def commit(self) -> None:
        transaction = self._active()
        events, self._events = self._events, []
        with translate_errors():
            # The entry of the mutation that asked for this change, if any: it commits or fails with it.
            audited = await audit.stage(transaction.execute, self.tenant_id)
            await transaction.commit()
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

    def _active(self) -> UnitTransaction:
        if self._transaction is None:
            raise RuntimeError("use the unit of work inside `async with`")
        return self._transaction


class SqlUnitOfWorkFactory:
    """The composition root hands this to the services: `uow_factory(tenant_id)` opens nothing until entered.

    Each unit of work has an AsyncSession and a transaction of its own: the API's way.
    """

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], bus: EventBus) -> None:
        engine: AsyncEngine = session_factory.kw["bind"]
        dialect = engine.dialect.name
        self._open_transaction = lambda: SessionTransaction(session_factory, dialect)
        self._bus = bus

    def __call__(self, tenant_id: UUID) -> UnitOfWork:
        return SqlUnitOfWork(self._open_transaction, tenant_id, self._bus)


class GroupCommitUnitOfWorkFactory:
    """Units of work that commit by joining a group commit: the OCPP server's way (see infra/db/group_commit.py).

    The services use them exactly like the others; `commit()` returns once the shared transaction holding the
    unit's writes is committed, and raises when it is not.
    """

    def __init__(self, group: GroupCommit, bus: EventBus) -> None:
        self._group = group
        self._bus = bus

    def __call__(self, tenant_id: UUID) -> UnitOfWork:
        return SqlUnitOfWork(self._group.transaction, tenant_id, self._bus)
