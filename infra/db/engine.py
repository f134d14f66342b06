"""The database: one AsyncEngine and its session factory, built from a URL by the composition root."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from infra.db.errors import translate_errors

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",  # readers never block the writer
    "PRAGMA foreign_keys=ON",  # off by default in SQLite
    "PRAGMA busy_timeout=5000",  # wait for the writer's lock instead of failing at once
    "PRAGMA synchronous=NORMAL",  # safe with WAL, far fewer fsyncs
)


class Database:
    """Owns the engine; `dispose()` closes its pool (the lifespan calls it)."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10, max_overflow: int = 20) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        options: dict[str, Any] = {"echo": echo}
        if not self.is_sqlite:
            options.update(
                pool_size=pool_size,
                max_overflow=max_overflow,
                pool_pre_ping=True,  # a connection killed by a restart or a proxy is replaced, not handed out
                pool_recycle=1800,
                connect_args={"timeout": 10, "server_settings": {"application_name": "autocharge"}},
            )
        self.engine: AsyncEngine = create_async_engine(url, **options)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        # Entities are plain dataclasses mapped by hand, so expiring ORM state on commit buys nothing.
        self.session_factory: async_sessionmaker[AsyncSession] = async_sessionmaker(self.engine, expire_on_commit=False)

    async def ping(self) -> None:
        """Raise Unavailable when the database cannot be reached (used by /ready)."""
        with translate_errors():
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()
