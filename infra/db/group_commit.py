"""Group commit: the units of work of many chargers' frames committed together, in one database transaction.

Every OCPP request is a small unit of work (a few statements); committed one by one, each would pay for its own
BEGIN, COMMIT, pool checkout and, on PostgreSQL, its own WAL flush. Here they share a transaction instead:

- one unit of work at a time takes its *turn* on the open batch's connection and runs inside a SAVEPOINT there
  (the batch's first unit needs none), reading what the units before it in the batch wrote; its commit
  releases the savepoint and joins the batch, its rollback (an error, or nothing to write) rolls back to the
  savepoint and leaves the others untouched;
- a writer task commits the batch `window_seconds` after its first unit joined, or at once when `max_units`
  joined; under load, the next batch fills while the previous one commits (PostgreSQL), so batches grow with
  the load by themselves;
- a unit's `commit()` returns only once the batch holding it is committed: the frame is answered only after
  its effects are stored. When the batch's commit fails, every unit in it gets Unavailable (the OCPP server
  answers each frame with InternalError) and, the batch being one transaction, none of it is stored.

On SQLite a batch takes the write lock when it opens (BEGIN IMMEDIATE), so that its reads and writes see one
state, and is committed during the writer's turn: one batch at a time, the way SQLite writes anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Result
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import Executable

from domain.errors import Unavailable
from infra.db import prepared
from infra.db.errors import translate_errors
from infra.db.prepared import Prepared, Row

logger = logging.getLogger(__name__)

# A batch is committed this long after its first unit joined (an OCPP answer waits at most this much longer) ...
WINDOW_SECONDS = 0.002
# ... or as soon as this many units joined it.
MAX_UNITS = 200
# Shared connections on PostgreSQL, each with a batch of its own.
LANES = 4

# One name for every unit's savepoint: only one unit at a time runs on a lane's connection, so its savepoint is
# always the innermost (SQLAlchemy's begin_nested() would number them, and run each through the engine).
# A unit's savepoint is released by the next unit of the batch, in the same round trip as its own (or by the
# batch's COMMIT): one round trip per unit for the savepoints instead of two.
_SAVEPOINT = "SAVEPOINT unit_of_work"
_RELEASE = "RELEASE SAVEPOINT unit_of_work"
_ROLLBACK = "ROLLBACK TO SAVEPOINT unit_of_work"

BeforeCommit = Callable[[int], Awaitable[None]]
"""Called with the number of units just before a batch is committed; raising makes the commit fail."""


@dataclass(eq=False)
class _Batch:
    """The open shared transaction and the units of work that joined it.

    On PostgreSQL the batch's connection is in SQLAlchemy's AUTOCOMMIT mode and the batch itself says BEGIN and
    COMMIT, on the driver: the prepared statements (prepared.py) run on the driver too, and SQLAlchemy's asyncpg
    adapter would only begin its transaction at the first statement that goes through SQLAlchemy.
    """

    connection: AsyncConnection
    driver: Any  # its asyncpg connection on PostgreSQL (prepared.driver_of), else None
    waiters: list[asyncio.Future[None]] = field(default_factory=list)
    committed: bool = False
    savepoint_left: bool = False  # the last unit's savepoint is still there: the next unit releases it

    async def savepoint(self) -> None:
        """A unit's savepoint, releasing the one the unit before it left."""
        if self.savepoint_left:
            await self.run(_RELEASE, _SAVEPOINT)
        else:
            await self.run(_SAVEPOINT)
        self.savepoint_left = True

    @classmethod
    async def open(cls, engine: AsyncEngine) -> _Batch:
        connection = await engine.connect()
        try:
            if connection.dialect.name == "sqlite":
                # The write lock now: a deferred transaction that read first could not write after another
                # connection committed (SQLite refuses to upgrade a stale read).
                await connection.exec_driver_sql("BEGIN IMMEDIATE")
                return cls(connection, None)
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            batch = cls(connection, await prepared.driver_of(connection))
            await batch.run("BEGIN")
            return batch
        except BaseException:
            await _close(connection)
            raise

    async def run(self, *sql: str) -> None:
        """Statements of transaction control: straight to the driver, in one round trip, where there is one."""
        if self.driver is not None:
            await self.driver.execute("; ".join(sql))
        else:
            for statement in sql:  # SQLite's driver runs one statement per call
                await self.connection.exec_driver_sql(statement)

    async def commit(self) -> None:
        if self.driver is not None:
            await self.run("COMMIT")
        else:
            await self.connection.commit()
        self.committed = True

    async def close(self) -> None:
        """Give the connection back, rolling back what is not committed; a connection that fails to is dropped."""
        if self.driver is not None and not self.committed:
            try:
                await self.run("ROLLBACK")
            except Exception:
                logger.warning("rolling back a group commit batch failed; dropping its connection", exc_info=True)
                with contextlib.suppress(Exception):
                    await self.connection.invalidate()
        await _close(self.connection)


class GroupCommit:
    """Owns the shared transactions and their writers; `transaction()` is what a unit of work runs on.

    On PostgreSQL `lanes` shared connections (4 unless told) each hold a batch, so that one unit's round trips
    to the database do not wait for another's; a unit takes the first lane free. SQLite has one writer: one lane.
    `start()` before the first unit of work, `stop()` after the last: it commits what joined meanwhile.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        lanes: int | None = None,
        window_seconds: float = WINDOW_SECONDS,
        max_units: int = MAX_UNITS,
        before_commit: BeforeCommit | None = None,
    ) -> None:
        self.dialect = engine.dialect.name
        if lanes is None:
            lanes = 1 if self.dialect == "sqlite" else LANES
        self._lanes = [_Lane(self, engine, max(1, max_units)) for _ in range(max(1, lanes))]
        self._next = 0
        self.window_seconds = window_seconds  # public: tests widen it to gather their frames in one batch
        self.before_commit = before_commit
        self.commits = 0  # batches committed
        self.units = 0  # units of work committed in them

    def transaction(self) -> GroupedTransaction:
        return GroupedTransaction(self)

    async def start(self) -> None:
        for lane in self._lanes:
            lane.start()

    async def stop(self) -> None:
        """Commit every unit that joined, then end the writers; later units of work get Unavailable."""
        await asyncio.gather(*(lane.stop() for lane in self._lanes))

    def _lane(self) -> _Lane:
        """The first lane free, else the next in turn."""
        task = asyncio.current_task()
        if any(lane.holder is task for lane in self._lanes):
            # It would wait for its own turn forever: fail loudly instead.
            raise RuntimeError("a unit of work of the group commit was opened inside another one's turn")
        for lane in self._lanes:
            if not lane.busy:
                return lane
        self._next = (self._next + 1) % len(self._lanes)
        return self._lanes[self._next]


class _Lane:
    """One shared connection: its open batch, its turn, and the writer task that commits its batches."""

    def __init__(self, group: GroupCommit, engine: AsyncEngine, max_units: int) -> None:
        self._group = group
        self._engine = engine
        self._max_units = max_units
        # One unit of work at a time runs on the shared connection, so its SAVEPOINT is always the innermost.
        self._turn = asyncio.Lock()
        self.holder: asyncio.Task[Any] | None = None  # the task whose unit of work has the turn
        self._batch: _Batch | None = None
        self._joined = asyncio.Event()  # a unit joined the open batch
        self._due = asyncio.Event()  # commit it without waiting for the window's end (full, or stopping)
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._closed = False

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    @property
    def busy(self) -> bool:
        """A unit of work has the turn (or waits for it)."""
        return self._turn.locked()

    def start(self) -> None:
        self._stopping = self._closed = False
        self._task = asyncio.create_task(self._run(), name="group-commit")

    async def stop(self) -> None:
        """Commit every unit that joined, then end the writer; later units of work get Unavailable."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._joined.set()
        self._due.set()
        await task

    async def _run(self) -> None:
        while not self._closed:
            await self._joined.wait()
            if not self._stopping and not self._due.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._due.wait(), self._group.window_seconds)
            async with self._turn:  # waits for the unit of work running now, if any
                batch, self._batch = self._batch, None
                self._joined.clear()
                self._due.clear()
                self._closed = self._stopping
                if batch is not None and self.dialect == "sqlite":
                    await self._commit(batch)
                    batch = None
            if batch is not None:
                await self._commit(batch)

    async def _commit(self, batch: _Batch) -> None:
        error: Exception | None = None
        try:
            if self._group.before_commit is not None:
                await self._group.before_commit(len(batch.waiters))
            with translate_errors():
                await batch.commit()
        except Exception as failure:
            error = failure
            logger.error("group commit of %d unit(s) of work failed: %s", len(batch.waiters), failure)
        await batch.close()
        if error is None:
            self._group.commits += 1
            self._group.units += len(batch.waiters)
        _settle(batch, error)

    async def _take_turn(self) -> _Batch:
        """Wait for the shared connection; the open batch, opened here when there is none."""
        await self._turn.acquire()
        self.holder = asyncio.current_task()
        try:
            if self._closed or self._task is None:
                raise Unavailable("the database writer is stopped")
            if self._batch is None:
                self._batch = await self._open_batch()
            return self._batch
        except BaseException:
            self._end_turn()
            raise

    def _end_turn(self) -> None:
        self.holder = None
        self._turn.release()

    def _join(self, batch: _Batch) -> asyncio.Future[None]:
        """Count a unit's released savepoint into the batch; the future is settled by the batch's commit."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        batch.waiters.append(waiter)
        self._joined.set()
        if len(batch.waiters) >= self._max_units:
            self._due.set()
        return waiter

    async def _open_batch(self) -> _Batch:
        with translate_errors():
            return await _Batch.open(self._engine)

    async def _discard(self, batch: _Batch) -> None:
        """Roll back a batch no unit joined (every unit in it only read or rolled back): nothing to wait for."""
        if self._batch is batch:
            self._batch = None
        await batch.close()

    async def _abandon(self, batch: _Batch, error: BaseException) -> None:
        """The shared connection failed under a unit: the batch is lost, every unit that joined it is told."""
        if self._batch is batch:
            self._batch = None
        await batch.close()
        _settle(batch, error)


class GroupedTransaction:
    """One unit of work's share of a group commit: a SAVEPOINT on the batch's connection during its turn.

    The turn is taken by the first statement and ended by commit() or rollback(); commit() then waits for
    the batch's commit. The first unit of a batch needs no savepoint: were it to roll back, the whole batch,
    which holds nothing else, is rolled back with it.
    """

    def __init__(self, group: GroupCommit) -> None:
        self._group = group
        self._lane: _Lane | None = None
        self._batch: _Batch | None = None
        self._savepoint = False

    @property
    def dialect(self) -> str:
        return self._group.dialect

    async def execute(self, statement: Executable, params: Any = None) -> Result[Any]:
        batch = self._batch or await self._begin()
        return await batch.connection.execute(statement, params)

    async def fetch(self, statement: Prepared, params: Mapping[str, Any]) -> Sequence[Row]:
        batch = self._batch or await self._begin()
        return await prepared.fetch(batch.connection, batch.driver, statement, params)

    async def _begin(self) -> _Batch:
        """The first statement's: take the turn on a lane, and a savepoint in its batch."""
        lane = self._lane = self._group._lane()
        batch = await lane._take_turn()
        # A batch that no unit joined yet holds nothing: it can be rolled back as a whole.
        self._savepoint = bool(batch.waiters)
        if self._savepoint:
            try:
                await batch.savepoint()
            except BaseException as error:
                await lane._abandon(batch, error)
                lane._end_turn()
                raise
        self._batch = batch
        return batch

    async def commit(self) -> None:
        lane, batch, _savepoint = self._leave()
        if lane is None or batch is None:
            return  # nothing was read or written
        try:
            # With a savepoint, its writes stay in the batch; the next unit, or the COMMIT, releases it.
            waiter = lane._join(batch)
        except BaseException as error:
            await lane._abandon(batch, error)
            raise
        finally:
            lane._end_turn()
        await waiter

    async def rollback(self) -> None:
        lane, batch, savepoint = self._leave()
        if lane is None or batch is None:
            return
        try:
            if savepoint:
                await batch.run(_ROLLBACK)  # the savepoint stays: the next unit, or the COMMIT, releases it
            else:
                await lane._discard(batch)
        except BaseException as error:
            await lane._abandon(batch, error)
            raise
        finally:
            lane._end_turn()

    async def close(self) -> None:
        await self.rollback()

    def _leave(self) -> tuple[_Lane | None, _Batch | None, bool]:
        lane, batch, savepoint = self._lane, self._batch, self._savepoint
        self._lane = self._batch = None
        self._savepoint = False
        return lane, batch, savepoint


def _settle(batch: _Batch, error: BaseException | None) -> None:
    for waiter in batch.waiters:
        if waiter.done():
            continue  # its unit of work was cancelled meanwhile
        if error is None:
            waiter.set_result(None)
        else:
            failure = Unavailable(f"not stored: the commit of {len(batch.waiters)} unit(s) of work failed ({error})")
            failure.__cause__ = error
            waiter.set_exception(failure)
    batch.waiters.clear()


async def _close(connection: AsyncConnection) -> None:
    """Give the connection back (rolling back what is not committed); a broken one is only logged."""
    try:
        await connection.close()
    except Exception:
        logger.warning("closing a group commit connection failed", exc_info=True)
