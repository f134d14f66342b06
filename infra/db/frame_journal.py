"""The OCPP frame log: frames are appended on the hot path and written, then published, in batches.

Real-Time Logs never stop and lose nothing they can help losing:

- every entry is first made storable (infra/db/storable_frames.py): NUL, lone surrogates, over-long ids and an
  oversize payload are escaped or cut, the original kept in the row's `raw` column;
- a batch the database refuses for its data is split in halves, each written on its own, down to the single
  entry that is refused; that one is tried again with a short bounded backoff, then set aside in the
  ocpp_log_dead_letters table with the error (one log line and one count each), and the rest goes on;
- while the database is unreachable the writer retries with bounded exponential backoff, logging the outage
  once when it starts and once when it ends; the queue of frames waiting meanwhile is bounded (`max_buffer`):
  when it is full the oldest waiting frame is dropped for each new one, counted and logged once per outage;
- `stop()` writes everything queued within its grace period and returns how many frames it could not store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

from prometheus_client import CollectorRegistry
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.errors import Conflict, Unavailable
from domain.events import DomainEvent, OcppFrameLogged
from domain.model import OcppLogEntry
from domain.ports import EventBus
from infra.db.engine import Database
from infra.db.errors import translate_errors
from infra.db.journal_metrics import JournalMetrics
from infra.db.storable_frames import MAX_PAYLOAD_BYTES, StorableRow, escape_text, raw_text, storable_row
from infra.db.tables import ocpp_log_dead_letters, ocpp_log_entries

logger = logging.getLogger(__name__)

# Rows per executemany: one prepared INSERT whatever the batch size, so it is compiled and prepared once.
ROWS_PER_STATEMENT = 1000
# Woken by a frame after a quiet spell, the writer waits this long for the frames that come with it (the
# answer follows its request within a millisecond): one transaction for several frames instead of one each.
COALESCE_SECONDS = 0.002
# Batches written at once on PostgreSQL: the next is written, on a pooled connection of its own, while the one
# before it commits, so that the answers waiting for their frames' batch do not leave the server idle for a
# whole commit; they are published and settled in append order all the same. SQLite writes one at a time.
BATCHES_IN_FLIGHT = 2
# A single entry the database refuses is tried this many times in all before it is set aside: a refusal may
# come from something passing (a deadlock, a serialisation failure), not from the entry.
ATTEMPTS_PER_ENTRY = 3
# An error message kept with a dead letter is cut to this many characters.
MAX_ERROR_CHARS = 2000

_COLUMNS = [column.name for column in ocpp_log_entries.c]

_Numbered = tuple[int, OcppLogEntry]  # (append sequence number, entry)


class BatchedFrameJournal:
    """`append()` never waits; one background task writes whatever accumulated since its last write.

    The writer sleeps until the first entry arrives, waits `coalesce_seconds` for its neighbours, then takes
    everything buffered; under load batches grow by themselves while the previous ones are written. On
    PostgreSQL a batch is one COPY, and up to `batches_in_flight` are written at once; on SQLite one at a time,
    an executemany on a connection of its own, replaced after an error. Entries are published, and `flush()`
    returns, in append order (see the module's docstring for refused entries and outages).
    At most `max_buffer` entries wait while a batch is written; beyond that the oldest waiting are dropped and
    counted in `dropped`.
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
        max_payload_bytes: int = MAX_PAYLOAD_BYTES,
        attempts_per_entry: int = ATTEMPTS_PER_ENTRY,
        batches_in_flight: int = BATCHES_IN_FLIGHT,
        metrics_registry: CollectorRegistry | None = None,
    ) -> None:
        self._database = database
        self._engine: AsyncEngine = database.engine
        self._connection: AsyncConnection | None = None
        self._coalesce = coalesce_seconds
        self._bus = bus
        self._max_buffer = max_buffer
        self._retry_initial = retry_initial_seconds
        self._retry_max = retry_max_seconds
        self._max_payload_bytes = max_payload_bytes
        self._attempts_per_entry = max(1, attempts_per_entry)
        self._batches_in_flight = 1 if database.is_sqlite else max(1, batches_in_flight)
        self._buffer: deque[_Numbered] = deque()
        self._appended = 0  # sequence number of the last entry appended
        self._settled = 0  # every entry up to this sequence number is written (or given up)
        self._in_flight = 0  # entries of the batches being written
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._outage_since: float | None = None  # monotonic time the current outage began
        self._outage_delay = retry_initial_seconds
        self._overflowing = False  # the queue overflowed during this outage (logged once)
        self.metrics = JournalMetrics(metrics_registry)
        self.metrics.watch_queue(lambda: self.pending)
        self.dropped = 0
        self.batches_written = 0
        self.write_failures = 0
        self.dead_lettered = 0

    @property
    def pending(self) -> int:
        """Entries appended and neither stored, set aside nor dropped yet: those waiting and those being written."""
        return len(self._buffer) + self._in_flight

    def append(self, entry: OcppLogEntry) -> None:
        self._appended += 1
        self._buffer.append((self._appended, entry))
        if len(self._buffer) > self._max_buffer:
            self._buffer.popleft()
            self._count_dropped(1, "queue_full")
        self._wakeup.set()

    async def start(self) -> None:
        if self._task is not None:
            raise RuntimeError("the frame journal is already started")
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="frame-journal")

    async def stop(self, grace_seconds: float = 10.0) -> int:
        """Store everything appended so far, then end the writer; give up after `grace_seconds`.

        Returns how many frames were still unstored when it gave up (0 when everything was written or set
        aside); those are counted in `dropped` and named in one log line.
        """
        task, self._task = self._task, None
        if task is None:
            return 0
        self._stopping = True
        self._wakeup.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), grace_seconds)
            return 0
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        lost = self.pending
        logger.error(
            "frame journal stopped with %d OCPP frame(s) not stored after %.1fs: the database stayed unavailable",
            lost,
            grace_seconds,
        )
        self._count_dropped(lost, "stopped")
        self._buffer.clear()
        self._in_flight = 0
        self._settle(self._appended)
        return lost

    async def flush(self) -> None:
        """Return once every entry appended before this call is written and published (or set aside)."""
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
        in_flight: deque[asyncio.Task[None]] = deque()  # the batches being written, oldest first
        try:
            while True:
                while in_flight and in_flight[0].done():
                    in_flight.popleft()
                if self._buffer and len(in_flight) < self._batches_in_flight:
                    batch = list(self._buffer)
                    self._buffer.clear()
                    self._in_flight += len(batch)
                    before = in_flight[-1] if in_flight else None
                    in_flight.append(asyncio.create_task(self._write_batch(batch, before), name="frame-journal-batch"))
                    continue
                if self._stopping and not self._buffer and not in_flight:
                    return
                self._wakeup.clear()
                if not (in_flight and in_flight[0].done()):
                    await self._wakeup.wait()  # set by append() and by every batch written
                if self._coalesce > 0 and not self._stopping and len(in_flight) < self._batches_in_flight:
                    await asyncio.sleep(self._coalesce)
        finally:
            for task in in_flight:  # only when cancelled: stop() gave up on them
                task.cancel()
            await asyncio.gather(*in_flight, return_exceptions=True)

    async def _write_batch(self, batch: list[_Numbered], before: asyncio.Task[None] | None) -> None:
        """Write a batch; then, once the batch before it is done, publish it and settle its flushes."""
        try:
            written = await self._store(batch)
            if before is not None:
                await asyncio.wait([before])  # its outcome is its own: it logged and counted any failure
                before = None
            await self._publish(written)
        except Exception:  # a bug, not the database: the writer must outlive it, or the logs stop for good
            logger.exception("frame journal: unexpected error; %d OCPP frame(s) may not be stored", len(batch))
            self._count_dropped(len(batch), "unexpected_error")
        if before is not None:
            await asyncio.wait([before])
        self._in_flight -= len(batch)
        self._settle(batch[-1][0])
        self._overflowing = False  # a later overflow is logged again: at most one line per batch, not per frame
        self._wakeup.set()

    async def _store(self, batch: list[_Numbered]) -> list[OcppLogEntry]:
        """Write the batch in order, splitting it around what the database refuses and waiting out outages;
        returns the entries stored (not those set aside or lost)."""
        stored: list[OcppLogEntry] = []
        parts: deque[tuple[list[_Numbered], int]] = deque([(batch, 0)])  # (entries, times refused so far)
        while parts:
            part, refusals = parts.popleft()
            if refusals:
                await asyncio.sleep(min(self._retry_initial * 2 ** (refusals - 1), self._retry_max))
            try:
                written = await self._write_part(part)
            except Unavailable as error:
                parts.appendleft((part, refusals))
                await self._wait_out_outage(error)
                continue
            except Exception as error:  # the data: a constraint, a value the database will not take
                self.write_failures += 1
                self.metrics.write_failures.labels("rejected").inc()
                if len(part) > 1:
                    middle = len(part) // 2
                    parts.extendleft([(part[middle:], 0), (part[:middle], 0)])  # the first half goes first
                    continue
                if refusals + 1 < self._attempts_per_entry:
                    parts.appendleft((part, refusals + 1))
                    continue
                try:
                    written = await self._set_aside(part[0][1], error)
                except Unavailable as outage:
                    parts.appendleft((part, refusals))
                    await self._wait_out_outage(outage)
                    continue
            self._outage_over()
            stored += written
        return stored

    async def _write_part(self, part: list[_Numbered]) -> list[OcppLogEntry]:
        """Write these entries in one transaction; returns them."""
        entries = [entry for _, entry in part]
        rows = [storable_row(entry, self._max_payload_bytes) for entry in entries]
        await self._insert(rows)
        self.batches_written += 1
        self.metrics.written.inc(len(rows))
        escaped = sum(1 for row in rows if row.altered)
        if escaped:
            self.metrics.escaped.inc(escaped)
        return entries

    async def _wait_out_outage(self, error: Unavailable) -> None:
        """One log line when an outage begins; then sleep, the delay doubling up to `retry_max_seconds`."""
        self.write_failures += 1
        self.metrics.write_failures.labels("unavailable").inc()
        if self._outage_since is None:
            self._outage_since = time.monotonic()
            self._outage_delay = self._retry_initial
            self.metrics.database_unavailable.set(1)
            logger.warning(
                "frame journal: %s; %d OCPP frame(s) queued, retried with backoff up to %.1fs, at most %d kept waiting",
                error.message,
                self.pending,
                self._retry_max,
                self._max_buffer,
            )
        await asyncio.sleep(self._outage_delay)
        self._outage_delay = min(self._outage_delay * 2, self._retry_max)

    def _outage_over(self) -> None:
        if self._outage_since is None:
            return
        lasted = time.monotonic() - self._outage_since
        self._outage_since = None
        self._overflowing = False
        self.metrics.database_unavailable.set(0)
        logger.warning("frame journal: database available again after %.1fs; writing the queued frames", lasted)

    async def _set_aside(self, entry: OcppLogEntry, error: Exception) -> list[OcppLogEntry]:
        """The entry into the dead-letter table; returns [entry] when it turns out to be stored already."""
        try:
            if await self._already_stored(entry):  # written before an acknowledgement got lost
                return [entry]
        except Unavailable:
            raise
        except Exception:
            logger.warning("frame journal: could not check whether frame %s is stored", entry.id, exc_info=True)
        reason = escape_text(_describe(error))[:MAX_ERROR_CHARS]
        row = {
            "id": entry.id,
            "tenant_id": entry.tenant_id,
            "charger_id": entry.charger_id,
            "charge_point_id": escape_text(entry.charge_point_id),
            "timestamp": entry.timestamp,
            "direction": entry.direction.value,
            "message_type": entry.message_type.value,
            "raw": _raw_or_repr(entry),
            "error": reason,
            "failed_at": datetime.now(UTC),
        }
        try:
            with translate_errors():
                async with self._engine.begin() as connection:
                    await connection.execute(insert(ocpp_log_dead_letters), [row])
        except Conflict:
            pass  # set aside already, before an acknowledgement got lost
        except Unavailable:
            raise
        except Exception as failure:  # the last resort: the frame goes to the process log, whole
            logger.error(
                "OCPP frame %s of %s not stored nor set aside (%s; %s): %s",
                entry.id,
                row["charge_point_id"],
                reason,
                _describe(failure),
                row["raw"],
            )
            self._count_dropped(1, "unstorable")
            return []
        self.dead_lettered += 1
        self.metrics.dead_letters.inc()
        logger.error(
            "OCPP frame %s of %s set aside in %s: %s",
            entry.id,
            row["charge_point_id"],
            ocpp_log_dead_letters.name,
            reason,
        )
        return []

    async def _already_stored(self, entry: OcppLogEntry) -> bool:
        with translate_errors():
            async with self._engine.connect() as connection:
                found = await connection.execute(select(ocpp_log_entries.c.id).where(ocpp_log_entries.c.id == entry.id))
                return found.first() is not None

    async def _insert(self, rows: list[StorableRow]) -> None:
        if not self._database.is_sqlite:
            await self._copy(rows)
            return
        with translate_errors():
            connection = self._connection
            if connection is None:
                connection = self._connection = await self._engine.connect()
            values = [row.values for row in rows]
            try:
                async with connection.begin():
                    for start in range(0, len(values), ROWS_PER_STATEMENT):
                        await connection.execute(insert(ocpp_log_entries), values[start : start + ROWS_PER_STATEMENT])
            except Exception as error:
                if not isinstance(error, IntegrityError):  # the connection itself may be broken: a new one next time
                    await self._release()
                raise

    async def _copy(self, rows: list[StorableRow]) -> None:
        """PostgreSQL: one COPY per batch on the driver's pool, all rows or none.

        Every OCPP round trip logs two rows: COPY moves a batch as one binary stream, without SQLAlchemy's
        per-row parameter processing of an executemany, with the same constraints checked.
        """
        from asyncpg.exceptions import IntegrityConstraintViolationError

        records = [
            tuple(row.payload_json if name == "payload" else row.values[name] for name in _COLUMNS) for row in rows
        ]
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

    def _count_dropped(self, count: int, reason: str) -> None:
        if count <= 0:
            return
        if reason == "queue_full" and not self._overflowing:
            self._overflowing = True  # once per outage, not once per frame
            logger.error(
                "frame journal queue full (%d frames waiting): dropping the oldest waiting frames", self._max_buffer
            )
        self.dropped += count
        self.metrics.dropped.labels(reason).inc(count)


def _raw_or_repr(entry: OcppLogEntry) -> str:
    """The entry as raw_text(), or, when it has no JSON form at all (a cycle), as its Python repr, escaped."""
    try:
        return raw_text(entry)
    except (TypeError, ValueError, RecursionError):
        return escape_text(repr(entry))


def _describe(error: BaseException) -> str:
    """The error in one line: its type and message."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
