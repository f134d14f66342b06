"""The frame journal: appends never wait, writes come in batches, events follow commits in append order."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import func, select

from domain.events import OcppFrameLogged
from domain.model import Charger, Tenant
from domain.pagination import PageRequest
from infra.db.directory import SqlDirectory
from infra.db.engine import Database
from infra.db.frame_journal import BatchedFrameJournal
from infra.db.migrate import upgrade_database
from infra.db.storable_frames import StorableRow
from infra.db.tables import ocpp_log_entries
from infra.db.unit_of_work import SqlUnitOfWorkFactory
from tests.builders import a_charger, a_log_entry, a_tenant
from tests.databases import RecordingBus, Seed


async def _stored(database: Database) -> int:
    async with database.session_factory() as session:
        return (await session.execute(select(func.count()).select_from(ocpp_log_entries))).scalar_one()


async def _two_tenants_chargers(seed: Seed) -> tuple[Charger, Charger]:
    first, second = await seed.tenant(), await seed.tenant()
    return await seed.charger(first.id), await seed.charger(second.id)


async def test_a_burst_is_written_in_one_batch_and_published_by_tenant_in_order(
    seed: Seed, database: Database, bus: RecordingBus, uow_factory: SqlUnitOfWorkFactory
) -> None:
    north, south = await _two_tenants_chargers(seed)
    journal = BatchedFrameJournal(database, bus)
    await journal.start()
    try:
        entries = [a_log_entry(north if i % 3 else south, unique_id=str(i)) for i in range(1500)]
        for entry in entries:  # no await in between: the writer has not had a chance to run
            journal.append(entry)
        await journal.flush()
        assert journal.batches_written == 1 and journal.pending == 0
        assert await _stored(database) == 1500
        # One publish per tenant, each in append order; every event follows the commit it reports.
        assert [tenant for tenant, _ in bus.published] == [south.tenant_id, north.tenant_id]  # first seen first
        for tenant_id, events in bus.published:
            expected = [e for e in entries if e.tenant_id == tenant_id]
            assert [e.entry for e in events if isinstance(e, OcppFrameLogged)] == expected
        async with uow_factory(south.tenant_id) as uow:
            newest = await uow.logs.page(south.id, PageRequest(first=1))
        assert newest.items == [entries[-3]] and newest.total_count == 500
    finally:
        await journal.stop()


class _HeldFirstBatch(BatchedFrameJournal):
    """The first batch's write waits until released: the next batch can only overtake it."""

    def __init__(self, database: Database, bus: RecordingBus) -> None:
        super().__init__(database, bus)
        self.release = asyncio.Event()
        self.first_begun = asyncio.Event()
        self.writing: list[int] = []  # rows of each write begun
        self.written: list[int] = []  # rows of each write done

    async def _insert(self, rows: list[StorableRow]) -> None:
        self.writing.append(len(rows))
        if len(self.writing) == 1:
            self.first_begun.set()
            await self.release.wait()
        await super()._insert(rows)
        self.written.append(len(rows))


async def test_a_later_batch_is_published_and_flushed_only_after_the_one_before_it(
    seed: Seed, database: Database, bus: RecordingBus
) -> None:
    north, _ = await _two_tenants_chargers(seed)
    journal = _HeldFirstBatch(database, bus)
    await journal.start()
    try:
        first = [a_log_entry(north, unique_id=f"a{i}") for i in range(3)]
        for entry in first:
            journal.append(entry)
        async with asyncio.timeout(10):
            await journal.first_begun.wait()
        second = [a_log_entry(north, unique_id=f"b{i}") for i in range(2)]
        for entry in second:
            journal.append(entry)
        flushed = asyncio.create_task(journal.flush())
        await asyncio.sleep(0.2)

        assert not flushed.done() and bus.published == []
        if database.is_sqlite:  # one writer: the second batch waits for the first
            assert journal.writing == [3] and journal.written == []
        else:  # the second batch is written while the first is held, and waits to be published
            assert journal.writing == [3, 2] and journal.written == [2]
        journal.release.set()
        async with asyncio.timeout(10):
            await flushed
        logged = [e.entry for _, events in bus.published for e in events if isinstance(e, OcppFrameLogged)]
        assert logged == first + second
        assert await _stored(database) == 5 and journal.pending == 0
    finally:
        journal.release.set()
        await journal.stop()


async def test_when_idle_each_frame_is_written_at_once(seed: Seed, database: Database, bus: RecordingBus) -> None:
    north, _ = await _two_tenants_chargers(seed)
    journal = BatchedFrameJournal(database, bus)
    await journal.start()
    try:
        for i in range(3):
            journal.append(a_log_entry(north, unique_id=str(i)))
            await journal.flush()
            assert journal.batches_written == i + 1
    finally:
        await journal.stop()


async def test_stop_writes_everything_appended(seed: Seed, database: Database, bus: RecordingBus) -> None:
    north, south = await _two_tenants_chargers(seed)
    journal = BatchedFrameJournal(database, bus)
    await journal.start()
    for i in range(50):
        journal.append(a_log_entry(north if i % 2 else south))
    await journal.stop()
    assert await _stored(database) == 50 and len(bus.events) == 50


async def test_beyond_the_bound_the_oldest_frames_are_dropped(
    seed: Seed, database: Database, bus: RecordingBus
) -> None:
    north, _ = await _two_tenants_chargers(seed)
    journal = BatchedFrameJournal(database, bus, max_buffer=10)
    entries = [a_log_entry(north, unique_id=str(i)) for i in range(25)]
    for entry in entries:
        journal.append(entry)
    assert journal.dropped == 15
    await journal.start()
    await journal.stop()
    assert [e.entry for e in bus.events if isinstance(e, OcppFrameLogged)] == entries[15:]


async def test_database_errors_are_retried_without_losing_order(tmp_path: Path) -> None:
    # The outage: a SQLite database whose directory does not exist yet, so every write fails until it does.
    late = tmp_path / "not-yet" / "db.sqlite"
    url = f"sqlite+aiosqlite:///{late}"
    outage, bus = Database(url), RecordingBus()
    tenant = a_tenant()
    charger = a_charger(tenant.id)
    journal = BatchedFrameJournal(outage, bus, retry_initial_seconds=0.01, retry_max_seconds=0.02)
    entries = [a_log_entry(charger, unique_id=str(i)) for i in range(20)]
    await journal.start()
    try:
        for entry in entries[:10]:
            journal.append(entry)
        while journal.write_failures < 2:  # noqa: ASYNC110 - the journal signals nothing else on failure
            await asyncio.sleep(0.01)
        for entry in entries[10:]:
            journal.append(entry)
        assert journal.pending == 20 and bus.events == []

        # The database comes back whole: prepared aside, then moved into place in one rename.
        ready = tmp_path / "ready" / "db.sqlite"
        ready.parent.mkdir()
        await prepare(f"sqlite+aiosqlite:///{ready}", tenant, charger)
        ready.parent.rename(late.parent)
        await journal.flush()
        assert [e.entry for e in bus.events if isinstance(e, OcppFrameLogged)] == entries
        assert await _stored(outage) == 20 and journal.dropped == 0
    finally:
        await journal.stop()
        await outage.dispose()


async def prepare(url: str, tenant: Tenant, charger: Charger) -> None:
    await upgrade_database(url)
    database = Database(url)
    try:
        await SqlDirectory(database.session_factory).add_tenant(tenant)
        async with SqlUnitOfWorkFactory(database.session_factory, RecordingBus())(tenant.id) as uow:
            await uow.chargers.add(charger)
            await uow.commit()
    finally:
        await database.dispose()


async def test_a_broken_frame_does_not_hold_back_the_others(seed: Seed, database: Database, bus: RecordingBus) -> None:
    north, _ = await _two_tenants_chargers(seed)
    good = [a_log_entry(north, unique_id=str(i)) for i in range(3)]
    orphan = a_log_entry(a_charger(north.tenant_id))  # its charger was never stored
    journal = BatchedFrameJournal(database, bus)
    await journal.start()
    for entry in (good[0], orphan, *good[1:]):
        journal.append(entry)
    await journal.stop()
    assert await _stored(database) == 3
    assert [e.entry for e in bus.events if isinstance(e, OcppFrameLogged)] == good
