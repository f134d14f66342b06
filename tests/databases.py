"""Fresh, migrated databases for tests, on SQLite by default or on PostgreSQL.

AUTOCHARGE_TEST_DATABASE_URL unset: SQLite; the schema is migrated once per session into a template file,
copied for each test. Set to a postgresql+asyncpg:// URL: that database is migrated once per session and
every table is truncated before each test. An unreachable PostgreSQL skips the tests, or fails them in CI.

Fixtures (re-exported by tests/integration/conftest.py; import them the same way elsewhere):
`migrated_databases` (session), `bus` (RecordingBus), `database` (a Database on a fresh schema),
`uow_factory`, `directory`, `seed` (writes entities with sensible defaults).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, NoReturn, TypeVar
from uuid import UUID

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from domain.events import DomainEvent
from domain.model import (
    Charger,
    Tenant,
    User,
    Vehicle,
)
from domain.ports import Subscription
from infra.db.directory import SqlDirectory
from infra.db.engine import Database
from infra.db.migrate import upgrade_database
from infra.db.tables import metadata
from infra.db.unit_of_work import SqlUnitOfWorkFactory
from tests.builders import a_charger, a_tenant, a_user, a_vehicle

T = TypeVar("T")
TEST_DATABASE_URL_ENV = "AUTOCHARGE_TEST_DATABASE_URL"
POSTGRES_SERVER_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str) -> NoReturn:
    """Skip on a developer machine; in CI a missing database is a broken pipeline, not a reason to skip."""
    if in_ci():
        pytest.fail(reason)
    pytest.skip(reason)


def run_isolated(work: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion on its own loop in its own thread, away from pytest-asyncio's loops."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(_call(work))
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    value: T = outcome["value"]
    return value


async def _call(work: Callable[[], Awaitable[T]]) -> T:
    return await work()


# --- throwaway PostgreSQL databases ---


async def postgres_reachable(server_url: str = POSTGRES_SERVER_URL) -> bool:
    engine = create_async_engine(f"{server_url}/postgres", connect_args={"timeout": 3})
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        await engine.dispose()


async def create_postgres_database(server_url: str = POSTGRES_SERVER_URL, prefix: str = "autocharge_test") -> str:
    """Create an empty database on the server (user postgres, trust auth) and return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    await _admin(server_url, f'CREATE DATABASE "{name}"')
    return f"{server_url}/{name}"


async def drop_postgres_database(url: str) -> None:
    server_url, name = url.rsplit("/", 1)
    await _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@asynccontextmanager
async def throwaway_postgres(server_url: str = POSTGRES_SERVER_URL) -> AsyncIterator[str]:
    """An empty PostgreSQL database for the duration of the block; skipped (failed in CI) when unreachable."""
    if not await postgres_reachable(server_url):
        unavailable(f"PostgreSQL is not reachable at {server_url}")
    url = await create_postgres_database(server_url)
    try:
        yield url
    finally:
        await drop_postgres_database(url)


async def _admin(server_url: str, statement: str) -> None:
    engine = create_async_engine(f"{server_url}/postgres", isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


# --- a fresh migrated database per test ---


class MigratedDatabases:
    """Hands out a freshly migrated database per test, paying for the migration once per session."""

    def __init__(self, url: str | None, workdir: Path) -> None:
        self.url = url
        self.is_postgres = url is not None and url.startswith("postgresql")
        self._template = workdir / "template.sqlite"

    def prepare(self) -> None:
        if self.url is not None and not self.is_postgres:
            raise ValueError(f"{TEST_DATABASE_URL_ENV} must be a postgresql+asyncpg:// URL (or unset for SQLite)")
        if self.is_postgres:
            assert self.url is not None
            server_url = self.url.rsplit("/", 1)[0]
            if not run_isolated(lambda: postgres_reachable(server_url)):
                unavailable(f"PostgreSQL is not reachable at {self.url}")
            url = self.url
        else:
            url = f"sqlite+aiosqlite:///{self._template}"
        run_isolated(lambda: upgrade_database(url))

    async def fresh(self, tmp_path: Path) -> str:
        if self.is_postgres:
            assert self.url is not None
            await truncate_all(self.url)
            return self.url
        copy = tmp_path / "test.sqlite"
        shutil.copyfile(self._template, copy)
        return f"sqlite+aiosqlite:///{copy}"


async def truncate_all(url: str) -> None:
    tables = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {tables} CASCADE"))
    finally:
        await engine.dispose()


class RecordingBus:
    """An EventBus that remembers what it was given, in order."""

    def __init__(self) -> None:
        self.published: list[tuple[UUID, list[DomainEvent]]] = []

    @property
    def events(self) -> list[DomainEvent]:
        return [event for _, events in self.published for event in events]

    async def publish(self, tenant_id: UUID, events: Sequence[DomainEvent]) -> None:
        self.published.append((tenant_id, list(events)))

    def subscribe(self, tenant_id: UUID, topic: str) -> AbstractAsyncContextManager[Subscription]:
        raise NotImplementedError("RecordingBus only records")


class Seed:
    """Writes test data in committed units of work: `user = await seed.user(tenant.id)`."""

    def __init__(self, uow_factory: SqlUnitOfWorkFactory, directory: SqlDirectory) -> None:
        self.uow_factory = uow_factory
        self.directory = directory

    async def tenant(self, **overrides: Any) -> Tenant:
        tenant = a_tenant(**overrides)
        await self.directory.add_tenant(tenant)
        return tenant

    async def user(self, tenant_id: UUID, **overrides: Any) -> User:
        user = a_user(tenant_id, **overrides)
        async with self.uow_factory(tenant_id) as uow:
            await uow.users.add(user)
            await uow.commit()
        return user

    async def charger(self, tenant_id: UUID, **overrides: Any) -> Charger:
        charger = a_charger(tenant_id, **overrides)
        async with self.uow_factory(tenant_id) as uow:
            await uow.chargers.add(charger)
            await uow.commit()
        return charger

    async def vehicle(self, user: User, **overrides: Any) -> Vehicle:
        vehicle = a_vehicle(user, **overrides)
        async with self.uow_factory(user.tenant_id) as uow:
            await uow.vehicles.add(vehicle)
            await uow.commit()
        return vehicle


# --- fixtures ---


@pytest.fixture(scope="session")
def migrated_databases(tmp_path_factory: pytest.TempPathFactory) -> MigratedDatabases:
    databases = MigratedDatabases(os.environ.get(TEST_DATABASE_URL_ENV) or None, tmp_path_factory.mktemp("db"))
    databases.prepare()
    return databases


@pytest.fixture
def bus() -> RecordingBus:
    return RecordingBus()


@pytest.fixture
async def database(migrated_databases: MigratedDatabases, tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(await migrated_databases.fresh(tmp_path))
    try:
        yield db
    finally:
        await db.dispose()


@pytest.fixture
def uow_factory(database: Database, bus: RecordingBus) -> SqlUnitOfWorkFactory:
    return SqlUnitOfWorkFactory(database.session_factory, bus)


@pytest.fixture
def directory(database: Database) -> SqlDirectory:
    return SqlDirectory(database.session_factory)


@pytest.fixture
def seed(uow_factory: SqlUnitOfWorkFactory, directory: SqlDirectory) -> Seed:
    return Seed(uow_factory, directory)
