"""The PostgreSQL pool: a fixed number of connections, and a clear error when none becomes free."""

from __future__ import annotations

import asyncio

import pytest

from domain.errors import Unavailable
from infra.db.engine import Database
from infra.db.errors import translate_errors


async def test_a_busy_pool_fails_as_unavailable_after_its_timeout(database: Database) -> None:
    if database.is_sqlite:
        pytest.skip("SQLite opens a connection per use; only PostgreSQL has a bounded pool")
    small = Database(database.url, pool_size=1, pool_timeout=0.2)
    try:
        async with small.engine.connect():  # holds the only connection
            with pytest.raises(Unavailable, match="no connection became free"), translate_errors():
                async with small.engine.connect():
                    pass
    finally:
        await small.dispose()


async def test_requests_beyond_the_pool_wait_for_a_connection_instead_of_opening_more(database: Database) -> None:
    if database.is_sqlite:
        pytest.skip("SQLite opens a connection per use; only PostgreSQL has a bounded pool")
    small = Database(database.url, pool_size=2)
    opened: set[int] = set()

    async def request() -> None:
        async with small.engine.connect() as connection:
            opened.add(id((await connection.get_raw_connection()).driver_connection))
            await asyncio.sleep(0.02)

    try:
        await asyncio.gather(*(request() for _ in range(8)))
        # An overflow connection would have been opened for the burst and closed again on return.
        assert len(opened) == 2
        assert small.engine.pool.checkedout() == 0
    finally:
        await small.dispose()
