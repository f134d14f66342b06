"""The OCPP frame log: frames are appended on the hot path and written, then published, in batches."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Sequence
from uuid import UUID

import orjson
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.errors import Conflict
from domain.events import DomainEvent, OcppFrameLogged
from domain.model import OcppLogEntry
from domain.ports import EventBus
from infra.db.engine import Database
from infra.db.errors import translate_errors
from infra.db.mapping import to_values
from infra.db.tables import ocpp_log_entries

logger = logging.getLogger(__name__)

# Rows per executemany: one prepared INSERT whatever the batch size, so it is compiled and prepared once.
ROWS_PER_STATEMENT = 1000
# Woken by a frame after a quiet spell, the writer waits this long for the frames that come with it (the
# answer follows its request within a millisecond): one transaction for several frames instead of one each.
COALESCE_SECONDS = 0.002

_COLUMNS = [column.name for column in ocpp_log_entries.c]

_Numbered = tuple[int, OcppLogEntry]  # (append sequence number, entry)


class BatchedFrameJournal:
    """`append()` never waits; one background task writes whatever accumulated since its last write.

    The writer sleeps until the first entry arrives, waits `coalesce_seconds` for its neighbours, then takes
    everything buffered; under load batches grow by themselves while the previous one is written. On PostgreSQL a
    batch is one COPY; on SQLite an executemany on a connection of its own, replaced after an error. Entries are
    written and published in append order; on database errors the writer retries with backoff, keeping that order.
    Beyond `max_buffer` unwritten entries the oldest are dropped and counted in `dropped`.
    """

    def __init__(
        self,
        database: Database,
        bus: EventBus,
        *,
        max_buffer: int = 100_000,
        retry_initial_seconds: float = 0.05,
        retry_max_seconds: float = 5.0,
        coalesce_seconds: float = COALESCE_SECONDS,
    ) -> None:
        self._database = database
        self._engine: AsyncEngine = database.engine
        self._connection: AsyncConnection | None = None
        self._coalesce = coalesce_seconds
        self._bus = bus
        self._max_buffer = max_buffer
        self._retry_initial = retry_initial_seconds
        self._retry_max = retry_max_seconds
        self._buffer: deque[_Numbered] = deque()
        self._appended = 0  # sequence number of the last entry appended
        self._settled = 0  # every entry up to this sequence number is written (or given up)
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self.dropped = 0
        self.batches_written = 0
        self.write_failures = 0

    @property
    def pending(self) -> int:
        return self._appended - self._settled

    def append(self, entry: OcppLogEntry) -> None:
        self._appended += 1
        self._buffer.append((self._appended, entry))
        if len(self._buffer) > self._max_buffer:
            self._buffer.popleft()
            self._count_dropped(1)
        self._wakeup.set()

    async def start(self) -> None:
        if self._task is not None:
            raise RuntimeError("the frame journal is already started")
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="frame-journal")

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Write everything appended so far, then end the writer; give up after `grace_seconds`."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._wakeup.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), grace_seconds)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            lost = self._appended - self._settled
            logger.error("frame journal stopped with %d frame(s) unwritten", lost)
            self._count_dropped(lost)
            self._buffer.clear()
            self._settle(self._appended)

    async def flush(self) -> None:
        """Return once every entry appended before this call is written and published."""
        target = self._appended
        if target <= self._settled:
            return
        if self._task is None:
            raise RuntimeError("start() the frame journal before flushing it")
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((target, waiter))
        await waiter

    async def _run(self) -> None:
        try:
            await self._write_until_stopped()
        finally:
            await self._release()

    async def _write_until_stopped(self) -> None:
        batch: list[_Numbered] = []
        delay = self._retry_initial
        while True:
            if not batch:
                if not self._buffer:
                    if self._stopping:
                        return
                    self._wakeup.clear()
                    await self._wakeup.wait()
                    if self._coalesce > 0 and not self._stopping:
                        await asyncio.sleep(self._coalesce)
                    continue
                batch = list(self._buffer)
                self._buffer.clear()
            try:
                written = await self._write_batch(batch)
            except Exception:
                self.write_failures += 1
                logger.warning("writing %d OCPP frame(s) failed; retrying in %.2fs", len(batch), delay, exc_info=True)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._retry_max)
                batch = self._merge_newer(batch)
                continue
            delay = self._retry_initial
            await self._publish(written)
            self._settle(batch[-1][0])
            batch = []

    def _merge_newer(self, batch: list[_Numbered]) -> list[_Numbered]:
        """The failed batch plus what arrived meanwhile, within the bound: the oldest go first."""
        batch.extend(self._buffer)
        self._buffer.clear()
        overflow = len(batch) - self._max_buffer
        if overflow > 0:
            del batch[:overflow]
            self._count_dropped(overflow)
        return batch

    async def _write_batch(self, batch: list[_Numbered]) -> list[OcppLogEntry]:
        """Write the batch in one transaction; returns the entries stored (all of them, but for broken ones)."""
        entries = [entry for _, entry in batch]
        try:
            await self._insert([to_values(entry) for entry in entries])
        except Conflict:
            # One bad row (or a batch already written before a lost acknowledgement) must not block the rest.
            entries = await self._insert_one_by_one(entries)
        self.batches_written += 1
        return entries

    async def _insert(self, rows: list[dict[str, object]]) -> None:
        if not self._database.is_sqlite:
            await self._copy(rows)
            return
        with translate_errors():
            connection = self._connection
            if connection is None:
                connection = self._connection = await self._engine.connect()
            try:
                async with connection.begin():
                    for start in range(0, len(rows), ROWS_PER_STATEMENT):
                        await connection.execute(insert(ocpp_log_entries), rows[start : start + ROWS_PER_STATEMENT])
            except Exception as error:
                if not isinstance(error, IntegrityError):  # the connection itself may be broken: a new one next time
                    await self._release()
                raise

    async def _copy(self, rows: list[dict[str, object]]) -> None:
        """PostgreSQL: one COPY per batch on the driver's pool, all rows or none.

        Every OCPP round trip logs two rows: COPY moves a batch as one binary stream, without SQLAlchemy's
        per-row parameter processing of an executemany, with the same constraints checked.
        """
        from asyncpg.exceptions import IntegrityConstraintViolationError

        records = [tuple(_jsonb(row[name]) if name == "payload" else row[name] for name in _COLUMNS) for row in rows]
        with translate_errors():
            pool = await self._database.driver_pool()
            async with pool.acquire() as connection:
                try:
                    await connection.copy_records_to_table(ocpp_log_entries.name, records=records, columns=_COLUMNS)
                except IntegrityConstraintViolationError as error:  # a duplicate, or a charger deleted meanwhile
                    raise Conflict(f"OCPP frames not logged: {error}") from error

    async def _release(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await connection.close()
            except Exception:
                logger.warning("closing the frame journal's connection failed", exc_info=True)

    async def _insert_one_by_one(self, entries: list[OcppLogEntry]) -> list[OcppLogEntry]:
        stored = []
        for entry in entries:
            try:
                await self._insert([to_values(entry)])
                stored.append(entry)
            except Conflict as exc:
                logger.warning("OCPP frame %s not logged: %s", entry.id, exc.message)
        return stored

    async def _publish(self, entries: Sequence[OcppLogEntry]) -> None:
        by_tenant: dict[UUID, list[DomainEvent]] = {}
        for entry in entries:
            by_tenant.setdefault(entry.tenant_id, []).append(OcppFrameLogged(tenant_id=entry.tenant_id, entry=entry))
        for tenant_id, events in by_tenant.items():
            try:
                await self._bus.publish(tenant_id, events)
            except Exception:
                logger.exception("publishing %d logged frame(s) of tenant %s failed", len(events), tenant_id)

    def _settle(self, sequence: int) -> None:
        self._settled = max(self._settled, sequence)
        still_waiting = []
        for target, waiter in self._waiters:
            if target <= self._settled:
                if not waiter.done():
                    waiter.set_result(None)
            else:
                still_waiting.append((target, waiter))
        self._waiters = still_waiting

    def _count_dropped(self, count: int) -> None:
        if count > 0:
            if self.dropped == 0:
                logger.error("frame journal buffer full: dropping the oldest unwritten frames")
            self.dropped += count


def _jsonb(payload: object) -> str:
    # asyncpg's jsonb codec takes JSON text.
    return orjson.dumps(payload).decode()
