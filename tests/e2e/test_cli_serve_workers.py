"""`autocharge serve --workers 2`: two processes share both ports and serve as one back office through Redis."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import pytest
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from tests.databases import throwaway_postgres, unavailable
from tests.e2e.test_cli_serve_simulate import GraphQL, autocharge, autocharge_json, environment, serving
from tests.servers import UNLIMITED_CALLS

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

REDIS_URL = os.environ.get("AUTOCHARGE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CHARGERS = 16  # connections spread by the kernel: all 16 on one worker has a chance of 2 in 65,536
REGISTER = "mutation($c: String!) { registerCharger(input: {chargePointId: $c, name: $c}) { id } }"
STATES = "{ chargers(first: 50) { edges { node { chargePointId connectionState } } } }"


@contextlib.asynccontextmanager
async def redis_prefix() -> AsyncIterator[tuple[Redis, str]]:
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        await client.ping()
    except Exception as exc:
        await client.aclose()
        unavailable(f"Redis is not reachable at {REDIS_URL}: {exc}")
    prefix = f"autocharge-test-{uuid4().hex[:12]}"
    try:
        yield client, prefix
    finally:
        async for key in client.scan_iter(match=f"{prefix}:*"):
            await client.delete(key)
        await client.aclose()


async def boot(ws: ClientConnection, cpid: str) -> None:
    payload = {"chargePointVendor": "Autocharge", "chargePointModel": "Workers"}
    await ws.send(json.dumps([2, f"boot-{cpid}", "BootNotification", payload]))
    answer = json.loads(await asyncio.wait_for(ws.recv(), 10))
    assert answer[0] == 3 and answer[2]["status"] == "Accepted", answer


async def closed_code(ws: ClientConnection) -> int | None:
    """Read until the server closes: what comes before is its own CALLs (the settings read after a boot)."""
    with contextlib.suppress(ConnectionClosed):
        async with asyncio.timeout(10):
            while True:
                await ws.recv()
    return ws.close_code


async def test_two_workers_share_both_ports_and_stop_together(tmp_path: Path) -> None:
    async with throwaway_postgres() as database_url, redis_prefix() as (redis, prefix):
        env = environment(tmp_path) | UNLIMITED_CALLS
        env |= {"AUTOCHARGE_DATABASE_URL": database_url, "AUTOCHARGE_REDIS_URL": REDIS_URL}
        env |= {"AUTOCHARGE_REDIS_PREFIX": prefix, "AUTOCHARGE_NODE_ID": "workers-test"}
        code, out = await autocharge(env, "migrate")
        assert code == 0, out
        tenant = await autocharge_json(env, "tenant", "create", "Acme Fleet")
        key = await autocharge_json(env, "apikey", "create", "--tenant", tenant["slug"], "--role", "admin")

        async with serving(env, tmp_path, "--workers", "2") as served, contextlib.AsyncExitStack() as chargers:
            api = GraphQL(served.api_url, key["key"])
            ids = [f"WK-{n:02d}" for n in range(CHARGERS)]
            for cpid in ids:
                await api(REGISTER, c=cpid)
            sockets = []
            for cpid in ids:
                ws = await chargers.enter_async_context(
                    connect(f"{served.ocpp_url}/{cpid}", subprotocols=[Subprotocol("ocpp1.6")])
                )
                await boot(ws, cpid)
                sockets.append(ws)

            holders = {cpid: await redis.get(f"{prefix}:presence:{cpid}") for cpid in ids}
            assert {bytes(h).decode() for h in holders.values() if h} == {"workers-test-w0", "workers-test-w1"}
            for _ in range(4):  # each request on a new connection: either worker answers for every charger
                edges = (await api(STATES))["chargers"]["edges"]
                assert {e["node"]["chargePointId"]: e["node"]["connectionState"] for e in edges} == dict.fromkeys(
                    ids, "CONNECTED"
                )

            assert await served.stop() == 0, served.log.read_text()[-3000:]
            assert [await closed_code(ws) for ws in sockets] == [1001] * CHARGERS


async def test_several_workers_without_redis_are_refused_at_start(tmp_path: Path) -> None:
    code, out = await autocharge(environment(tmp_path), "serve", "--workers", "2")

    assert code == 2
    assert "workers=2" in out and "redis_url" in out
