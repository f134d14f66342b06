"""The group commit: many chargers' units of work in one transaction, each answered only once it is stored."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from uuid import UUID

import pytest

from domain.commands import ReportConnectorStatus
from domain.errors import Conflict, Unavailable
from domain.model import Charger, Connector
from domain.ports import UnitOfWorkFactory
from domain.services import chargers
from infra.db.engine import Database
from infra.db.group_commit import GroupCommit
from infra.db.unit_of_work import GroupCommitUnitOfWorkFactory, SqlUnitOfWorkFactory
from tests.builders import a_charger
from tests.databases import RecordingBus, Seed

# Long enough for every unit of a test to join the same batch, however slow the machine.
WINDOW = 0.5


class CommitLog:
    """The group commit's before_commit hook: counts the batches and their units; can hold or fail a commit."""

    def __init__(self) -> None:
        self.batches: list[int] = []
        self.entered = asyncio.Event()
        self.release = asyncio.Event()
        self.release.set()
        self.failure: Exception | None = None

    async def __call__(self, units: int) -> None:
        self.batches.append(units)
        self.entered.set()
        await self.release.wait()
        if self.failure is not None:
            raise self.failure


@pytest.fixture
def commits() -> CommitLog:
    return CommitLog()


@pytest.fixture
async def group(database: Database, commits: CommitLog) -> AsyncIterator[GroupCommit]:
    group = GroupCommit(database.engine, lanes=1, window_seconds=WINDOW, before_commit=commits)
    await group.start()
    try:
        yield group
    finally:
        await group.stop()


@pytest.fixture
def grouped(group: GroupCommit, bus: RecordingBus) -> GroupCommitUnitOfWorkFactory:
    return GroupCommitUnitOfWorkFactory(group, bus)


async def some_chargers(seed: Seed, count: int) -> tuple[UUID, list[Charger]]:
    tenant = await seed.tenant()
    return tenant.id, [await seed.charger(tenant.id) for _ in range(count)]


async def report_status(uow: UnitOfWorkFactory, charger: Charger, status: str = "Available") -> Connector:
    return await chargers.report_connector_status(
        uow(charger.tenant_id), ReportConnectorStatus(charger.id, 1, status, None)
    )


async def stored(uow_factory: SqlUnitOfWorkFactory, tenant_id: UUID, found: list[Charger]) -> list[Connector]:
    async with uow_factory(tenant_id) as uow:
        return await uow.connectors.for_chargers([charger.id for charger in found])


async def test_units_of_many_chargers_are_committed_in_one_transaction(
    seed: Seed, grouped: GroupCommitUnitOfWorkFactory, uow_factory: SqlUnitOfWorkFactory, commits: CommitLog
) -> None:
    tenant_id, found = await some_chargers(seed, 5)

    await asyncio.gather(*(report_status(grouped, charger) for charger in found))

    assert commits.batches == [5]
    assert len(await stored(uow_factory, tenant_id, found)) == 5


async def test_a_unit_returns_only_once_the_batch_holding_it_is_committed(
    seed: Seed, grouped: GroupCommitUnitOfWorkFactory, uow_factory: SqlUnitOfWorkFactory, commits: CommitLog
) -> None:
    tenant_id, found = await some_chargers(seed, 2)
    commits.release.clear()

    reports = asyncio.gather(*(report_status(grouped, charger) for charger in found))
    await asyncio.wait_for(commits.entered.wait(), 10)
    await asyncio.sleep(0.05)

    assert not reports.done()
    assert await stored(uow_factory, tenant_id, found) == []
    commits.release.set()
    await reports
    assert len(await stored(uow_factory, tenant_id, found)) == 2


async def test_a_failed_commit_fails_every_unit_in_it_and_stores_none_of_them(
    seed: Seed,
    grouped: GroupCommitUnitOfWorkFactory,
    uow_factory: SqlUnitOfWorkFactory,
    commits: CommitLog,
    bus: RecordingBus,
) -> None:
    tenant_id, found = await some_chargers(seed, 3)
    commits.failure = RuntimeError("the disk is full")

    outcomes = await asyncio.gather(*(report_status(grouped, charger) for charger in found), return_exceptions=True)

    assert commits.batches == [3]
    assert all(isinstance(outcome, Unavailable) for outcome in outcomes), outcomes
    assert await stored(uow_factory, tenant_id, found) == []
    async with uow_factory(tenant_id) as uow:
        assert all(charger.last_seen_at is None for charger in await uow.chargers.get_many([c.id for c in found]))
    assert bus.events == []


# first: no savepoint, the batch holds nothing else yet; middle: the next unit releases the savepoint rolled back to
@pytest.mark.parametrize("position", ["first", "middle", "last"])
async def test_a_failing_unit_leaves_the_others_of_its_batch_untouched(
    seed: Seed,
    grouped: GroupCommitUnitOfWorkFactory,
    uow_factory: SqlUnitOfWorkFactory,
    commits: CommitLog,
    position: str,
) -> None:
    tenant_id, found = await some_chargers(seed, 3)
    failing, others = found[0], found[1:]

    async def write_then_break_a_rule() -> None:
        async with grouped(tenant_id) as uow:
            faulted = Connector(
                tenant_id=tenant_id,
                charger_id=failing.id,
                connector_id=1,
                status="Faulted",
                updated_at=failing.created_at,
            )
            await uow.connectors.upsert(faulted)
            await uow.chargers.add(a_charger(tenant_id, charge_point_id=others[0].charge_point_id))
            await uow.commit()

    reports = [report_status(grouped, charger) for charger in others]
    at = {"first": 0, "middle": 1, "last": 2}[position]
    work = [*reports[:at], write_then_break_a_rule(), *reports[at:]]
    outcomes = await asyncio.gather(*work, return_exceptions=True)

    failed = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert len(failed) == 1 and isinstance(failed[0], Conflict), outcomes
    assert sum(isinstance(outcome, Connector) for outcome in outcomes) == 2
    assert commits.batches == [2]
    assert {connector.charger_id for connector in await stored(uow_factory, tenant_id, found)} == {
        charger.id for charger in others
    }


async def test_a_unit_reads_what_the_units_before_it_in_the_batch_wrote(
    seed: Seed, grouped: GroupCommitUnitOfWorkFactory, commits: CommitLog
) -> None:
    tenant_id, (charger,) = await some_chargers(seed, 1)

    first = asyncio.create_task(report_status(grouped, charger, "Preparing"))
    await asyncio.sleep(0.05)  # the first unit has joined the batch, which waits for the window to end
    async with grouped(tenant_id) as uow:
        (connector,) = await uow.connectors.for_chargers([charger.id])
    await first

    assert connector.status == "Preparing"
    assert commits.batches == [1]  # a unit that only read joins no batch


async def test_stopping_commits_the_units_that_joined(
    database: Database, seed: Seed, uow_factory: SqlUnitOfWorkFactory, bus: RecordingBus
) -> None:
    tenant_id, found = await some_chargers(seed, 3)
    group = GroupCommit(database.engine, lanes=1, window_seconds=60)
    await group.start()
    grouped = GroupCommitUnitOfWorkFactory(group, bus)

    reports = asyncio.gather(*(report_status(grouped, charger) for charger in found))
    await asyncio.sleep(0.1)
    await group.stop()
    await asyncio.wait_for(reports, 10)

    assert group.commits == 1
    assert len(await stored(uow_factory, tenant_id, found)) == 3
    with pytest.raises(Unavailable):
        await report_status(grouped, found[0])


async def test_on_postgresql_a_unit_does_not_wait_for_the_turn_of_a_unit_on_another_lane(
    database: Database, seed: Seed, bus: RecordingBus
) -> None:
    if database.is_sqlite:
        pytest.skip("SQLite has one writer: one lane")
    tenant_id, (first, second) = await some_chargers(seed, 2)
    group = GroupCommit(database.engine, lanes=2)
    await group.start()
    grouped = GroupCommitUnitOfWorkFactory(group, bus)
    try:
        async with grouped(tenant_id) as slow:
            await slow.chargers.get(first.id)  # holds the first lane's turn until it ends
            await asyncio.wait_for(report_status(grouped, second), 10)
            await slow.commit()
    finally:
        await group.stop()
    assert group.units == 2


async def test_a_unit_opened_inside_another_ones_turn_fails_instead_of_waiting_forever(
    seed: Seed, grouped: GroupCommitUnitOfWorkFactory
) -> None:
    tenant_id, (charger,) = await some_chargers(seed, 1)

    async with grouped(tenant_id) as outer:
        await outer.chargers.get(charger.id)
        with pytest.raises(RuntimeError, match="inside another one's turn"):
            async with asyncio.timeout(10):  # in this very task, as a nested unit of work would be
                await report_status(grouped, charger)
