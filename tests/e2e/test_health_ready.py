"""Liveness and readiness over HTTP: /health answers while the process lives, /ready only while the database does."""

from __future__ import annotations

from collections.abc import Awaitable
from pathlib import Path

import pytest

from tests.e2e.harness import eventually, http_get, running, running_with_outages
from tests.e2e.harness import test_settings as settings_for
from tests.servers import OwnRedis


async def test_health_is_ok_without_a_key_even_while_the_database_is_unreachable(database_url: str) -> None:
    async with running_with_outages(database_url) as outage:
        await outage.begin()
        try:
            response = await http_get(outage.server, "/health")
        finally:
            await outage.end()

    assert (response.status_code, response.json()) == (200, {"status": "ok"})


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (
            "sqlite+aiosqlite:///{tmp}/missing/folder/autocharge.db",
            "database unavailable: unable to open database file",
        ),
        (
            "postgresql+asyncpg://postgres@127.0.0.1:1/autocharge",
            "database unavailable: [Errno 111] Connect call failed ('127.0.0.1', 1)",
        ),
    ],
    ids=["sqlite-file-out-of-reach", "postgresql-port-where-nothing-listens"],
)
async def test_ready_is_503_with_the_reason_when_the_database_is_unreachable(
    tmp_path: Path, url: str, reason: str
) -> None:
    async with running(settings_for(url.format(tmp=tmp_path))) as server:
        response = await http_get(server, "/ready")

    assert (response.status_code, response.json()) == (503, {"status": "unavailable", "reason": reason})


async def test_ready_follows_the_database_going_away_and_coming_back(database_url: str) -> None:
    async with running_with_outages(database_url) as outage:
        before = await http_get(outage.server, "/ready")
        await outage.begin()
        try:
            during = await http_get(outage.server, "/ready")
        finally:
            await outage.end()
        after = await http_get(outage.server, "/ready")

    assert [before.status_code, during.status_code, after.status_code] == [200, 503, 200]
    assert [before.json()["status"], during.json()["status"], after.json()["status"]] == [
        "ready",
        "unavailable",
        "ready",
    ]
    assert during.json()["reason"].startswith("database unavailable: ")


async def test_ready_follows_the_event_bus_losing_redis_and_getting_it_back(database_url: str, tmp_path: Path) -> None:
    """With Redis, a process whose bus lost it would serve subscriptions deaf to the other processes."""
    redis = OwnRedis(tmp_path)
    redis.start()
    try:
        async with running(settings_for(database_url, redis_url=redis.url)) as server:

            async def status() -> int:
                return (await http_get(server, "/ready")).status_code

            await eventually(lambda: _equals(status(), 200))
            redis.stop()
            await eventually(lambda: _equals(status(), 503))
            during = await http_get(server, "/ready")
            redis.start()
            await eventually(lambda: _equals(status(), 200), within=15)
    finally:
        redis.close()

    assert during.json() == {
        "status": "unavailable",
        "reason": "the event bus has lost Redis: events between processes are not flowing",
    }


async def _equals(value: Awaitable[int], expected: int) -> bool:
    return await value == expected
