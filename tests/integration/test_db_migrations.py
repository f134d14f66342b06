"""Alembic makes the schema: from empty, idempotently, on both dialects, matching the SQLModel tables exactly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from infra.db.engine import Database
from infra.db.migrate import (
    current_revision,
    downgrade_database,
    head_revision,
    include_object,
    is_up_to_date,
    upgrade_database,
)
from infra.db.tables import metadata
from tests.databases import throwaway_postgres


async def _schema_diff(url: str) -> list[Any]:
    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(
            connection, opts={"include_object": include_object, "compare_type": True, "target_metadata": metadata}
        )
        return list(compare_metadata(context, metadata))

    diff: list[Any] = await _on(url, compare)
    return diff


async def _tables(url: str) -> set[str]:
    names: set[str] = await _on(url, lambda connection: set(inspect(connection).get_table_names()))
    return names


async def _on(url: str, work: Any) -> Any:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(work)
    finally:
        await engine.dispose()


async def _upgrade_twice_down_and_up(url: str) -> None:
    assert await current_revision(url) is None
    await upgrade_database(url)
    assert await is_up_to_date(url)
    assert set(metadata.tables) <= await _tables(url)
    await upgrade_database(url)  # already at head: nothing to do, nothing fails
    assert await current_revision(url) == head_revision()
    await downgrade_database(url, "base")
    assert await _tables(url) <= {"alembic_version"}
    await upgrade_database(url)
    assert await _schema_diff(url) == []


async def test_sqlite_upgrades_from_empty_idempotently_and_downgrades(tmp_path: Path) -> None:
    await _upgrade_twice_down_and_up(f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite'}")


@pytest.mark.postgres
async def test_postgres_upgrades_from_empty_idempotently_and_downgrades() -> None:
    async with throwaway_postgres() as url:
        await _upgrade_twice_down_and_up(url)


async def test_migrated_schema_matches_the_tables(database: Database) -> None:
    assert await _schema_diff(database.url) == []


@pytest.mark.postgres
async def test_migrated_postgres_schema_matches_the_tables() -> None:
    async with throwaway_postgres() as url:
        await upgrade_database(url)
        assert await _schema_diff(url) == []


async def test_migrations_run_from_any_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite+aiosqlite:///{tmp_path / 'elsewhere.sqlite'}"
    await upgrade_database(url)
    assert await is_up_to_date(url)


async def test_the_partial_unique_indexes_exist_in_the_migrated_schema(database: Database) -> None:
    indexes = await _on(database.url, lambda connection: inspect(connection).get_indexes("vehicle_identifiers"))
    unique = {index["name"] for index in indexes if index["unique"]}
    assert {"uq_vehicle_identifiers_active_value", "uq_vehicle_identifiers_active_vehicle"} <= unique
