"""Group commit: the units of work of many chargers' frames committed together, in one database transaction.

Every OCPP request is a small unit of work (a few statements); committed one by one, each would pay for its own
BEGIN, COMMIT, pool checkout and, on PostgreSQL, its own WAL flush. Here they share a transaction instead:

- one unit of work at a time takes its *turn* on the open batch's connection and runs inside a SAVEPOINT there,
  reading what the units before it in the batch wrote; its commit releases the savepoint and joins the batch,
  its rollback (an error, or nothing to write) rolls back to the savepoint and leaves the others untouched;
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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Result
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction
from sqlalchemy.sql import Executable

from domain.errors import Unavailable
from infra.db.errors import translate_errors

logger = logging.getLogger(__name__)

# A batch is committed this long after its first unit joined (an OCPP answer waits at most this much longer) ...
WINDOW_SECONDS = 0.002
# ... or as soon as this many units joined it.
MAX_UNITS = 200

BeforeCommit = Callable[[int], Awaitable[None]]
"""Called with the number of units just before a batch is committed; raising makes the commit fail."""


@dataclass(eq=False)
class _Batch:
    """The open shared transaction and the units of work that joined it."""

    connection: AsyncConnection
    waiters: list[asyncio.Future[None]] = field(default_factory=list)


class GroupCommit:
    """Owns the shared transaction and the writer task; `transaction()` is what a unit of work runs on.

    `start()` before the first unit of work, `stop()` after the last: it commits what joined meanwhile.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        window_seconds: float = WINDOW_SECONDS,
        max_units: int = MAX_UNITS,
        before_commit: BeforeCommit | None = None,
    ) -> None:
        self._engine = engine
        self.window_seconds = window_seconds  # public: tests widen it to gather their frames in one batch
        self._max_units = max(1, max_units)
        self.before_commit = before_commit
        # One unit of work at a time runs on the shared connection, so its SAVEPOINT is always the innermost.
        self._turn = asyncio.Lock()
        self._batch: _Batch | None = None
        self._joined = asyncio.Event()  # a unit joined the open batch
        self._due = asyncio.Event()  # commit it without waiting for the window's end (full, or stopping)
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._closed = False
        self.commits = 0  # batches committed
        self.units = 0  # units of work committed in them

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    def transaction(self) -> GroupedTransaction:
        return GroupedTransaction(self)

    async def start(self) -> None:
        if self._task is not None:
            raise RuntimeError("the group commit is already started")
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
                    await asyncio.wait_for(self._due.wait(), self.window_seconds)
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
            if self.before_commit is not None:
                await self.before_commit(len(batch.waiters))
            with translate_errors():
                await batch.connection.commit()
        except Exception as failure:
            error = failure
            logger.error("group commit of %d unit(s) of work failed: %s", len(batch.waiters), failure)
        await _close(batch.connection)
        if error is None:
            self.commits += 1
            self.units += len(batch.waiters)
        _settle(batch, error)

    async def _take_turn(self) -> _Batch:
        """Wait for the shared connection; the open batch, opened here when there is none."""
        await self._turn.acquire()
        try:
            if self._closed or self._task is None:
                raise Unavailable("the database writer is stopped")
            if self._batch is None:
                self._batch = await self._open_batch()
            return self._batch
        except BaseException:
            self._turn.release()
            raise

    def _end_turn(self) -> None:
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
            connection = await self._engine.connect()
            try:
                if self.dialect == "sqlite":
                    # The write lock now: a deferred transaction that read first could not write after another
                    # connection committed (SQLite refuses to upgrade a stale read).
                    await connection.exec_driver_sql("BEGIN IMMEDIATE")
                else:
                    await connection.begin()
            except BaseException:
                await _close(connection)
                raise
        return _Batch(connection)

    async def _discard(self, batch: _Batch) -> None:
        """Roll back a batch no unit joined (every unit in it only read or rolled back): nothing to wait for."""
        if self._batch is batch:
            self._batch = None
        await _close(batch.connection)

    async def _abandon(self, batch: _Batch, error: BaseException) -> None:
        """The shared connection failed under a unit: the batch is lost, every unit that joined it is told."""
        if self._batch is batch:
            self._batch = None
        await _close(batch.connection)
        _settle(batch, error)


class GroupedTransaction:
    """One unit of work's share of a group commit: a SAVEPOINT on the batch's connection during its turn.

    The turn is taken by the first statement and ended by commit() or rollback(); commit() then waits for
    the batch's commit.
    """

    def __init__(self, group: GroupCommit) -> None:
        self._group = group
        self._batch: _Batch | None = None
        self._savepoint: AsyncTransaction | None = None

    @property
    def dialect(self) -> str:
        return self._group.dialect

    async def execute(self, statement: Executable, params: Any = None) -> Result[Any]:
        if self._batch is None:
            batch = await self._group._take_turn()
            try:
                self._savepoint = await batch.connection.begin_nested()
            except BaseException as error:
                await self._group._abandon(batch, error)
                self._group._end_turn()
                raise
            self._batch = batch
        return await self._batch.connection.execute(statement, params)

    async def commit(self) -> None:
        batch, savepoint = self._leave()
        if batch is None or savepoint is None:
            return  # nothing was read or written
        try:
            await savepoint.commit()  # RELEASE SAVEPOINT: the writes stay in the batch
            waiter = self._group._join(batch)
        except BaseException as error:
            await self._group._abandon(batch, error)
            raise
        finally:
            self._group._end_turn()
        await waiter

    async def rollback(self) -> None:
        batch, savepoint = self._leave()
        if batch is None or savepoint is None:
            return
        try:
            await savepoint.rollback()
            if not batch.waiters:
                await self._group._discard(batch)
        except BaseException as error:
            await self._group._abandon(batch, error)
            raise
        finally:
            self._group._end_turn()

    async def close(self) -> None:
        await self.rollback()

    def _leave(self) -> tuple[_Batch | None, AsyncTransaction | None]:
        batch, savepoint = self._batch, self._savepoint
        self._batch = self._savepoint = None
        return batch, savepoint


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
