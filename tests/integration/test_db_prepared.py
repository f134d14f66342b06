"""Prepared statements: the same rows, values and errors whether the driver or SQLAlchemy runs them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, select

from domain.errors import Conflict, NotFound
from infra.db.engine import Database
from infra.db.group_commit import GroupCommit
from infra.db.prepared import Prepared
from infra.db.tables import chargers
from infra.db.unit_of_work import GroupCommitUnitOfWorkFactory, SqlUnitOfWorkFactory
from tests.builders import a_charger
from tests.databases import RecordingBus, Seed

_BY_ID = Prepared(
    select(chargers).where(chargers.c.tenant_id == bindparam("tenant_id"), chargers.c.id == bindparam("id")).limit(1)
)


@pytest.fixture
async def grouped(database: Database, bus: RecordingBus) -> AsyncIterator[GroupCommitUnitOfWorkFactory]:
    group = GroupCommit(database.engine, window_seconds=0.001)
    await group.start()
    try:
        yield GroupCommitUnitOfWorkFactory(group, bus)
    finally:
        await group.stop()


async def test_a_prepared_read_in_the_group_commit_returns_what_sqlalchemy_returns(
    seed: Seed, database: Database, grouped: GroupCommitUnitOfWorkFactory
) -> None:
    tenant = await seed.tenant()
    charger = await seed.charger(tenant.id)
    seen = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    async with grouped(tenant.id) as uow:
        found = await uow.chargers.get(charger.id)
        assert found is not None
        found.last_seen_at = seen
        await uow.chargers.update(found)
        await uow.commit()

    async with grouped(tenant.id) as uow:
        prepared = await uow.chargers.get(charger.id)
    async with database.engine.connect() as connection:
        params = {"tenant_id": tenant.id, "id": charger.id}
        through_sqlalchemy = (await connection.execute(_BY_ID.statement, params)).mappings().one()

    assert prepared is not None
    assert prepared.last_seen_at == seen and prepared.last_seen_at.tzinfo == UTC  # stored as UTC, read back as UTC
    assert through_sqlalchemy["last_seen_at"] == seen
    assert {name: getattr(prepared, name) for name in through_sqlalchemy} == dict(through_sqlalchemy)


async def test_a_prepared_update_of_another_tenants_row_is_not_found_and_writes_nothing(
    seed: Seed, grouped: GroupCommitUnitOfWorkFactory, uow_factory: SqlUnitOfWorkFactory
) -> None:
    mine, theirs = await seed.tenant(), await seed.tenant()
    charger = await seed.charger(theirs.id)
    forged = a_charger(mine.id, charge_point_id=charger.charge_point_id)
    forged.id = charger.id

    async def update() -> None:
        async with grouped(mine.id) as uow:
            await uow.chargers.update(forged)
            await uow.commit()

    with pytest.raises(NotFound):
        await update()
    async with uow_factory(theirs.id) as uow:
        assert await uow.chargers.get(charger.id) == charger


async def test_a_prepared_insert_that_breaks_a_rule_is_a_conflict_in_words(
    seed: Seed, grouped: GroupCommitUnitOfWorkFactory
) -> None:
    tenant = await seed.tenant()
    taken = await seed.charger(tenant.id)

    async def add() -> None:
        async with grouped(tenant.id) as uow:
            await uow.chargers.add(a_charger(tenant.id, charge_point_id=taken.charge_point_id))
            await uow.commit()

    with pytest.raises(Conflict, match="this chargePointId is not available") as raised:
        await add()
    assert "duplicate key" not in str(raised.value)


async def test_touching_a_charger_moves_last_seen_alone_and_returns_it_as_it_is_now(
    seed: Seed, grouped: GroupCommitUnitOfWorkFactory, uow_factory: SqlUnitOfWorkFactory
) -> None:
    tenant, stranger = await seed.tenant(), await seed.tenant()
    charger = await seed.charger(tenant.id)
    async with uow_factory(tenant.id) as uow:  # renamed after the OCPP side read it: the touch must keep it
        charger.name = "Depot bay 4"
        await uow.chargers.update(charger)
        await uow.commit()
    seen = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    async with grouped(tenant.id) as uow:
        touched = await uow.chargers.touch(charger.id, seen)
        await uow.commit()
    async with grouped(stranger.id) as uow:
        assert await uow.chargers.touch(charger.id, seen + timedelta(hours=1)) is None
        await uow.commit()

    async with uow_factory(tenant.id) as uow:
        stored = await uow.chargers.get(charger.id)
    assert touched is not None and touched == stored
    assert stored is not None and stored.last_seen_at == seen and stored.name == "Depot bay 4"


def test_a_statement_rendered_per_execution_cannot_be_prepared() -> None:
    statement = Prepared(select(chargers).where(chargers.c.id.in_(bindparam("ids", expanding=True))))
    with pytest.raises(ValueError, match="rendered per execution"):
        statement.arguments({"ids": []})
