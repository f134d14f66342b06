"""The database: one AsyncEngine and its session factory, built from a URL by the composition root."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event, make_url, text
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

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 20, pool_timeout: float = 10) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self._driver_pool: Any = None
        self._driver_pool_lock = asyncio.Lock()
        # Its statements take well under a millisecond: a few connections serve thousands per second.
        self._driver_pool_size = min(pool_size, 8)
        options: dict[str, Any] = {"echo": echo}
        if not self.is_sqlite:
            options.update(
                pool_size=pool_size,
                # No overflow: an overflow connection is closed as soon as it is returned, so a steady load just
                # above pool_size opened (TLS, authentication) and closed one connection per request. Requests
                # beyond pool_size wait for a connection instead, at most pool_timeout.
                max_overflow=0,
                pool_timeout=pool_timeout,
                # No pre-ping: it costs a round trip on every checkout, which is every OCPP request. A connection
                # killed by a restart fails its first statement instead: SQLAlchemy sees the disconnect and
                # drops the whole pool, the caller gets Unavailable (a CALLERROR / an UNAVAILABLE error) once.
                pool_recycle=1800,
                connect_args={"timeout": 10, "server_settings": {"application_name": "autocharge"}},
            )
        self.engine: AsyncEngine = create_engine(url, **options)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        # Entities are plain dataclasses mapped by hand, so expiring ORM state on commit buys nothing.
        self.session_factory: async_sessionmaker[AsyncSession] = async_sessionmaker(self.engine, expire_on_commit=False)

    async def driver_pool(self) -> Any:
        """asyncpg's own pool (an `asyncpg.Pool`), opened on first use; PostgreSQL only.

        For the few statements run on every OCPP request, where SQLAlchemy's per-statement work (greenlet hop,
        execution context, result processing) cost several times the statement itself. Everything else goes
        through the engine.
        """
        if self.is_sqlite:
            raise RuntimeError("the driver pool is for PostgreSQL only")
        async with self._driver_pool_lock:
            if self._driver_pool is None:
                import asyncpg  # the PostgreSQL driver, imported only where it is used

                dsn = make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)
                with translate_errors():
                    self._driver_pool = await asyncpg.create_pool(
                        dsn,
                        min_size=1,
                        max_size=self._driver_pool_size,
                        timeout=10,
                        server_settings={"application_name": "autocharge"},
                        reset=_keep_session,
                    )
        return self._driver_pool

    async def ping(self) -> None:
        """Raise Unavailable when the database cannot be reached (used by /ready)."""
        with translate_errors():
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        pool, self._driver_pool = self._driver_pool, None
        if pool is not None:
            await pool.close()
        await self.engine.dispose()


async def _keep_session(_connection: Any) -> None:
    """No reset on release: the default (RESET ALL, UNLISTEN, ...) is a round trip per use, and the driver
    pool's statements are single reads that leave no session state behind."""


def create_engine(url: str, **options: Any) -> AsyncEngine:
    """create_async_engine, with SQLite connections whose failure to open leaves no thread behind."""
    engine = create_async_engine(url, **options)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "do_connect", _connect_sqlite)
    return engine


def _connect_sqlite(dialect: Any, _record: Any, cargs: list[Any], cparams: dict[str, Any]) -> Any:
    # The dialect's own connect, with the same arguments, opening the driver's connection our way.
    return dialect.loaded_dbapi.connect(*cargs, async_creator_fn=_open_aiosqlite, **cparams)


async def _open_aiosqlite(*args: Any, **kwargs: Any) -> Any:
    import aiosqlite

    connection = aiosqlite.connect(*args, **kwargs)
    worker = connection._thread
    worker.daemon = True  # as SQLAlchemy sets it: an unclosed connection must not keep the process alive
    try:
        return await connection
    except BaseException:
        # On a failed connect (missing directory, unreadable file) aiosqlite stops its worker thread without
        # waiting for it, and the worker then answers on this event loop. Were the loop closed by then (a CLI
        # command or a test ending on that very error), the thread would die with "Event loop is closed".
        await asyncio.to_thread(worker.join)
        raise


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()
